// Barzilai-Borwein gradient descent: the step size comes from the last step's secant pair
// (s, y); the dot products run over every parameter, accumulated in float64.
#include <nabla/optim/barzilai_borwein.hpp>

#include <nabla/autograd.hpp>

#include <algorithm>
#include <set>

namespace nabla::optim {
namespace {

Tensor scalar(double value) { return scalar_tensor(value, DType::Float64); }

// The gradient of p, or zeros where none has flowed.
Tensor grad_or_zeros(const Tensor& p) {
  const Tensor g = p.grad();
  if (!g.defined()) return zeros_like(p);
  NABLA_CHECK(g.shape() == p.shape(), "BarzilaiBorwein: a gradient of shape ", g.shape(), " for a parameter of shape ",
              p.shape());
  return g;
}

double dot64(const Tensor& a, const Tensor& b) { return a.to(DType::Float64).mul(b.to(DType::Float64)).sum().item(); }

void validate(const BarzilaiBorweinOptions& o) {
  NABLA_CHECK(o.lr >= 0, "BarzilaiBorwein: lr must be >= 0, got ", o.lr);
  NABLA_CHECK(o.variant == BBVariant::BB1 || o.variant == BBVariant::BB2, "BarzilaiBorwein: unknown variant ",
              static_cast<int>(o.variant));
  NABLA_CHECK(o.min_step > 0, "BarzilaiBorwein: min_step must be > 0, got ", o.min_step);
  NABLA_CHECK(o.max_step >= o.min_step, "BarzilaiBorwein: max_step (", o.max_step, ") must be >= min_step (",
              o.min_step, ")");
}

}  // namespace

BarzilaiBorwein::BarzilaiBorwein(std::vector<Tensor> params, BarzilaiBorweinOptions options)
    : BarzilaiBorwein(std::vector<ParamGroup<BarzilaiBorweinOptions>>{{std::move(params), options}}) {}

BarzilaiBorwein::BarzilaiBorwein(std::vector<ParamGroup<BarzilaiBorweinOptions>> groups) {
  NABLA_CHECK(groups.size() == 1, "BarzilaiBorwein: the step size is shared by all parameters, so it takes one "
              "parameter group; got ", groups.size(), " groups");
  options_ = groups[0].options;
  validate(options_);
  set_param_groups("BarzilaiBorwein", {std::move(groups[0].params)});
}

double BarzilaiBorwein::lr(size_t group) const {
  NABLA_CHECK(group == 0, "BarzilaiBorwein.lr: group ", group, " out of range (BarzilaiBorwein has 1 group)");
  return options_.lr;
}

void BarzilaiBorwein::set_lr(double lr, size_t group) {
  NABLA_CHECK(group == 0, "BarzilaiBorwein.set_lr: group ", group, " out of range (BarzilaiBorwein has 1 group)");
  NABLA_CHECK(lr >= 0, "BarzilaiBorwein.set_lr: lr must be >= 0, got ", lr);
  options_.lr = lr;
}

// alpha_k from s = w_k - w_{k-1} and y = g_k - g_{k-1}, or lr on the first step and when
// s.y <= 0 (see the header for why lr rather than the last good step).
double BarzilaiBorwein::next_step_size() {
  if (prev_params_.empty()) return options_.lr;
  const std::vector<Tensor>& params = groups_params_[0];
  double ss = 0, sy = 0, yy = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor s = params[i].detach().sub(prev_params_[i]);
    const Tensor y = grad_or_zeros(params[i]).sub(prev_grads_[i]);
    ss += dot64(s, s);
    sy += dot64(s, y);
    yy += dot64(y, y);
  }
  if (!(sy > 0)) {
    ++fallbacks_;
    return options_.lr;
  }
  const double alpha = options_.variant == BBVariant::BB1 ? ss / sy : sy / yy;
  return std::clamp(alpha, options_.min_step, options_.max_step);
}

Tensor BarzilaiBorwein::step(const Closure& closure) {
  const Tensor loss = evaluate(closure);
  NoGradGuard no_grad;
  const double alpha = next_step_size();
  std::vector<Tensor>& params = groups_params_[0];
  prev_params_.clear();
  prev_grads_.clear();
  for (Tensor& p : params) {
    const Tensor g = grad_or_zeros(p);
    prev_params_.push_back(p.detach().clone());
    prev_grads_.push_back(g.detach().clone());
    p.sub_(g, alpha);
  }
  step_size_ = alpha;
  ++n_iter_;
  return loss;
}

