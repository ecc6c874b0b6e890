// Data for the subcommands: loading a data set by name (with --limit and a seeded, stratified
// validation split), deciding the task from its targets, loaders that scale uint8 images to
// [0, 1] per batch, the loss of the task, and running a model over a whole data set.
#pragma once

#include "config.hpp"

#include <nabla/data/builtin.hpp>
#include <nabla/data/dataset.hpp>
#include <nabla/nn/module.hpp>
#include <nabla/train/metrics.hpp>

#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace nabla::cli {

/// A data set ready for training: the splits, what the model must take and give, and the task.
struct RunData {
  std::string name{};
  std::shared_ptr<const data::Dataset> train{};  // after --limit, without the validation part
  std::shared_ptr<const data::Dataset> val{};    // null when there is no validation split
  std::shared_ptr<const data::Dataset> test{};
  std::vector<std::string> class_names{};        // classification: one per class
  train::Task task = train::Task::Classification;
  Shape input_shape{};                           // per example
  DType input_dtype = DType::Float32;            // uint8 for images
  int64_t num_outputs = 0;                       // classes, or regression outputs
};

/// Loads `config`'s data set: generators and the CSV split draw from `seed`; the first
/// config.limit training examples are kept (when > 0); then `val_split` of them (stratified by
/// class for classification, drawn with Generator(seed)) become the validation set.
RunData load_data(const DataConfig& config, uint64_t seed, double val_split);

/// --data, --data-dir, --csv and --label-column, shared by train, eval and summary.
void add_data_options(CLI::App& app, DataConfig& config, bool required_hint = true);

/// Data augmentation for training images, from --augment: "none", "crop:P" (pad each side by P
/// zeros, cut the original size back out at a random place), "flip" (mirror left-right with
/// probability 1/2), or "crop:P,flip". Anything else is an error listing these.
struct Augment {
  int64_t crop_padding = 0;
  bool flip = false;
  bool any() const { return crop_padding > 0 || flip; }
};
Augment parse_augment(const std::string& text);

/// Batches of `dataset` with uint8 inputs scaled to [0, 1]; shuffled by Generator(seed) when asked.
/// With `augment`, each training batch is cropped/flipped first, drawing from the default
/// generator, whose state training checkpoints keep, so --resume stays bit-exact.
data::DataLoader make_loader(std::shared_ptr<const data::Dataset> dataset, int64_t batch_size, bool shuffle,
                             uint64_t seed, const Augment& augment = {});

/// The training loss of a task: cross-entropy on logits, or the mean squared error (targets
/// reshaped to the output's shape when they hold as many values, so (N) targets fit (N, 1)).
/// Cross-entropy (with label smoothing S) for classification, MSE for regression.
train::LossFn loss_for(train::Task task, double label_smoothing = 0.0);

/// The model's outputs for every example of `dataset`, in order, in eval mode without a graph.
Tensor model_outputs(nn::Module& model, std::shared_ptr<const data::Dataset> dataset, int64_t batch_size = 512);

/// "classification" or "regression".
std::string task_text(train::Task task);

/// What a model is built for when no training happens (summary, gradcheck).
struct ModelTarget {
  Shape input_shape{};
  int64_t num_outputs = 0;
  train::Task task = train::Task::Classification;
};
/// From a data set (when config.name or config.csv is set) or from --input-shape "1,28,28" and
/// --outputs C (classification; without --outputs, 0: the model's output size is left free, as
/// for an image-to-image unet); giving both or neither is an error.
ModelTarget model_target(DataConfig config, const std::string& input_shape, int64_t outputs);

/// Refuses data whose per-example shape is not the model's, naming both.
void check_input_shape(const Shape& data_shape, const Shape& model_shape, const std::string& what);

}  // namespace nabla::cli
