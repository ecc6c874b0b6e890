// Built-in data sets: Fashion-MNIST from its Debian package, any MNIST-format directory, CSV
// files, and seeded generators of the small 2-D problems from the lectures (xor, blobs, moons,
// circles, spirals, sine, hiring). Each gives a train and a test TensorDataset; images stay uint8
// (N, 1, 28, 28) in memory (convert per batch with scale_to_unit), labels are int64.
//
//   auto fm = data::load_dataset("fashion-mnist");        // fm.class_names[fm.train->targets()[i]]
//   auto moons = data::make_moons({.n = 500, .noise = 0.2, .seed = 1});
#pragma once

#include <nabla/data/csv.hpp>
#include <nabla/data/dataset.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nabla::data {

struct TrainTest {
  std::shared_ptr<TensorDataset> train{}, test{};
  std::vector<std::string> class_names{};  // class i's name; empty for regression targets
};

/// One entry of the registry that `nabla datasets` prints.
struct DatasetInfo {
  std::string name{};         // what load_dataset and --data take
  std::string description{};  // shapes, classes, options that apply
  std::string source{};       // where the data comes from (package, path, generator)
};
/// Every built-in data set, in display order.
const std::vector<DatasetInfo>& builtin_datasets();

/// Where Debian's dataset-fashion-mnist package installs the four gzipped IDX files.
inline constexpr const char* fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
/// Fashion-MNIST's ten class names, in label order.
const std::vector<std::string>& fashion_mnist_classes();
/// True when all four Fashion-MNIST files are in `dir`.
bool fashion_mnist_available(const std::string& dir = fashion_mnist_dir);

/// A directory of MNIST-format files: train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally gzipped (.gz) and with '.'
/// for the second '-' also accepted (train-images.idx3-ubyte). Images (N, 1, H, W) uint8,
/// labels (N,) int64; class_names "0" .. the largest label.
TrainTest load_mnist_dir(const std::string& dir);
/// Fashion-MNIST (60,000 train / 10,000 test 28x28 images, 10 classes). When the files are
/// missing the error says how to install them.
TrainTest load_fashion_mnist(const std::string& dir = fashion_mnist_dir);
/// A CSV file (see read_csv) split at random into train and test, `test_fraction` of the rows
/// (floor) held out; stratified by class when the labels are classes. Generator(seed) shuffles.
TrainTest load_csv(const std::string& path, const CsvOptions& options = {}, double test_fraction = 0.2,
                   uint64_t seed = 0);

/// Options for the generated data sets; each generator reads the fields that apply to it.
/// Inputs are float32 (N, 2) ((N, dims) for blobs, (N, 1) for sine); labels int64 (N,), sine's
/// targets float32 (N, 1). The test set is drawn after the training set from the same stream.
struct SyntheticOptions {
  int64_t n = 0;                 // training examples; 0: the generator's default
  int64_t n_test = -1;           // test examples; -1: as many as n
  std::optional<double> noise{};  // Gaussian noise std; unset: the generator's default
  int64_t classes = 0;           // blobs: clusters (default 3); spirals: arms (default 2)
  int64_t dims = 2;              // blobs only
  double margin = 0.0;           // blobs: > 0 makes the classes separable with this margin
  double factor = 0.5;           // circles: inner radius / outer radius, in (0, 1)
  uint64_t seed = 0;
};

/// XOR on {0, 1}^2 (label x1 != x2). n = 0: exactly the 4 corners (train and test alike);
/// n > 0: n points cycling through the corners plus N(0, noise^2) jitter (default 0.1).
TrainTest make_xor(const SyntheticOptions& options = {});
/// `classes` Gaussian clusters (std = noise, default 1) in `dims` dimensions, centres uniform in
/// [-10, 10]^dims (sklearn's make_blobs); label i % classes for example i. With margin > 0 each
/// cluster is cut to a ball of radius 2 * std around its centre and the centres are placed at
/// least 4 * std + margin apart, so points of different classes are at least `margin` apart and
/// each pair of classes is split by a hyperplane with every point >= margin / 2 from it.
TrainTest make_blobs(const SyntheticOptions& options = {});
/// Two interleaving half circles (sklearn's make_moons, random angles); default n 300, noise 0.1.
TrainTest make_moons(const SyntheticOptions& options = {});
/// A circle of radius 1 (label 0) around one of radius `factor` (label 1); default noise 0.05.
TrainTest make_circles(const SyntheticOptions& options = {});
/// `classes` interleaved spiral arms of 1.5 turns (radius r uniform in [0, 1], angle
/// 2*pi*arm/classes + 3*pi*r), plus noise (default 0.05) on the coordinates.
TrainTest make_spirals(const SyntheticOptions& options = {});
/// Regression: x uniform in [-pi, pi], y = sin(x) + N(0, noise^2) (default noise 0.1, n 200).
TrainTest make_sine(const SyntheticOptions& options = {});
/// The lectures' 14-point hiring set: (x1, x2) with c = 1 ("hired") for the first seven and 0
/// for the last seven; train and test are the same 14 points.
TrainTest hiring();

struct DatasetOptions {
  std::string data_dir{};        // fashion-mnist: overrides the Debian path; mnist: required
  std::string csv{};             // csv: the file
  CsvOptions csv_options{};
  double test_fraction = 0.2;    // csv: the share of rows held out for testing
  SyntheticOptions synthetic{};  // the generators
};

/// Loads a data set of the registry by name ("fashion-mnist", "mnist", "csv", "xor", "blobs",
/// "moons", "circles", "spirals", "sine", "hiring"); an unknown name is an error listing them.
TrainTest load_dataset(const std::string& name, const DatasetOptions& options = {});

}  // namespace nabla::data
