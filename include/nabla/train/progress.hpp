// Training progress output. On a terminal, a bar per epoch redrawn in place (batches done,
// ETA, running loss and accuracy, samples/s); elsewhere (a log file, a pipe), one plain line
// per epoch without carriage returns or escape codes. fit() adds one of these unless verbose = 0.
//
//   epoch 3/10 [=============>                ] 120/250  eta 0:04  loss 0.4312  acc 0.8712  5120 samples/s
//   epoch 3/10  train_loss 0.4312  train_acc 0.8712  val_loss 0.4501  val_acc 0.8650  lr 0.001  2.1s  5120 samples/s
#pragma once

#include <nabla/train/callback.hpp>

#include <chrono>
#include <iosfwd>

namespace nabla::train {

/// Whether standard output is a terminal (isatty), the default for FitOptions::interactive.
bool stdout_is_terminal();

/// Prints progress to `out`: interactive redraws a bar with "\r" and an erase-line code;
/// non-interactive prints one line per epoch. Either way the line printed at the end of an
/// epoch holds the epoch's record, and a stop reason (early stopping) is printed at the end.
class ProgressBar : public Callback {
public:
  ProgressBar(std::ostream& out, bool interactive);
  void on_epoch_begin(FitContext& ctx) override;
  void on_batch_end(FitContext& ctx, const BatchStats& stats) override;
  void on_epoch_end(FitContext& ctx, const EpochRecord& record) override;
  void on_train_end(FitContext& ctx) override;

  /// The epoch's summary as printed: "epoch 3/10  train_loss 0.4312 ...".
  static std::string summary(const EpochRecord& record, int64_t epochs);

private:
  std::ostream& out_;
  bool interactive_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace nabla::train
