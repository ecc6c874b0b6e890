// Learning-rate schedules: ports of torch/optim/lr_scheduler.py (1.13). Each formula keeps
// PyTorch's order of operations so the rates agree to the last bit, not merely to rounding.
#include <nabla/optim/lr_scheduler.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace nabla::optim {
namespace {

Tensor scalar(double value) { return scalar_tensor(value, DType::Float64); }

Tensor vector_tensor(const std::vector<double>& values) {
  return tensor(values, Shape{static_cast<int64_t>(values.size())}, DType::Float64);
}

double read_scalar(const nn::StateDict& state, const std::string& key, const std::string& who) {
  const Tensor& t = state.at(key);
  NABLA_CHECK(t.numel() == 1, who, ".load_state_dict: \"", key, "\" should hold one value, got shape ", t.shape());
  return t.item();
}

int64_t read_int(const nn::StateDict& state, const std::string& key, const std::string& who) {
  return static_cast<int64_t>(read_scalar(state, key, who));
}

std::vector<double> read_vector(const nn::StateDict& state, const std::string& key, size_t expected,
                                const std::string& who) {
  const Tensor& t = state.at(key);
  NABLA_CHECK(t.ndim() == 1 && static_cast<size_t>(t.numel()) == expected, who, ".load_state_dict: \"", key,
              "\" should have shape [", expected, "] (one per parameter group), got ", t.shape());
  return t.to_vector<double>();
}

}  // namespace

// ---- LRScheduler --------------------------------------------------------------------------

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  NABLA_CHECK(optimizer.num_groups() > 0, "LRScheduler: the optimiser has no parameter groups");
  base_lrs_ = current_lrs();
}

std::vector<double> LRScheduler::current_lrs() const {
  std::vector<double> lrs(optimizer_.num_groups());
  for (size_t g = 0; g < lrs.size(); ++g) lrs[g] = optimizer_.lr(g);
  return lrs;
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

void LRScheduler::apply(const std::vector<double>& lrs) {
  for (size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(lrs[g], g);
  last_lr_ = current_lrs();
}

void LRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  apply(get_lr());
}

void LRScheduler::step(int64_t epoch) {
  NABLA_CHECK(epoch >= 0, type_name(), ".step: epoch must be >= 0, got ", epoch);
  ++step_count_;
  last_epoch_ = epoch;
  apply(closed_form_lr());
}

nn::StateDict LRScheduler::state_dict() const {
  nn::StateDict state;
  state.insert("base_lrs", vector_tensor(base_lrs_));
  state.insert("last_epoch", scalar(static_cast<double>(last_epoch_)));
  state.insert("_step_count", scalar(static_cast<double>(step_count_)));
  state.insert("_last_lr", vector_tensor(last_lr_));
  save_options(state);
  return state;
}

void LRScheduler::load_state_dict(const nn::StateDict& state) {
  const std::string who = type_name();
  const size_t groups = optimizer_.num_groups();
  std::vector<double> base_lrs = read_vector(state, "base_lrs", groups, who);
  std::vector<double> last_lr = read_vector(state, "_last_lr", groups, who);
  const int64_t last_epoch = read_int(state, "last_epoch", who);
  const int64_t step_count = read_int(state, "_step_count", who);
  load_options(state);
  base_lrs_ = std::move(base_lrs);
  last_lr_ = std::move(last_lr);
  last_epoch_ = last_epoch;
  step_count_ = step_count;
}

// ---- StepLR -------------------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  NABLA_CHECK(step_size >= 1, "StepLR: step_size must be >= 1, got ", step_size);
  NABLA_CHECK(gamma > 0, "StepLR: gamma must be > 0, got ", gamma);
  initial_step();
}

