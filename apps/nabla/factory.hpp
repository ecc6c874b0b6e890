// From command-line options to training objects: the optimiser (--optimizer, --lr, --momentum,
// --nesterov, --weight-decay, --betas) and the learning-rate schedule (--schedule), each with an
// error that quotes the option when it does not apply or does not parse.
#pragma once

#include "config.hpp"

#include <nabla/optim/optimizer.hpp>
#include <nabla/train/callback.hpp>

#include <memory>
#include <string>
#include <vector>

namespace nabla::cli {

/// The names --optimizer accepts, in display order.
const std::vector<std::string>& optimizer_names();

/// The optimiser config.optimizer names over `params`, with the given options (an option the
/// optimiser does not have, e.g. --momentum for adam, is an error).
std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& config, std::vector<Tensor> params);

/// The optimiser and its options as PyTorch prints them: "Adam(lr=0.001, betas=(0.9, 0.999), ...)".
std::string describe_optimizer(const TrainConfig& config);

/// The callbacks a --schedule needs (none for "none"): "step:S:G" (StepLR), "multistep:M1,M2:G"
/// (MultiStepLR), "exp:G" (ExponentialLR), "cosine[:T]" (CosineAnnealingLR, T_max = T or the
/// number of epochs), "plateau:P:F" (ReduceLROnPlateau with patience P and factor F on
/// `monitor`). Schedules step once per epoch.
std::vector<std::shared_ptr<train::Callback>> make_schedule(const std::string& schedule, optim::Optimizer& optimizer,
                                                            int64_t epochs, const std::string& monitor);

/// Checks a --schedule's syntax without an optimiser (for errors before any data is loaded).
void check_schedule(const std::string& schedule);

}  // namespace nabla::cli
