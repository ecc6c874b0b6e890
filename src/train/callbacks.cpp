// The built-in callbacks: early stopping, learning-rate schedules, model checkpoints.
#include <nabla/io/safetensors.hpp>
#include <nabla/train/callback.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

namespace nabla::train {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor number(double v) { return scalar_tensor(v, DType::Float64); }

// The 0-d value saved under `key`; the error names the callback and the key.
double read_number(const char* who, const nn::StateDict& state, const std::string& key) {
  const Tensor* t = state.find(key);
  NABLA_CHECK(t && t->numel() == 1, who, ".load_state_dict: missing or malformed '", key, "' (keys: ", state.keys(),
              ")");
  return t->item();
}

bool improves(bool maximize, double value, double best, double min_delta) {
  if (std::isnan(value)) return false;
  return maximize ? value - min_delta > best : value + min_delta < best;
}

std::string monitor_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

bool monitor_maximizes(const std::string& who, const std::string& monitor, const std::string& mode) {
  if (mode == "max") return true;
  if (mode == "min") return false;
  NABLA_CHECK(mode == "auto", who, ": mode must be \"min\", \"max\" or \"auto\", got \"", mode, "\"");
  for (const char* word : {"acc", "f1", "r2", "precision", "recall"})
    if (monitor.find(word) != std::string::npos) return true;
  return false;
}

// ---- EarlyStopping ----------------------------------------------------------------------------

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : options_(std::move(options)), maximize_(monitor_maximizes("EarlyStopping", options_.monitor, options_.mode)),
      best_(maximize_ ? -kInf : kInf) {
  NABLA_CHECK(options_.patience >= 0, "EarlyStopping: patience must be >= 0, got ", options_.patience);
  NABLA_CHECK(options_.min_delta >= 0, "EarlyStopping: min_delta must be >= 0, got ", options_.min_delta);
}

void EarlyStopping::on_train_begin(FitContext&) {
  best_ = maximize_ ? -kInf : kInf;
  best_epoch_ = wait_ = stopped_epoch_ = 0;
  best_weights_ = nn::StateDict();
}

void EarlyStopping::on_epoch_end(FitContext& ctx, const EpochRecord& record) {
  const double value = record.get(options_.monitor);
  ++wait_;
  if (improves(maximize_, value, best_, options_.min_delta)) {
    best_ = value;
    best_epoch_ = record.epoch;
    wait_ = 0;
    if (options_.restore_best_weights) {
      best_weights_ = nn::StateDict();
      for (const auto& [key, t] : ctx.model.state_dict()) best_weights_.insert(key, t.detach().clone());
    }
    return;
  }
  if (wait_ >= std::max<int64_t>(options_.patience, 1)) {
    stopped_epoch_ = record.epoch;
    ctx.stop_training = true;
    ctx.stop_reason = "early stopping: " + options_.monitor + " did not improve for " + std::to_string(wait_) +
                      " epoch(s); best " + monitor_text(best_) + " at epoch " + std::to_string(best_epoch_);
  }
}

void EarlyStopping::on_train_end(FitContext& ctx) {
  if (!options_.restore_best_weights || best_weights_.empty()) return;
  ctx.model.load_state_dict(best_weights_);
  if (!ctx.stop_reason.empty()) ctx.stop_reason += "; weights restored from epoch " + std::to_string(best_epoch_);
}

nn::StateDict EarlyStopping::state_dict() const {
  nn::StateDict out;
  out.insert("best", number(best_));
  out.insert("best_epoch", number(static_cast<double>(best_epoch_)));
  out.insert("wait", number(static_cast<double>(wait_)));
  out.insert("stopped_epoch", number(static_cast<double>(stopped_epoch_)));
  for (const auto& [key, t] : best_weights_) out.insert("best_weights." + key, t);
  return out;
}

void EarlyStopping::load_state_dict(const nn::StateDict& state) {
  const double best = read_number("EarlyStopping", state, "best");
  const double best_epoch = read_number("EarlyStopping", state, "best_epoch");
  const double wait = read_number("EarlyStopping", state, "wait");
  const double stopped = read_number("EarlyStopping", state, "stopped_epoch");
  nn::StateDict weights;
  const std::string prefix = "best_weights.";
  for (const auto& [key, t] : state)
    if (key.rfind(prefix, 0) == 0) weights.insert(key.substr(prefix.size()), t.clone());
  best_ = best;
  best_epoch_ = static_cast<int64_t>(best_epoch);
  wait_ = static_cast<int64_t>(wait);
  stopped_epoch_ = static_cast<int64_t>(stopped);
  best_weights_ = std::move(weights);
}

// ---- schedules ----------------------------------------------------------------------------------

LRSchedulerCallback::LRSchedulerCallback(std::shared_ptr<optim::LRScheduler> scheduler, SchedulerStep every)
    : scheduler_(std::move(scheduler)), every_(every) {
  NABLA_CHECK(scheduler_ != nullptr, "LRSchedulerCallback: the scheduler is null");
}

void LRSchedulerCallback::on_batch_end(FitContext&, const BatchStats&) {
  if (every_ == SchedulerStep::Batch) scheduler_->step();
}

void LRSchedulerCallback::on_epoch_end(FitContext&, const EpochRecord&) {
  if (every_ == SchedulerStep::Epoch) scheduler_->step();
}

ReduceLROnPlateau::ReduceLROnPlateau(optim::Optimizer& optimizer, optim::ReduceLROnPlateauOptions options,
                                     std::string monitor)
    : scheduler_(optimizer, std::move(options)), monitor_(std::move(monitor)) {}

void ReduceLROnPlateau::on_epoch_end(FitContext&, const EpochRecord& record) {
  scheduler_.step(record.get(monitor_));
}

// ---- ModelCheckpoint ------------------------------------------------------------------------------

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options)
    : options_(std::move(options)), maximize_(monitor_maximizes("ModelCheckpoint", options_.monitor, options_.mode)),
      best_(maximize_ ? -kInf : kInf) {
  NABLA_CHECK(!options_.dir.empty(), "ModelCheckpoint: dir must name a directory");
  NABLA_CHECK(!options_.save_best || !options_.best_filename.empty(), "ModelCheckpoint: best_filename is empty");
  NABLA_CHECK(!options_.save_last || !options_.last_filename.empty(), "ModelCheckpoint: last_filename is empty");
}

