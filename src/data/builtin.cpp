// The registry of built-in data sets and the loaders for files: MNIST-format directories
// (Fashion-MNIST among them) and CSV files split into train and test.
#include <nabla/data/builtin.hpp>

#include <nabla/data/idx.hpp>
#include <nabla/data/split.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace nabla::data {
namespace {

namespace fs = std::filesystem;

const char* const install_hint =
    "install it with `sudo apt-get install dataset-fashion-mnist`, or run `make demo`, which installs it";

// The MNIST file for `stem` ("train-images-idx3-ubyte") in dir, in any of its usual spellings;
// empty when there is none.
std::string find_mnist_file(const std::string& dir, const std::string& stem) {
  std::string dotted = stem;
  dotted[dotted.rfind('-', dotted.find("idx"))] = '.';  // train-images.idx3-ubyte
  for (const std::string& name : {stem, dotted})
    for (const char* suffix : {"", ".gz"}) {
      const fs::path p = fs::path(dir) / (name + suffix);
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) return p.string();
    }
  return {};
}

const std::vector<std::string>& mnist_stems() {
  static const std::vector<std::string> stems = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  return stems;
}

// Images (N, H, W) uint8 and labels (N,) uint8 from two files → (N, 1, H, W) uint8 and int64.
std::shared_ptr<TensorDataset> load_pair(const std::string& images_path, const std::string& labels_path) {
  const Tensor images = read_idx(images_path);
  const Tensor labels = read_idx(labels_path);
  NABLA_CHECK(images.dtype() == uint8 && images.ndim() == 3, "load_mnist_dir: '", images_path,
              "' holds ", images.dtype(), " data of shape ", images.shape(), "; expected uint8 images (N, H, W)");
  NABLA_CHECK(labels.dtype() == uint8 && labels.ndim() == 1, "load_mnist_dir: '", labels_path, "' holds ",
              labels.dtype(), " data of shape ", labels.shape(), "; expected uint8 labels (N,)");
  NABLA_CHECK(images.size(0) == labels.size(0), "load_mnist_dir: '", images_path, "' has ", images.size(0),
              " images but '", labels_path, "' has ", labels.size(0), " labels");
  return std::make_shared<TensorDataset>(images.unsqueeze(1), labels.to(int64));
}

std::vector<std::string> numbered(int64_t count) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < count; ++i) names.push_back(std::to_string(i));
  return names;
}

int64_t largest_label(const TrainTest& t) {
  int64_t top = -1;
  for (const auto& part : {t.train, t.test})
    if (part->size() > 0) top = std::max<int64_t>(top, static_cast<int64_t>(part->targets().max().item()));
  return top;
}

}  // namespace

