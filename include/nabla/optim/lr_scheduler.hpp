// Learning-rate schedules (torch.optim.lr_scheduler, PyTorch 1.13 semantics): each one rewrites
// the learning rate of every parameter group of an optimiser, once per scheduler.step().
//
//   optim::SGD sgd(model.parameters(), {.lr = 0.1});
//   optim::StepLR schedule(sgd, /*step_size=*/30, /*gamma=*/0.1);
//   for (int epoch = 0; epoch < 100; ++epoch) { train(sgd); schedule.step(); }
//
// Like PyTorch, constructing a schedule already performs its first step (epoch 0), so LinearLR
// lowers the rate at once; step() is called after optimizer.step(). The schedules use PyTorch's
// chainable (recursive) formulas, which multiply the optimiser's current rate, so two schedules
// on one optimiser compose (warm-up then decay); step(epoch) uses the closed forms instead.
#pragma once

#include <nabla/nn/module.hpp>
#include <nabla/optim/optimizer.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace nabla::optim {

/// The base of the epoch-driven schedules (torch.optim.lr_scheduler._LRScheduler).
///
/// base_lrs() are the groups' rates when the schedule is constructed. PyTorch keeps them in
/// param_group["initial_lr"], set by the first schedule attached to an optimiser, so a second
/// schedule sees the rates from before the first one's initial step; nabla's Optimizer has no
/// such slot. Only CosineAnnealingLR and the closed forms read base_lrs(): construct such a
/// schedule first when chaining.
class LRScheduler {
public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances one epoch and writes the new rate into every group.
  void step();
  /// Jumps to `epoch` using the closed form (PyTorch's deprecated scheduler.step(epoch)).
  void step(int64_t epoch);

  /// The rate of each group after the latest step.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  /// Epochs stepped so far (0 right after construction).
  int64_t last_epoch() const { return last_epoch_; }
  /// The class name ("StepLR").
  virtual std::string type_name() const = 0;

  /// "base_lrs", "last_epoch", "_step_count", "_last_lr" and the schedule's options, as 0-d or
  /// 1-D float64 tensors (PyTorch's scheduler.state_dict() keys).
  nn::StateDict state_dict() const;
  /// Restores what state_dict() produced (options included); the error names a missing key or
  /// a group count that does not match the optimiser. Restore the optimiser's own state too.
  void load_state_dict(const nn::StateDict& state);

protected:
  explicit LRScheduler(Optimizer& optimizer);
  /// Each constructor calls this last: PyTorch's initial step to epoch 0.
  void initial_step();
  /// The chainable form: next rates from the optimiser's current ones (epoch already advanced).
  virtual std::vector<double> get_lr() const = 0;
  /// The rates at last_epoch() as a function of base_lrs() alone.
  virtual std::vector<double> closed_form_lr() const = 0;
  /// The schedule's options, saved and restored with the counters.
  virtual void save_options(nn::StateDict& state) const = 0;
  virtual void load_options(const nn::StateDict& state) = 0;

  /// The optimiser's current rate of every group.
  std::vector<double> current_lrs() const;

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;
  std::vector<double> last_lr_;

private:
  void apply(const std::vector<double>& lrs);
};

/// Multiplies the rate by gamma every step_size epochs (torch.optim.lr_scheduler.StepLR).
class StepLR : public LRScheduler {
public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);
  std::string type_name() const override { return "StepLR"; }

protected:
  std::vector<double> get_lr() const override;
  std::vector<double> closed_form_lr() const override;
  void save_options(nn::StateDict& state) const override;
  void load_options(const nn::StateDict& state) override;

private:
  int64_t step_size_;
  double gamma_;
};

/// Multiplies the rate by gamma at each milestone epoch; a milestone listed k times multiplies
/// by gamma^k (torch.optim.lr_scheduler.MultiStepLR, which counts them).
class MultiStepLR : public LRScheduler {
public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);
  std::string type_name() const override { return "MultiStepLR"; }