nn::StateDict BarzilaiBorwein::state_dict() const {
  nn::StateDict out;
  for (size_t i = 0; i < prev_params_.size(); ++i) {
    out.insert("state." + std::to_string(i) + ".prev_param", prev_params_[i].clone());
    out.insert("state." + std::to_string(i) + ".prev_grad", prev_grads_[i].clone());
  }
  if (n_iter_ > 0) {
    out.insert("state.0.n_iter", scalar(static_cast<double>(n_iter_)));
    out.insert("state.0.step_size", scalar(step_size_));
    out.insert("state.0.fallbacks", scalar(static_cast<double>(fallbacks_)));
  }
  out.insert("param_groups.0.lr", scalar(options_.lr));
  out.insert("param_groups.0.variant", scalar(options_.variant == BBVariant::BB1 ? 1.0 : 2.0));
  out.insert("param_groups.0.min_step", scalar(options_.min_step));
  out.insert("param_groups.0.max_step", scalar(options_.max_step));
  std::vector<int64_t> ids(groups_params_[0].size());
  for (size_t k = 0; k < ids.size(); ++k) ids[k] = static_cast<int64_t>(k);
  out.insert("param_groups.0.params", tensor(ids, {static_cast<int64_t>(ids.size())}));
  return out;
}

void BarzilaiBorwein::load_state_dict(const nn::StateDict& sd) {
  std::set<std::string> used;
  auto get = [&](const std::string& key) -> const Tensor& {
    used.insert(key);
    return sd.at(key);
  };
  auto number = [&](const std::string& key) {
    const Tensor& t = get(key);
    NABLA_CHECK(t.numel() == 1, "BarzilaiBorwein.load_state_dict: \"", key, "\" should hold one value, got shape ",
                t.shape());
    return t.item();
  };

  BarzilaiBorweinOptions o;
  o.lr = number("param_groups.0.lr");
  const double variant = number("param_groups.0.variant");
  NABLA_CHECK(variant == 1 || variant == 2, "BarzilaiBorwein.load_state_dict: variant must be 1 or 2, got ", variant);
  o.variant = variant == 1 ? BBVariant::BB1 : BBVariant::BB2;
  o.min_step = number("param_groups.0.min_step");
  o.max_step = number("param_groups.0.max_step");
  validate(o);
  const std::vector<Tensor>& params = groups_params_[0];
  const Tensor& ids = get("param_groups.0.params");
  NABLA_CHECK(ids.ndim() == 1 && ids.size(0) == static_cast<int64_t>(params.size()),
              "BarzilaiBorwein.load_state_dict: \"param_groups.0.params\" has shape ", ids.shape(),
              " but the optimiser has ", params.size(), " parameters");

  std::vector<Tensor> prev_params, prev_grads;
  int64_t n_iter = 0, fallbacks = 0;
  double step_size = 0;
  if (sd.contains("state.0.n_iter")) {
    n_iter = static_cast<int64_t>(number("state.0.n_iter"));
    step_size = number("state.0.step_size");
    fallbacks = static_cast<int64_t>(number("state.0.fallbacks"));
    // A copy in the parameter's dtype, after checking it has the parameter's shape.
    auto like_param = [&](size_t i, const std::string& name) {
      const std::string key = "state." + std::to_string(i) + "." + name;
      const Tensor& t = get(key);
      NABLA_CHECK(t.shape() == params[i].shape(), "BarzilaiBorwein.load_state_dict: \"", key, "\" has shape ",
                  t.shape(), " but parameter ", i, " has shape ", params[i].shape());
      return t.to(params[i].dtype()).clone();
    };
    for (size_t i = 0; i < params.size(); ++i) {
      prev_params.push_back(like_param(i, "prev_param"));
      prev_grads.push_back(like_param(i, "prev_grad"));
    }
  }
  for (const std::string& key : sd.keys())
    NABLA_CHECK(used.count(key) == 1, "BarzilaiBorwein.load_state_dict: unexpected key \"", key, "\"");
  options_ = o;
  prev_params_ = std::move(prev_params);
  prev_grads_ = std::move(prev_grads);
  n_iter_ = n_iter;
  fallbacks_ = fallbacks;
  step_size_ = step_size;
}

}  // namespace nabla::optim