std::vector<double> StepLR::get_lr() const {
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

std::vector<double> StepLR::closed_form_lr() const {
  std::vector<double> lrs = base_lrs_;
  for (double& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(last_epoch_ / step_size_));
  return lrs;
}

void StepLR::save_options(nn::StateDict& state) const {
  state.insert("step_size", scalar(static_cast<double>(step_size_)));
  state.insert("gamma", scalar(gamma_));
}

void StepLR::load_options(const nn::StateDict& state) {
  const int64_t step_size = read_int(state, "step_size", type_name());
  gamma_ = read_scalar(state, "gamma", type_name());
  step_size_ = step_size;
}

// ---- MultiStepLR --------------------------------------------------------------------------

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  NABLA_CHECK(gamma > 0, "MultiStepLR: gamma must be > 0, got ", gamma);
  for (int64_t m : milestones_) NABLA_CHECK(m >= 0, "MultiStepLR: milestones must be >= 0, got ", milestones_);
  std::sort(milestones_.begin(), milestones_.end());
  initial_step();
}

std::vector<double> MultiStepLR::get_lr() const {
  std::vector<double> lrs = current_lrs();
  const auto count = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  if (count == 0) return lrs;
  for (double& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(count));
  return lrs;
}

std::vector<double> MultiStepLR::closed_form_lr() const {
  // bisect_right: milestones at or before the current epoch.
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
  std::vector<double> lrs = base_lrs_;
  for (double& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(passed));
  return lrs;
}

void MultiStepLR::save_options(nn::StateDict& state) const {
  state.insert("milestones", vector_tensor(std::vector<double>(milestones_.begin(), milestones_.end())));
  state.insert("gamma", scalar(gamma_));
}

void MultiStepLR::load_options(const nn::StateDict& state) {
  const Tensor& m = state.at("milestones");
  NABLA_CHECK(m.ndim() == 1, "MultiStepLR.load_state_dict: \"milestones\" should be 1-D, got ", m.shape());
  std::vector<int64_t> milestones;
  for (double v : m.to_vector<double>()) milestones.push_back(static_cast<int64_t>(v));
  std::sort(milestones.begin(), milestones.end());
  gamma_ = read_scalar(state, "gamma", type_name());
  milestones_ = std::move(milestones);
}

// ---- ExponentialLR ------------------------------------------------------------------------

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  NABLA_CHECK(gamma > 0, "ExponentialLR: gamma must be > 0, got ", gamma);
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() const {
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

std::vector<double> ExponentialLR::closed_form_lr() const {
  std::vector<double> lrs = base_lrs_;
  for (double& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(last_epoch_));
  return lrs;
}

void ExponentialLR::save_options(nn::StateDict& state) const { state.insert("gamma", scalar(gamma_)); }

void ExponentialLR::load_options(const nn::StateDict& state) { gamma_ = read_scalar(state, "gamma", type_name()); }

// ---- CosineAnnealingLR --------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
  NABLA_CHECK(T_max >= 1, "CosineAnnealingLR: T_max must be >= 1, got ", T_max);
  NABLA_CHECK(eta_min >= 0, "CosineAnnealingLR: eta_min must be >= 0, got ", eta_min);
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() const {
  constexpr double pi = std::numbers::pi;
  const double e = static_cast<double>(last_epoch_), T = static_cast<double>(T_max_);
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0) return lrs;
  for (size_t g = 0; g < lrs.size(); ++g) {
    const double base = base_lrs_[g];
    if (step_count_ == 1 && last_epoch_ > 0) {
      lrs[g] = eta_min_ + (base - eta_min_) * (1 + std::cos(e * pi / T)) / 2;
    } else if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) {
      // The recursion below divides by 1 + cos(pi) = 0 here: PyTorch steps up from the minimum.
      lrs[g] = lrs[g] + (base - eta_min_) * (1 - std::cos(pi / T)) / 2;
    } else {
      lrs[g] = (1 + std::cos(pi * e / T)) / (1 + std::cos(pi * (e - 1) / T)) * (lrs[g] - eta_min_) + eta_min_;
    }
  }
  return lrs;
}

std::vector<double> CosineAnnealingLR::closed_form_lr() const {
  constexpr double pi = std::numbers::pi;
  const double e = static_cast<double>(last_epoch_), T = static_cast<double>(T_max_);
  std::vector<double> lrs = base_lrs_;
  for (double& lr : lrs) lr = eta_min_ + (lr - eta_min_) * (1 + std::cos(pi * e / T)) / 2;
  return lrs;
}