std::string ModelCheckpoint::best_path() const { return (std::filesystem::path(options_.dir) / options_.best_filename).string(); }
std::string ModelCheckpoint::last_path() const { return (std::filesystem::path(options_.dir) / options_.last_filename).string(); }

void ModelCheckpoint::on_train_begin(FitContext&) {
  best_ = maximize_ ? -kInf : kInf;
  best_epoch_ = 0;
}

void ModelCheckpoint::on_epoch_end(FitContext& ctx, const EpochRecord& record) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  NABLA_CHECK(!ec, "ModelCheckpoint: cannot create directory '", options_.dir, "': ", ec.message());
  std::map<std::string, std::string> metadata = options_.metadata;
  metadata["epoch"] = std::to_string(record.epoch);
  metadata["monitor"] = options_.monitor;
  if (record.has(options_.monitor)) metadata[options_.monitor] = monitor_text(record.get(options_.monitor));
  if (options_.save_best) {
    const double value = record.get(options_.monitor);
    if (improves(maximize_, value, best_, 0.0)) {
      save(ctx.model, best_path(), metadata);
      best_ = value;
      best_epoch_ = record.epoch;
    }
  }
  if (options_.save_last) save(ctx.model, last_path(), metadata);
}

nn::StateDict ModelCheckpoint::state_dict() const {
  nn::StateDict out;
  out.insert("best", number(best_));
  out.insert("best_epoch", number(static_cast<double>(best_epoch_)));
  return out;
}

void ModelCheckpoint::load_state_dict(const nn::StateDict& state) {
  const double best = read_number("ModelCheckpoint", state, "best");
  best_epoch_ = static_cast<int64_t>(read_number("ModelCheckpoint", state, "best_epoch"));
  best_ = best;
}

}  // namespace nabla::train
