// Callbacks: code fit() runs at fixed points of training (Keras's hooks). The built-in ones stop
// early, change the learning rate, and save checkpoints; a callback may also stop training by
// setting FitContext::stop_training.
//
//   auto stop = std::make_shared<train::EarlyStopping>(
//       train::EarlyStoppingOptions{.monitor = "val_loss", .patience = 3, .restore_best_weights = true});
//   auto decay = std::make_shared<train::LRSchedulerCallback>(std::make_shared<optim::StepLR>(adam, 10));
//   train::fit(*model, loss, adam, train_loader, &val_loader,
//              {.epochs = 30, .callbacks = {stop, decay}});
#pragma once

#include <nabla/nn/module.hpp>
#include <nabla/optim/lr_scheduler.hpp>
#include <nabla/optim/optimizer.hpp>
#include <nabla/train/history.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace nabla::train {

/// What callbacks see (and may change) during fit().
struct FitContext {
  nn::Module& model;
  optim::Optimizer& optimizer;
  History& history;             // the records so far, this epoch's included in on_epoch_end
  int64_t epochs = 0;           // the epoch training ends at (FitOptions::epochs)
  int64_t epoch = 0;            // the current epoch, 1-based
  int64_t num_batches = 0;      // training batches per epoch
  bool stop_training = false;   // set to end training after the current epoch
  std::string stop_reason{};    // why, for the progress output
};

/// The running numbers of the current epoch after one training batch.
struct BatchStats {
  int64_t batch = 0;         // 1-based within the epoch
  int64_t batch_size = 0;    // examples in this batch
  double loss = 0;           // this batch's loss
  double running_loss = 0;   // per-sample mean over the epoch so far
  double running_acc = EpochRecord::nan;  // classification only
  int64_t samples = 0;       // examples seen this epoch
  double seconds = 0;        // since the epoch began
};

class Callback {
public:
  virtual ~Callback() = default;
  /// Before the first epoch; a resumed run loads the callbacks' saved state right after it.
  virtual void on_train_begin(FitContext&) {}
  virtual void on_epoch_begin(FitContext&) {}
  /// After optimizer.step() of every training batch.
  virtual void on_batch_end(FitContext&, const BatchStats&) {}
  /// After the epoch's validation, with its record already appended to the history.
  virtual void on_epoch_end(FitContext&, const EpochRecord&) {}
  virtual void on_train_end(FitContext&) {}

  /// The name of this callback's state in a training checkpoint (its tensors are saved as
  /// "<name>.<key>"); empty for a callback without state to resume.
  virtual std::string state_name() const { return ""; }
  virtual nn::StateDict state_dict() const { return {}; }
  virtual void load_state_dict(const nn::StateDict&) {}
};

/// Whether a larger value of the metric `monitor` is better under `mode` ("min", "max", or
/// "auto": max for names containing "acc", "f1", "r2", "precision" or "recall", else min);
/// an unknown mode is a nabla::Error naming `who`.
bool monitor_maximizes(const std::string& who, const std::string& monitor, const std::string& mode);

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  std::string mode = "auto";          // "min", "max" or "auto" (see monitor_maximizes)
  int64_t patience = 0;               // epochs without improvement tolerated (Keras's default 0)
  double min_delta = 0;               // a change smaller than this is no improvement
  bool restore_best_weights = false;  // at the end, put back the weights of the best epoch
};

/// Stops training when `monitor` has not improved for `patience` epochs (keras.callbacks.
/// EarlyStopping): an epoch improves when value < best - min_delta (min) or value > best +
/// min_delta (max); training stops once the epochs since the last improvement reach
/// max(patience, 1). With restore_best_weights the model ends with the weights it had at the end
/// of the best epoch (whether training stopped early or not). A NaN value never improves.
class EarlyStopping : public Callback {
public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(FitContext& ctx) override;
  void on_epoch_end(FitContext& ctx, const EpochRecord& record) override;
  void on_train_end(FitContext& ctx) override;

  /// The best value so far and its epoch (0 before any).
  double best() const { return best_; }
  int64_t best_epoch() const { return best_epoch_; }
  /// The epoch training was stopped after (0 when it was not).
  int64_t stopped_epoch() const { return stopped_epoch_; }