protected:
  std::vector<double> get_lr() const override;
  std::vector<double> closed_form_lr() const override;
  void save_options(nn::StateDict& state) const override;
  void load_options(const nn::StateDict& state) override;

private:
  std::vector<int64_t> milestones_;  // sorted, repeats kept
  double gamma_;
};

/// Multiplies the rate by gamma every epoch (torch.optim.lr_scheduler.ExponentialLR).
class ExponentialLR : public LRScheduler {
public:
  ExponentialLR(Optimizer& optimizer, double gamma);
  std::string type_name() const override { return "ExponentialLR"; }

protected:
  std::vector<double> get_lr() const override;
  std::vector<double> closed_form_lr() const override;
  void save_options(nn::StateDict& state) const override;
  void load_options(const nn::StateDict& state) override;

private:
  double gamma_;
};

/// eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, computed by PyTorch's
/// recursion (torch.optim.lr_scheduler.CosineAnnealingLR): after T_max epochs the rate climbs
/// back, a period of 2 * T_max, without restarts.
class CosineAnnealingLR : public LRScheduler {
public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);
  std::string type_name() const override { return "CosineAnnealingLR"; }

protected:
  std::vector<double> get_lr() const override;
  std::vector<double> closed_form_lr() const override;
  void save_options(nn::StateDict& state) const override;
  void load_options(const nn::StateDict& state) override;

private:
  int64_t T_max_;
  double eta_min_;
};

/// Linear warm-up: the rate goes from start_factor * lr to end_factor * lr over total_iters
/// epochs, then stays (torch.optim.lr_scheduler.LinearLR).
class LinearLR : public LRScheduler {
public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5);
  std::string type_name() const override { return "LinearLR"; }

protected:
  std::vector<double> get_lr() const override;
  std::vector<double> closed_form_lr() const override;
  void save_options(nn::StateDict& state) const override;
  void load_options(const nn::StateDict& state) override;

private:
  double start_factor_;
  double end_factor_;
  int64_t total_iters_;
};

/// Options of ReduceLROnPlateau, PyTorch's names and defaults.
struct ReduceLROnPlateauOptions {
  std::string mode = "min";            // "min": lower metric is better; "max": higher is better
  double factor = 0.1;                 // new_lr = lr * factor, in [0, 1)
  int64_t patience = 10;               // bad epochs tolerated before reducing
  double threshold = 1e-4;             // how much better counts as better
  std::string threshold_mode = "rel";  // "rel": best * (1 -/+ threshold); "abs": best -/+ threshold
  int64_t cooldown = 0;                // epochs after a reduction during which bad epochs are ignored
  double min_lr = 0.0;                 // lower bound on every group's rate ...
  std::vector<double> min_lrs = {};    // ... or one bound per group (overrides min_lr when given)
  double eps = 1e-8;                   // reductions smaller than this are skipped
};

/// Reduces the rates when a metric stops improving (torch.optim.lr_scheduler.ReduceLROnPlateau).
/// Not an LRScheduler: it is driven by step(metric), not by epochs alone.
class ReduceLROnPlateau {
public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
  ReduceLROnPlateau(const ReduceLROnPlateau&) = delete;
  ReduceLROnPlateau& operator=(const ReduceLROnPlateau&) = delete;

  /// Records one epoch's metric and reduces the rates after more than `patience` bad epochs.
  void step(double metric);

  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  /// The best metric so far (+inf in "min" mode, -inf in "max" mode before the first step).
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }
  const ReduceLROnPlateauOptions& options() const { return options_; }

  /// Counters and options as float64 tensors ("best", "num_bad_epochs", "cooldown_counter",
  /// "last_epoch", "_last_lr", "factor", ..., "min_lrs"); mode is saved as "mode_max" (1 for
  /// "max") and threshold_mode as "threshold_mode_abs" (1 for "abs").
  nn::StateDict state_dict() const;
  void load_state_dict(const nn::StateDict& state);

private:
  bool is_better(double a, double best) const;
  void reduce_lr();

  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace nabla::optim
