// What `nabla train` (train.cpp) hands to the end of a run (train_report.cpp): the trained run,
// from which the test evaluation, the report and the closing lines are made.
#pragma once

#include "config.hpp"
#include "data.hpp"

#include <nabla/io/spec.hpp>
#include <nabla/train/history.hpp>

#include <memory>
#include <string>

namespace nabla::cli {

struct TrainedRun {
  TrainConfig config{};
  std::string run_dir{};
  std::string start_time{}, end_time{};
  RunData data{};
  io::BuiltModel built{};     // the model as built (its weights are the last epoch's)
  std::string optimizer{};    // describe_optimizer(config)
  train::History history{};
};

/// Loads the best checkpoint (model.safetensors), evaluates it on the test set, writes the
/// report (curves.svg, confusion_matrix.svg, report.html) and prints the test metrics, the
/// weights hash and the report's path. Returns the exit status.
int finish_run(const TrainedRun& run);

}  // namespace nabla::cli
