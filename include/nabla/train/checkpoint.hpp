// Training checkpoints: everything a run needs to continue exactly where it stopped, in ONE
// safetensors file. A resumed run ends with weights bit-identical to an uninterrupted one.
//
// Layout: tensors "model.<key>" (the model's state_dict), "optimizer.<key>" (the optimiser's),
// "<name>.<key>" for each callback with state ("scheduler.last_epoch", "early_stopping.best");
// __metadata__ holds "format" = "nabla.training_state", "version" = "1", "epoch" (epochs
// completed), "callbacks" (a JSON array of the callback state names), "default_generator",
// "train_loader_generator" and "val_loader_generator" (JSON objects: seed, s as four decimal
// strings, has_spare_normal, spare_normal) and "history" (History::to_json).
//
//   fit(..., {.epochs = 10, .checkpoint_dir = "runs/a"});        // writes training_state.safetensors
//   fit(..., {.epochs = 10, .resume_from = "runs/a/training_state.safetensors"});
#pragma once

#include <nabla/data/dataset.hpp>
#include <nabla/generator.hpp>
#include <nabla/nn/module.hpp>
#include <nabla/optim/optimizer.hpp>
#include <nabla/train/callback.hpp>
#include <nabla/train/history.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nabla::train {

struct TrainingState {
  int64_t epoch = 0;  // epochs completed
  nn::StateDict model;
  nn::StateDict optimizer;
  std::vector<std::pair<std::string, nn::StateDict>> callbacks;  // by Callback::state_name()
  Generator::State default_generator{};  // dropout masks and other default draws
  std::optional<Generator::State> train_loader_generator;  // the shuffles to come
  std::optional<Generator::State> val_loader_generator;
  History history;
};

/// The file fit() writes into FitOptions::checkpoint_dir after every epoch.
std::string training_state_path(const std::string& checkpoint_dir);

/// Writes `state` atomically (io::write_safetensors). Callback names must be unique and not
/// "model" or "optimizer"; the error names the clash.
void save_training_state(const std::string& path, const TrainingState& state);
/// Reads a file written by save_training_state; a file that is not one (or is damaged) is a
/// nabla::Error naming the path and the problem.
TrainingState load_training_state(const std::string& path);

/// The live state of a run after `epoch` completed epochs (the loaders are non-const only
/// because DataLoader::generator() is).
TrainingState capture_training_state(const nn::Module& model, const optim::Optimizer& optimizer,
                                     const std::vector<std::shared_ptr<Callback>>& callbacks,
                                     data::DataLoader* train_loader, data::DataLoader* val_loader,
                                     int64_t epoch, const History& history);

/// Puts `state` back into freshly built objects of the same kind: the model's and optimiser's
/// state dicts (strictly), each callback's state by name (a callback with state that the
/// checkpoint lacks, or the reverse, is an error), the loaders' and the default generator's
/// states. The model, optimiser and callbacks must be configured as in the saved run.
void restore_training_state(const TrainingState& state, nn::Module& model, optim::Optimizer& optimizer,
                            const std::vector<std::shared_ptr<Callback>>& callbacks,
                            data::DataLoader* train_loader, data::DataLoader* val_loader);

}  // namespace nabla::train
