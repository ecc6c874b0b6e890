// The options of a training run as one value: what `nabla train` parses from the command line,
// writes into config.json and (without the run-specific parts) into every checkpoint's
// "nabla.config", and what `--resume`, `eval` and `predict` read back from there.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace nabla::cli {

/// Which data set, and where its files are.
struct DataConfig {
  std::string name{};          // a builtin_datasets() name: "fashion-mnist", "moons", "csv", ...
  std::string data_dir{};      // fashion-mnist / mnist: the directory of the IDX files
  std::string csv{};           // csv: the file
  std::string label_column{};  // csv: the label column's name or 0-based index; empty: the last column
  int64_t limit = 0;           // > 0: train on the first `limit` training examples only
};

/// Every option of `nabla train`.
struct TrainConfig {
  std::string model{};
  DataConfig data{};
  int64_t epochs = 10;
  int64_t batch_size = 64;
  std::string optimizer = "adam";
  std::optional<double> lr{};            // unset: the optimiser's default (sgd: 0.01)
  std::optional<double> momentum{};      // sgd, rmsprop
  bool nesterov = false;                 // sgd
  std::optional<double> weight_decay{};  // unset: the optimiser's default
  std::optional<std::array<double, 2>> betas{};  // adam, adamw
  std::string schedule = "exp:0.85";    // epoch-independent, so --resume may extend a run
  std::string augment = "none";         // training images only: none, crop:P, flip, crop:P,flip
  double val_split = 0.1;
  int64_t early_stopping = 0;            // patience in epochs; 0: off
  std::optional<double> clip_grad_norm{};
  double label_smoothing = 0.0;          // classification's training (and validation) loss only
  uint64_t seed = 0;
  int threads = 0;                       // 0: nabla's default
  std::string out = "runs";
  std::string name{};                    // empty: <data>-<model spec sanitised>
  bool force = false;
  bool quiet = false;
};

/// The options that decide the trained weights (model, data, optimiser, schedule, seed, ...),
/// without the run-specific ones (out, name, threads, times), so that two runs with the same
/// options write byte-identical checkpoints.
nlohmann::json training_options_json(const TrainConfig& config);
/// Reads training_options_json back (as config.json holds it); `source` names the file in errors.
TrainConfig train_config_from_json(const nlohmann::json& json, const std::string& source);
/// The data part alone (the "data" object of training_options_json).
DataConfig data_config_from_json(const nlohmann::json& json, const std::string& source);

/// The file's JSON; a missing file or invalid JSON is a nabla::Error naming the path.
nlohmann::json read_json_file(const std::string& path);
/// Writes `json` (indented) through a temporary file renamed over `path`.
void write_json_file(const std::string& path, const nlohmann::json& json);

/// "--betas 0.9,0.999" → {0.9, 0.999}; anything else is a nabla::Error quoting the text.
std::array<double, 2> parse_betas(const std::string& text);

}  // namespace nabla::cli
