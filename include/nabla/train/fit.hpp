// nabla::train::fit — the training loop, built only from public pieces: each batch is
// zero_grad, forward, loss, backward, (clip), step, exactly as a hand-written loop; fit adds
// the bookkeeping around it (metrics, history, callbacks, progress, checkpoints, resume).
//
//   nn::CrossEntropyLoss loss;
//   optim::Adam adam(model->parameters(), {.lr = 1e-3});
//   train::History h = train::fit(*model, loss, adam, train_loader, &val_loader,
//                                 {.epochs = 10, .clip_grad_norm = 1.0});
//   h.save_csv("history.csv");
#pragma once

#include <nabla/data/dataset.hpp>
#include <nabla/nn/loss.hpp>
#include <nabla/nn/module.hpp>
#include <nabla/optim/optimizer.hpp>
#include <nabla/train/callback.hpp>
#include <nabla/train/history.hpp>
#include <nabla/train/metrics.hpp>

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nabla::train {

struct FitOptions {
  int64_t epochs = 1;                 // the last epoch to train (a resumed run continues to it)
  Task task = Task::Auto;             // decides which metrics are measured
  std::vector<std::shared_ptr<Callback>> callbacks{};  // called in this order
  std::optional<double> clip_grad_norm{};   // optim::clip_grad_norm_(params, max_norm), L2
  std::optional<double> clip_grad_value{};  // optim::clip_grad_value_(params, value)
  int64_t top_k = 5;                  // the validation top-k accuracy ("val_top5_acc")
  int verbose = 1;                    // 0: silent; 1: progress and the final weights hash
  std::ostream* out = nullptr;        // where progress goes (std::cout when null)
  std::optional<bool> interactive{};  // redraw a bar; default: out is std::cout and a terminal
  std::string checkpoint_dir{};       // when set, the training state is saved after every epoch
  std::string resume_from{};          // a training state file to continue from
};

/// Trains `model` for epochs (resume_from's epoch + 1) .. options.epochs and returns the
/// history (with a resumed run's earlier epochs). Every epoch: model.train(); for each batch of
/// train_loader: optimizer.zero_grad(), output = model.forward(input), loss = loss_fn(output,
/// target), loss.backward(), optional clipping, optimizer.step(); then evaluate() on val_loader
/// (when given) and the callbacks' on_epoch_end; then the training state is saved when
/// checkpoint_dir is set. A callback may stop training after an epoch.
///
/// A NaN or infinite loss stops training before the update with a nabla::Error naming the epoch,
/// the batch and the value; nothing is saved for that epoch, so the last good checkpoints stay
/// as they were. With verbose >= 1 the run ends by printing "weights hash <16 hex digits>"
/// (weights_hash of the final model).
History fit(nn::Module& model, const LossFn& loss_fn, optim::Optimizer& optimizer, data::DataLoader& train_loader,
            data::DataLoader* val_loader = nullptr, const FitOptions& options = {});

/// The same with a loss module (nn::CrossEntropyLoss, nn::MSELoss, ...).
History fit(nn::Module& model, nn::Loss& loss, optim::Optimizer& optimizer, data::DataLoader& train_loader,
            data::DataLoader* val_loader = nullptr, const FitOptions& options = {});

}  // namespace nabla::train