const std::vector<DatasetInfo>& builtin_datasets() {
  static const std::vector<DatasetInfo> registry = {
      {"fashion-mnist", "Zalando's article images: 60,000 train / 10,000 test, 1x28x28 uint8, 10 classes",
       std::string("Debian package dataset-fashion-mnist, read from ") + fashion_mnist_dir +
           " (install: sudo apt-get install dataset-fashion-mnist, or make demo)"},
      {"mnist", "any MNIST-format directory: train/t10k images (idx3) and labels (idx1), optionally gzipped",
       "the directory given with --data-dir"},
      {"csv", "a CSV file: numeric feature columns plus one label column (by name or index); "
              "string labels become classes",
       "the file given with --csv, split into train and test"},
      {"xor", "XOR of two bits: the 4 corners of the unit square, or n noisy copies of them; 2 classes",
       "generated (seed)"},
      {"blobs", "Gaussian clusters in d dimensions (default 3 in 2-D); with a margin the classes are separable",
       "generated (seed)"},
      {"moons", "two interleaving half circles, 2 classes", "generated (seed)"},
      {"circles", "a circle inside another, 2 classes", "generated (seed)"},
      {"spirals", "k interleaved spiral arms (default 2), one class each", "generated (seed)"},
      {"sine", "regression: x in [-pi, pi], y = sin(x) + noise", "generated (seed)"},
      {"hiring", "the lectures' 14 applicants (x1, x2) labelled hired / not hired", "built in (fixed values)"},
  };
  return registry;
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

bool fashion_mnist_available(const std::string& dir) {
  for (const std::string& stem : mnist_stems())
    if (find_mnist_file(dir, stem).empty()) return false;
  return true;
}

TrainTest load_mnist_dir(const std::string& dir) {
  std::error_code ec;
  NABLA_CHECK(fs::is_directory(dir, ec), "load_mnist_dir: '", dir, "' is not a directory; expected one holding ",
              mnist_stems(), " (each optionally .gz)");
  std::vector<std::string> paths;
  for (const std::string& stem : mnist_stems()) {
    paths.push_back(find_mnist_file(dir, stem));
    NABLA_CHECK(!paths.back().empty(), "load_mnist_dir: '", dir, "' has no ", stem, "[.gz]; expected the files ",
                mnist_stems(), " (each optionally .gz)");
  }
  TrainTest out;
  out.train = load_pair(paths[0], paths[1]);
  out.test = load_pair(paths[2], paths[3]);
  const Shape train_image(out.train->inputs().shape().begin() + 1, out.train->inputs().shape().end());
  const Shape test_image(out.test->inputs().shape().begin() + 1, out.test->inputs().shape().end());
  NABLA_CHECK(train_image == test_image, "load_mnist_dir: '", dir, "': train images are ", train_image,
              " but test images are ", test_image);
  out.class_names = numbered(largest_label(out) + 1);
  return out;
}

TrainTest load_fashion_mnist(const std::string& dir) {
  std::error_code ec;
  NABLA_CHECK(fs::is_directory(dir, ec), "Fashion-MNIST is not installed: '", dir, "' does not exist; ",
              install_hint);
  for (const std::string& stem : mnist_stems())
    NABLA_CHECK(!find_mnist_file(dir, stem).empty(), "Fashion-MNIST is incomplete: '", dir, "' has no ", stem,
                ".gz; ", install_hint);
  TrainTest out = load_mnist_dir(dir);
  const int64_t top = largest_label(out);
  NABLA_CHECK(top < 10, "load_fashion_mnist: '", dir, "' has label ", top, "; Fashion-MNIST labels are 0 to 9");
  out.class_names = fashion_mnist_classes();
  return out;
}

TrainTest load_csv(const std::string& path, const CsvOptions& options, double test_fraction, uint64_t seed) {
  NABLA_CHECK(test_fraction >= 0.0 && test_fraction < 1.0, "load_csv: test_fraction must be in [0, 1), got ",
              test_fraction);
  CsvData csv = read_csv(path, options);
  NABLA_CHECK(csv.targets.defined(), "load_csv: '", path, "': a data set needs a label column (has_label = true)");
  Generator generator(seed);
  const int64_t n = csv.features.size(0);
  std::vector<int64_t> train, test;
  if (!csv.class_names.empty()) {
    auto parts = stratified_split_indices(csv.targets, {1.0 - test_fraction, test_fraction}, generator);
    train = std::move(parts[0]);
    test = std::move(parts[1]);
  } else {
    const Tensor perm = randperm(n, generator);
    const auto held_out = static_cast<int64_t>(static_cast<double>(n) * test_fraction);
    const int64_t* p = perm.data_ptr<int64_t>();
    test.assign(p, p + held_out);
    train.assign(p + held_out, p + n);
  }
  auto take = [&](const std::vector<int64_t>& rows) {
    const Tensor index = tensor(rows, {static_cast<int64_t>(rows.size())});
    return std::make_shared<TensorDataset>(csv.features.index_select(0, index), csv.targets.index_select(0, index));
  };
  return {take(train), take(test), csv.class_names};
}

TrainTest load_dataset(const std::string& name, const DatasetOptions& options) {
  if (name == "fashion-mnist") return load_fashion_mnist(options.data_dir.empty() ? fashion_mnist_dir : options.data_dir);
  if (name == "mnist") {
    NABLA_CHECK(!options.data_dir.empty(), "load_dataset: 'mnist' needs a data directory (--data-dir) holding ",
                mnist_stems(), " (each optionally .gz)");
    return load_mnist_dir(options.data_dir);
  }
  if (name == "csv") {
    NABLA_CHECK(!options.csv.empty(), "load_dataset: 'csv' needs a file (--csv path/to/file.csv)");
    return load_csv(options.csv, options.csv_options, options.test_fraction, options.synthetic.seed);
  }
  if (name == "xor") return make_xor(options.synthetic);
  if (name == "blobs") return make_blobs(options.synthetic);
  if (name == "moons") return make_moons(options.synthetic);
  if (name == "circles") return make_circles(options.synthetic);
  if (name == "spirals") return make_spirals(options.synthetic);
  if (name == "sine") return make_sine(options.synthetic);
  if (name == "hiring") return hiring();
  std::vector<std::string> names;
  for (const DatasetInfo& info : builtin_datasets()) names.push_back(info.name);
  NABLA_FAIL("load_dataset: unknown data set '", name, "'; expected one of ", names);
}

}  // namespace nabla::data