  std::string state_name() const override { return "early_stopping"; }
  nn::StateDict state_dict() const override;
  void load_state_dict(const nn::StateDict& state) override;

private:
  EarlyStoppingOptions options_;
  bool maximize_;
  double best_;
  int64_t best_epoch_ = 0, wait_ = 0, stopped_epoch_ = 0;
  nn::StateDict best_weights_;  // copies, when restore_best_weights
};

/// When an LRScheduler steps: once per epoch (PyTorch's usual place) or after every batch.
enum class SchedulerStep { Epoch, Batch };

/// Steps any optim::LRScheduler from fit(), after optimizer.step(): in on_epoch_end (per epoch)
/// or on_batch_end (per batch). Its state is saved in training checkpoints as "scheduler".
class LRSchedulerCallback : public Callback {
public:
  explicit LRSchedulerCallback(std::shared_ptr<optim::LRScheduler> scheduler, SchedulerStep every = SchedulerStep::Epoch);
  void on_batch_end(FitContext& ctx, const BatchStats& stats) override;
  void on_epoch_end(FitContext& ctx, const EpochRecord& record) override;
  optim::LRScheduler& scheduler() { return *scheduler_; }

  std::string state_name() const override { return "scheduler"; }
  nn::StateDict state_dict() const override { return scheduler_->state_dict(); }
  void load_state_dict(const nn::StateDict& state) override { scheduler_->load_state_dict(state); }

private:
  std::shared_ptr<optim::LRScheduler> scheduler_;
  SchedulerStep every_;
};

/// Lowers the learning rate when `monitor` stops improving: an optim::ReduceLROnPlateau fed
/// the monitored value at the end of every epoch (its options' mode must fit the metric, e.g.
/// "max" for "val_acc"). Its state is saved in training checkpoints as "scheduler".
class ReduceLROnPlateau : public Callback {
public:
  ReduceLROnPlateau(optim::Optimizer& optimizer, optim::ReduceLROnPlateauOptions options = {},
                    std::string monitor = "val_loss");
  void on_epoch_end(FitContext& ctx, const EpochRecord& record) override;
  const optim::ReduceLROnPlateau& scheduler() const { return scheduler_; }

  std::string state_name() const override { return "scheduler"; }
  nn::StateDict state_dict() const override { return scheduler_.state_dict(); }
  void load_state_dict(const nn::StateDict& state) override { scheduler_.load_state_dict(state); }

private:
  optim::ReduceLROnPlateau scheduler_;
  std::string monitor_;
};

struct ModelCheckpointOptions {
  std::string dir;                                // created when missing
  std::string monitor = "val_loss";               // decides which epoch is the best
  std::string mode = "auto";                      // "min", "max" or "auto" (see monitor_maximizes)
  std::string best_filename = "model.safetensors";
  std::string last_filename = "last.safetensors";
  bool save_best = true;
  bool save_last = true;
  std::map<std::string, std::string> metadata{};  // added to every file's __metadata__
};

/// Saves the model's state_dict with nabla::save (atomic, PyTorch-loadable) after every epoch
/// to `last_filename`, and to `best_filename` when `monitor` improved (strictly; a NaN never
/// does). The metadata gains "epoch", "monitor" and its value. A file is only ever replaced
/// whole, so a failure mid-training leaves the last good checkpoints intact.
class ModelCheckpoint : public Callback {
public:
  explicit ModelCheckpoint(ModelCheckpointOptions options);
  void on_train_begin(FitContext& ctx) override;
  void on_epoch_end(FitContext& ctx, const EpochRecord& record) override;

  std::string best_path() const;
  std::string last_path() const;
  double best() const { return best_; }
  int64_t best_epoch() const { return best_epoch_; }

  std::string state_name() const override { return "model_checkpoint"; }
  nn::StateDict state_dict() const override;
  void load_state_dict(const nn::StateDict& state) override;

private:
  ModelCheckpointOptions options_;
  bool maximize_;
  double best_;
  int64_t best_epoch_ = 0;
};

}  // namespace nabla::train