void CosineAnnealingLR::save_options(nn::StateDict& state) const {
  state.insert("T_max", scalar(static_cast<double>(T_max_)));
  state.insert("eta_min", scalar(eta_min_));
}

void CosineAnnealingLR::load_options(const nn::StateDict& state) {
  const int64_t T_max = read_int(state, "T_max", type_name());
  eta_min_ = read_scalar(state, "eta_min", type_name());
  T_max_ = T_max;
}

// ---- LinearLR -----------------------------------------------------------------------------

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  // PyTorch 1.13 accepts start_factor = 0 and then divides by zero at epoch 1; refuse it.
  NABLA_CHECK(start_factor > 0 && start_factor <= 1, "LinearLR: start_factor must be in (0, 1], got ",
              start_factor);
  NABLA_CHECK(end_factor >= 0 && end_factor <= 1, "LinearLR: end_factor must be in [0, 1], got ", end_factor);
  NABLA_CHECK(total_iters >= 1, "LinearLR: total_iters must be >= 1, got ", total_iters);
  initial_step();
}

std::vector<double> LinearLR::get_lr() const {
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0) {
    for (double& lr : lrs) lr *= start_factor_;
    return lrs;
  }
  if (last_epoch_ > total_iters_) return lrs;
  const double delta = end_factor_ - start_factor_;
  const double factor =
      1. + delta / (static_cast<double>(total_iters_) * start_factor_ + static_cast<double>(last_epoch_ - 1) * delta);
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

std::vector<double> LinearLR::closed_form_lr() const {
  const double progress = static_cast<double>(std::min(total_iters_, last_epoch_));
  std::vector<double> lrs = base_lrs_;
  for (double& lr : lrs)
    lr *= start_factor_ + (end_factor_ - start_factor_) * progress / static_cast<double>(total_iters_);
  return lrs;
}

void LinearLR::save_options(nn::StateDict& state) const {
  state.insert("start_factor", scalar(start_factor_));
  state.insert("end_factor", scalar(end_factor_));
  state.insert("total_iters", scalar(static_cast<double>(total_iters_)));
}

void LinearLR::load_options(const nn::StateDict& state) {
  const double start_factor = read_scalar(state, "start_factor", type_name());
  const double end_factor = read_scalar(state, "end_factor", type_name());
  total_iters_ = read_int(state, "total_iters", type_name());
  start_factor_ = start_factor;
  end_factor_ = end_factor;
}

// ---- ReduceLROnPlateau --------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), options_(std::move(options)) {
  const ReduceLROnPlateauOptions& o = options_;
  const size_t groups = optimizer.num_groups();
  NABLA_CHECK(groups > 0, "ReduceLROnPlateau: the optimiser has no parameter groups");
  NABLA_CHECK(o.mode == "min" || o.mode == "max", "ReduceLROnPlateau: mode must be \"min\" or \"max\", got \"",
              o.mode, "\"");
  NABLA_CHECK(o.threshold_mode == "rel" || o.threshold_mode == "abs",
              "ReduceLROnPlateau: threshold_mode must be \"rel\" or \"abs\", got \"", o.threshold_mode, "\"");
  NABLA_CHECK(o.factor >= 0 && o.factor < 1, "ReduceLROnPlateau: factor must be in [0, 1), got ", o.factor);
  NABLA_CHECK(o.patience >= 0, "ReduceLROnPlateau: patience must be >= 0, got ", o.patience);
  NABLA_CHECK(o.threshold >= 0, "ReduceLROnPlateau: threshold must be >= 0, got ", o.threshold);
  NABLA_CHECK(o.cooldown >= 0, "ReduceLROnPlateau: cooldown must be >= 0, got ", o.cooldown);
  NABLA_CHECK(o.eps >= 0, "ReduceLROnPlateau: eps must be >= 0, got ", o.eps);
  if (o.min_lrs.empty()) {
    options_.min_lrs.assign(groups, o.min_lr);
  } else {
    NABLA_CHECK(o.min_lrs.size() == groups, "ReduceLROnPlateau: expected ", groups, " min_lrs (one per group), got ",
                o.min_lrs.size());
  }
  for (double m : options_.min_lrs) NABLA_CHECK(m >= 0, "ReduceLROnPlateau: min_lr must be >= 0, got ", m);
  best_ = o.mode == "min" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  for (size_t g = 0; g < groups; ++g) last_lr_.push_back(optimizer.lr(g));
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  const bool min = options_.mode == "min", rel = options_.threshold_mode == "rel";
  const double th = options_.threshold;
  if (min && rel) return a < best * (1. - th);
  if (min) return a < best - th;
  if (rel) return a > best * (th + 1.);
  return a > best + th;
}

