// fit(): the training loop. Read train_one_epoch() first: it is the loop a student writes by
// hand (zero_grad, forward, loss, backward, step); the rest is bookkeeping around it.
#include <nabla/optim/clip.hpp>
#include <nabla/train/checkpoint.hpp>
#include <nabla/train/fit.hpp>
#include <nabla/train/hash.hpp>
#include <nabla/train/progress.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

namespace nabla::train {
namespace {

using Clock = std::chrono::steady_clock;
using Callbacks = std::vector<std::shared_ptr<Callback>>;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_options(const FitOptions& o) {
  NABLA_CHECK(o.epochs >= 0, "fit: epochs must be >= 0, got ", o.epochs);
  NABLA_CHECK(o.top_k >= 1, "fit: top_k must be >= 1, got ", o.top_k);
  NABLA_CHECK(o.verbose >= 0, "fit: verbose must be 0 (silent) or more, got ", o.verbose);
  NABLA_CHECK(!o.clip_grad_norm || *o.clip_grad_norm > 0, "fit: clip_grad_norm must be > 0, got ", *o.clip_grad_norm);
  NABLA_CHECK(!o.clip_grad_value || *o.clip_grad_value > 0, "fit: clip_grad_value must be > 0, got ",
              *o.clip_grad_value);
  for (const auto& callback : o.callbacks) NABLA_CHECK(callback != nullptr, "fit: a callback is null");
}

// The loss as a number; a NaN or infinite loss ends training before it reaches the weights.
double checked_loss(const Tensor& loss, int64_t epoch, int64_t batch, int64_t num_batches) {
  NABLA_CHECK(loss.defined() && loss.numel() == 1, "fit: the loss function must return one value (the batch mean), got ",
              loss.defined() ? detail::str("shape ", loss.shape()) : std::string("an undefined tensor"));
  const double value = loss.item();
  NABLA_CHECK(std::isfinite(value), "fit: the loss is ", value, " at epoch ", epoch, ", batch ", batch, " of ",
              num_batches, "; training stopped before this update, so the last saved checkpoints are intact "
              "(try a lower learning rate or clip_grad_norm)");
  return value;
}

// Running sums over one epoch's training batches.
class EpochMeter {
public:
  BatchStats add(int64_t batch, const Tensor& output, const Tensor& target, double loss, Task task) {
    const int64_t n = output.ndim() > 0 ? output.size(0) : 1;
    loss_sum_ += loss * static_cast<double>(n);
    samples_ += n;
    if (task == Task::Classification) correct_ += std::llround(accuracy(output, target) * static_cast<double>(n));
    return BatchStats{.batch = batch, .batch_size = n, .loss = loss, .running_loss = mean_loss(),
                      .running_acc = task == Task::Classification ? mean_accuracy() : EpochRecord::nan,
                      .samples = samples_, .seconds = seconds_since(start_)};
  }
  double mean_loss() const { return samples_ ? loss_sum_ / static_cast<double>(samples_) : EpochRecord::nan; }
  double mean_accuracy() const {
    return samples_ ? static_cast<double>(correct_) / static_cast<double>(samples_) : EpochRecord::nan;
  }
  int64_t samples() const { return samples_; }
  double seconds() const { return seconds_since(start_); }

private:
  Clock::time_point start_ = Clock::now();
  double loss_sum_ = 0;
  int64_t correct_ = 0, samples_ = 0;
};

// One pass over the training data. `task` is resolved from the first batch when it is Auto.
EpochRecord train_one_epoch(nn::Module& model, const LossFn& loss_fn, optim::Optimizer& optimizer,
                            data::DataLoader& train_loader, const FitOptions& options, const Callbacks& callbacks,
                            FitContext& ctx, Task& task) {
  model.train();
  for (const auto& callback : callbacks) callback->on_epoch_begin(ctx);
  EpochRecord record{.epoch = ctx.epoch, .lr = optimizer.lr(0)};
  EpochMeter meter;
  int64_t batch_index = 0;
  for (const data::Batch& batch : train_loader) {
    ++batch_index;
    task = resolve_task(task, batch.target);

    optimizer.zero_grad();
    const Tensor output = model.forward(batch.input);
    const Tensor loss = loss_fn(output, batch.target);
    const double loss_value = checked_loss(loss, ctx.epoch, batch_index, ctx.num_batches);
    loss.backward();
    if (options.clip_grad_norm) optim::clip_grad_norm_(model.parameters(), *options.clip_grad_norm);
    if (options.clip_grad_value) optim::clip_grad_value_(model.parameters(), *options.clip_grad_value);
    optimizer.step();

    const BatchStats stats = meter.add(batch_index, output, batch.target, loss_value, task);
    for (const auto& callback : callbacks) callback->on_batch_end(ctx, stats);
  }
  record.train_loss = meter.mean_loss();
  if (task == Task::Classification) record.train_acc = meter.mean_accuracy();
  const double seconds = meter.seconds();
  record.samples_per_second = seconds > 0 ? static_cast<double>(meter.samples()) / seconds : 0.0;
  return record;
}

// The validation numbers of an epoch's record.
void add_validation(EpochRecord& record, const Evaluation& e) {
  record.val_loss = e.loss;
  if (e.task == Task::Classification) {
    record.val_acc = e.accuracy;
    record.extra["val_top" + std::to_string(e.top_k) + "_acc"] = e.top_k_accuracy;
    record.extra["val_macro_f1"] = e.report.macro_f1;
  } else {
    record.extra["val_mse"] = e.mse;
    record.extra["val_mae"] = e.mae;
    record.extra["val_r2"] = e.r2;
  }
}

// Loads a training state into the run; returns the first epoch left to train.
int64_t resume(const std::string& path, FitContext& ctx, const Callbacks& callbacks, data::DataLoader& train_loader,
               data::DataLoader* val_loader) {
  TrainingState state = load_training_state(path);
  restore_training_state(state, ctx.model, ctx.optimizer, callbacks, &train_loader, val_loader);
  ctx.history = std::move(state.history);
  return state.epoch + 1;
}

}  // namespace

History fit(nn::Module& model, const LossFn& loss_fn, optim::Optimizer& optimizer, data::DataLoader& train_loader,
            data::DataLoader* val_loader, const FitOptions& options) {
  check_options(options);
  NABLA_CHECK(loss_fn != nullptr, "fit: the loss function is empty");
  History history;
  FitContext ctx{.model = model, .optimizer = optimizer, .history = history, .epochs = options.epochs,
                 .num_batches = train_loader.num_batches()};
  std::ostream& out = options.out ? *options.out : std::cout;
  const bool to_stdout = options.out == nullptr || options.out == &std::cout;
  const bool interactive = options.verbose > 0 && options.interactive.value_or(to_stdout && stdout_is_terminal());
  Callbacks callbacks = options.callbacks;
  if (options.verbose > 0) callbacks.push_back(std::make_shared<ProgressBar>(out, interactive));
  if (!options.checkpoint_dir.empty()) std::filesystem::create_directories(options.checkpoint_dir);

  for (const auto& callback : callbacks) callback->on_train_begin(ctx);
  int64_t first_epoch = 1;
  if (!options.resume_from.empty()) {
    first_epoch = resume(options.resume_from, ctx, options.callbacks, train_loader, val_loader);
    if (options.verbose > 0) out << "resumed from " << options.resume_from << " after epoch " << first_epoch - 1 << '\n';
  }
  try {
    Task task = options.task;
    for (ctx.epoch = first_epoch; ctx.epoch <= options.epochs && !ctx.stop_training; ++ctx.epoch) {
      const Clock::time_point start = Clock::now();
      EpochRecord record = train_one_epoch(model, loss_fn, optimizer, train_loader, options, callbacks, ctx, task);
      if (val_loader)
        add_validation(record, evaluate(model, *val_loader, {.task = task, .loss = loss_fn, .top_k = options.top_k}));
      record.seconds = seconds_since(start);
      history.append(record);
      for (const auto& callback : callbacks) callback->on_epoch_end(ctx, history.back());
      if (!options.checkpoint_dir.empty())
        save_training_state(training_state_path(options.checkpoint_dir),
                            capture_training_state(model, optimizer, options.callbacks, &train_loader, val_loader,
                                                   ctx.epoch, history));
    }
  } catch (...) {
    if (interactive) out << '\n' << std::flush;  // end the bar's line before the error is reported
    throw;
  }
  --ctx.epoch;  // the last epoch trained (or resumed from)
  for (const auto& callback : callbacks) callback->on_train_end(ctx);
  if (options.verbose > 0) out << "weights hash " << format_hash(weights_hash(model)) << '\n' << std::flush;
  return history;
}

History fit(nn::Module& model, nn::Loss& loss, optim::Optimizer& optimizer, data::DataLoader& train_loader,
            data::DataLoader* val_loader, const FitOptions& options) {
  const LossFn loss_fn = [&loss](const Tensor& output, const Tensor& target) { return loss.forward(output, target); };
  return fit(model, loss_fn, optimizer, train_loader, val_loader, options);
}

}  // namespace nabla::train
