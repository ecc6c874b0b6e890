// Loading, splitting and batching the data of a run (see data.hpp).
#include "data.hpp"

#include "format.hpp"

#include <nabla/autograd.hpp>
#include <nabla/data/split.hpp>
#include <nabla/data/transforms.hpp>
#include <nabla/nn/loss.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <numeric>
#include <sstream>

namespace nabla::cli {
namespace {

// "3" or "-1" pick a column by position, anything else by its header name.
void set_label_column(data::CsvOptions& options, const std::string& column) {
  if (column.empty()) return;
  const bool number = std::all_of(column.begin() + (column[0] == '-' ? 1 : 0), column.end(),
                                  [](char c) { return c >= '0' && c <= '9'; }) &&
                      column != "-";
  if (number) options.label_index = std::stoll(column);
  else options.label_name = column;
}

int64_t count_outputs(const data::TrainTest& tt, train::Task task) {
  const Tensor targets = tt.train->targets();
  if (task == train::Task::Regression) return targets.ndim() <= 1 ? 1 : targets.numel() / targets.size(0);
  int64_t classes = static_cast<int64_t>(tt.class_names.size());
  for (const auto& part : {tt.train, tt.test})
    if (part->size() > 0) classes = std::max<int64_t>(classes, static_cast<int64_t>(part->targets().max().item()) + 1);
  return classes;
}

std::vector<int64_t> first_n(int64_t n) {
  std::vector<int64_t> indices(static_cast<size_t>(n));
  std::iota(indices.begin(), indices.end(), int64_t{0});
  return indices;
}

}  // namespace

RunData load_data(const DataConfig& config, uint64_t seed, double val_split) {
  NABLA_CHECK(val_split >= 0.0 && val_split < 1.0, "--val-split must be in [0, 1), got ", val_split);
  NABLA_CHECK(config.limit >= 0, "--limit must be >= 0, got ", config.limit);
  data::DatasetOptions options;
  options.data_dir = config.data_dir;
  options.csv = config.csv;
  set_label_column(options.csv_options, config.label_column);
  options.synthetic.seed = seed;
  data::TrainTest tt = data::load_dataset(config.name, options);
  NABLA_CHECK(tt.train && tt.train->size() > 0, "data set '", config.name, "' has no training examples");

  RunData run;
  run.name = config.name;
  run.class_names = tt.class_names;
  run.task = tt.train->targets().dtype() == int64 ? train::Task::Classification : train::Task::Regression;
  const Shape& shape = tt.train->inputs().shape();
  run.input_shape = Shape(shape.begin() + 1, shape.end());
  run.input_dtype = tt.train->inputs().dtype();
  run.num_outputs = count_outputs(tt, run.task);
  if (run.task == train::Task::Classification && run.class_names.empty())
    for (int64_t c = 0; c < run.num_outputs; ++c) run.class_names.push_back(std::to_string(c));
  run.test = tt.test;

  std::shared_ptr<const data::Dataset> train = tt.train;
  if (config.limit > 0 && config.limit < train->size())
    train = std::make_shared<data::Subset>(train, first_n(config.limit));
  if (val_split > 0.0) {
    Generator generator(seed);
    std::vector<std::shared_ptr<data::Subset>> parts;
    if (run.task == train::Task::Classification)
      parts = data::stratified_split(train, {1.0 - val_split, val_split}, generator);
    else
      parts = data::random_split(train, {1.0 - val_split, val_split}, generator);
    train = parts[0];
    if (parts[1]->size() > 0) run.val = parts[1];
  }
  NABLA_CHECK(train->size() > 0, "no training examples are left after the validation split of ", val_split,
              " (--limit ", config.limit, ")");
  run.train = train;
  return run;
}

void add_data_options(CLI::App& app, DataConfig& config, bool required_hint) {
  std::string names;
  for (const auto& info : data::builtin_datasets()) names += (names.empty() ? "" : ", ") + info.name;
  app.add_option("--data", config.name, "data set: " + names + (required_hint ? "" : " (see `nabla datasets`)"));
  app.add_option("--data-dir", config.data_dir, "directory of the IDX files (fashion-mnist, mnist)");
  app.add_option("--csv", config.csv, "CSV file for --data csv (implies it)");
  app.add_option("--label-column", config.label_column,
                 "CSV label column, by header name or 0-based index (default: the last column)");
}

Augment parse_augment(const std::string& text) {
  Augment a;
  if (text == "none") return a;
  const auto bad = [&] {
    return "--augment must be none, crop:P, flip or crop:P,flip (P: padding in pixels, 1 or more); got '" + text +
           "'";
  };
  std::stringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    if (part == "flip" && !a.flip) {
      a.flip = true;
    } else if (part.rfind("crop:", 0) == 0 && a.crop_padding == 0) {
      const std::string number = part.substr(5);
      NABLA_CHECK(!number.empty() && number.size() <= 3 &&
                      number.find_first_not_of("0123456789") == std::string::npos && std::stoll(number) >= 1,
                  bad());
      a.crop_padding = std::stoll(number);
    } else {
      NABLA_FAIL(bad());
    }
  }
  NABLA_CHECK(a.any(), bad());
  return a;
}