void ReduceLROnPlateau::reduce_lr() {
  for (size_t g = 0; g < optimizer_.num_groups(); ++g) {
    const double old_lr = optimizer_.lr(g);
    const double new_lr = std::max(old_lr * options_.factor, options_.min_lrs[g]);
    if (old_lr - new_lr > options_.eps) optimizer_.set_lr(new_lr, g);
  }
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs during cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience) {
    reduce_lr();
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (size_t g = 0; g < optimizer_.num_groups(); ++g) last_lr_.push_back(optimizer_.lr(g));
}

nn::StateDict ReduceLROnPlateau::state_dict() const {
  nn::StateDict state;
  state.insert("mode_max", scalar(options_.mode == "max" ? 1.0 : 0.0));
  state.insert("factor", scalar(options_.factor));
  state.insert("patience", scalar(static_cast<double>(options_.patience)));
  state.insert("threshold", scalar(options_.threshold));
  state.insert("threshold_mode_abs", scalar(options_.threshold_mode == "abs" ? 1.0 : 0.0));
  state.insert("cooldown", scalar(static_cast<double>(options_.cooldown)));
  state.insert("min_lrs", vector_tensor(options_.min_lrs));
  state.insert("eps", scalar(options_.eps));
  state.insert("best", scalar(best_));
  state.insert("num_bad_epochs", scalar(static_cast<double>(num_bad_epochs_)));
  state.insert("cooldown_counter", scalar(static_cast<double>(cooldown_counter_)));
  state.insert("last_epoch", scalar(static_cast<double>(last_epoch_)));
  state.insert("_last_lr", vector_tensor(last_lr_));
  return state;
}

void ReduceLROnPlateau::load_state_dict(const nn::StateDict& state) {
  const std::string who = "ReduceLROnPlateau";
  const size_t groups = optimizer_.num_groups();
  ReduceLROnPlateauOptions o;
  o.mode = read_scalar(state, "mode_max", who) != 0 ? "max" : "min";
  o.factor = read_scalar(state, "factor", who);
  o.patience = read_int(state, "patience", who);
  o.threshold = read_scalar(state, "threshold", who);
  o.threshold_mode = read_scalar(state, "threshold_mode_abs", who) != 0 ? "abs" : "rel";
  o.cooldown = read_int(state, "cooldown", who);
  o.min_lrs = read_vector(state, "min_lrs", groups, who);
  o.min_lr = o.min_lrs.front();
  o.eps = read_scalar(state, "eps", who);
  std::vector<double> last_lr = read_vector(state, "_last_lr", groups, who);
  const double best = read_scalar(state, "best", who);
  const int64_t num_bad_epochs = read_int(state, "num_bad_epochs", who);
  const int64_t cooldown_counter = read_int(state, "cooldown_counter", who);
  const int64_t last_epoch = read_int(state, "last_epoch", who);
  // Assigned only once every key has been read, so a failed load changes nothing.
  best_ = best;
  num_bad_epochs_ = num_bad_epochs;
  cooldown_counter_ = cooldown_counter;
  last_epoch_ = last_epoch;
  options_ = std::move(o);
  last_lr_ = std::move(last_lr);
}

}  // namespace nabla::optim