data::DataLoader make_loader(std::shared_ptr<const data::Dataset> dataset, int64_t batch_size, bool shuffle,
                             uint64_t seed, const Augment& augment) {
  NABLA_CHECK(batch_size >= 1, "--batch-size must be >= 1, got ", batch_size);
  data::DataLoaderOptions options;
  options.batch_size = batch_size;
  options.shuffle = shuffle;
  options.seed = seed;
  options.transform = [augment](data::Batch batch) {
    if (augment.any()) {
      NABLA_CHECK(batch.input.ndim() == 4, "--augment needs images (N, C, H, W); this data set's batches are ",
                  batch.input.shape());
      // On the uint8 images, before scaling: a quarter of the bytes to move.
      if (augment.crop_padding > 0)
        batch.input = data::random_crop(batch.input, augment.crop_padding, default_generator());
      if (augment.flip) batch.input = data::random_horizontal_flip(batch.input, default_generator());
    }
    return data::scale_to_unit(std::move(batch));
  };
  return data::DataLoader(std::move(dataset), options);
}

train::LossFn loss_for(train::Task task, double label_smoothing) {
  if (task == train::Task::Classification)
    return [label_smoothing](const Tensor& output, const Tensor& target) {
      return nn::functional::cross_entropy(output, target, {.label_smoothing = label_smoothing});
    };
  NABLA_CHECK(label_smoothing == 0.0, "--label-smoothing applies to classification only; this data set is a "
              "regression task");
  return [](const Tensor& output, const Tensor& target) {
    const Tensor t = target.numel() == output.numel() ? target.reshape(output.shape()) : target;
    return nn::functional::mse_loss(output, t.to(output.dtype()));
  };
}

Tensor model_outputs(nn::Module& model, std::shared_ptr<const data::Dataset> dataset, int64_t batch_size) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  std::vector<Tensor> outputs;
  data::DataLoader loader = make_loader(std::move(dataset), batch_size, false, 0);
  for (const data::Batch& batch : loader) outputs.push_back(model.forward(batch.input));
  model.train(was_training);
  NABLA_CHECK(!outputs.empty(), "there are no examples to run the model on");
  return cat(outputs, 0);
}

std::string task_text(train::Task task) {
  return task == train::Task::Regression ? "regression" : "classification";
}

ModelTarget model_target(DataConfig config, const std::string& input_shape, int64_t outputs) {
  if (config.name.empty() && !config.csv.empty()) config.name = "csv";
  const bool from_data = !config.name.empty(), from_shape = !input_shape.empty() || outputs > 0;
  NABLA_CHECK(from_data != from_shape, from_data ? "give either --data or --input-shape/--outputs, not both"
                                                 : "give --data NAME, or --input-shape S (e.g. 1,28,28) and --outputs C");
  if (from_data) {
    config.limit = 0;
    const RunData data = load_data(config, 0, 0.0);
    return {data.input_shape, data.num_outputs, data.task};
  }
  NABLA_CHECK(!input_shape.empty(), "--outputs needs --input-shape too (e.g. --input-shape 1,28,28 --outputs 10)");
  NABLA_CHECK(outputs >= 0, "--outputs must be positive (or omitted for a model whose output size is its own, e.g. "
              "unet), got ", outputs);
  ModelTarget target;
  std::istringstream in(input_shape);
  std::string part;
  while (std::getline(in, part, ',')) {
    size_t used = 0;
    int64_t size = 0;
    try {
      size = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    NABLA_CHECK(used > 0 && used == part.size() && size > 0, "--input-shape must be positive sizes separated by "
                "commas (e.g. 1,28,28), got '", input_shape, "'");
    target.input_shape.push_back(size);
  }
  NABLA_CHECK(!target.input_shape.empty() && input_shape.back() != ',', "--input-shape must be positive sizes "
              "separated by commas (e.g. 1,28,28), got '", input_shape, "'");
  target.num_outputs = outputs;
  return target;
}

void check_input_shape(const Shape& data_shape, const Shape& model_shape, const std::string& what) {
  NABLA_CHECK(data_shape == model_shape, what, " has examples of shape ", shape_text(data_shape),
              " but the model takes examples of shape ", shape_text(model_shape));
}

}  // namespace nabla::cli
