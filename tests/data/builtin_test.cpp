// Built-in data sets: the registry, MNIST-format directories (written here, and the real
// Fashion-MNIST when installed), CSV data sets, and the seeded generators (shapes,
// determinism, the separable blobs' margin, the hiring values).
#include <nabla/data/builtin.hpp>
#include <nabla/data/idx.hpp>

#include <gmock/gmock.h>
#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>

namespace nabla::data {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

class TempDir : public nabla::testing::TempDirTest {};

std::vector<float> inputs_of(const TrainTest& t) { return t.train->inputs().to_vector<float>(); }

TEST(Registry, ListsEveryDataSetWithItsSource) {
  std::vector<std::string> names;
  for (const DatasetInfo& info : builtin_datasets()) {
    names.push_back(info.name);
    EXPECT_FALSE(info.description.empty()) << info.name;
    EXPECT_FALSE(info.source.empty()) << info.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"fashion-mnist", "mnist", "csv", "xor", "blobs", "moons", "circles",
                                             "spirals", "sine", "hiring"}));
  EXPECT_THAT(builtin_datasets().front().source,
              AllOf(HasSubstr("dataset-fashion-mnist"), HasSubstr("/usr/share/datasets/fashion-mnist")));
  EXPECT_THAT([] { load_dataset("cifar"); },
              ThrowsMessage<Error>(AllOf(HasSubstr("unknown data set 'cifar'"), HasSubstr("fashion-mnist"))));
  EXPECT_THAT([] { load_dataset("mnist"); }, ThrowsMessage<Error>(HasSubstr("needs a data directory")));
  EXPECT_THAT([] { load_dataset("csv"); }, ThrowsMessage<Error>(HasSubstr("needs a file")));
  for (const char* name : {"xor", "blobs", "moons", "circles", "spirals", "sine", "hiring"})
    EXPECT_GT(load_dataset(name).train->size(), 0) << name;
}

TEST_F(TempDir, MnistFormatDirectory) {
  const Tensor train_images = randint(0, 256, {5, 4, 3}).to(uint8);
  const Tensor test_images = randint(0, 256, {2, 4, 3}).to(uint8);
  write_idx(path("train-images-idx3-ubyte.gz"), train_images, /*gzip=*/true);
  write_idx(path("train-labels.idx1-ubyte"), tensor(std::vector<int64_t>{0, 3, 1, 3, 2}, {5}).to(uint8));
  write_idx(path("t10k-images-idx3-ubyte"), test_images);
  write_idx(path("t10k-labels-idx1-ubyte.gz"), tensor(std::vector<int64_t>{4, 0}, {2}).to(uint8), true);
  const TrainTest d = load_mnist_dir(dir_.string());
  EXPECT_EQ(d.train->inputs().shape(), (Shape{5, 1, 4, 3}));
  EXPECT_EQ(d.train->inputs().dtype(), uint8);
  EXPECT_EQ(d.train->inputs().to_vector<int64_t>(), train_images.to_vector<int64_t>());
  EXPECT_EQ(d.train->targets().dtype(), int64);
  EXPECT_EQ(d.train->targets().to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 1, 3, 2}));
  EXPECT_EQ(d.test->inputs().shape(), (Shape{2, 1, 4, 3}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(load_dataset("mnist", {.data_dir = dir_.string()}).test->size(), 2);

  // Fashion-MNIST's loader on the same files: labels fit, the class names are Fashion-MNIST's.
  EXPECT_EQ(load_fashion_mnist(dir_.string()).class_names, fashion_mnist_classes());

  write_idx(path("t10k-labels-idx1-ubyte.gz"), tensor(std::vector<int64_t>{4, 0, 1}, {3}).to(uint8), true);
  EXPECT_THAT([&] { load_mnist_dir(dir_.string()); },
              ThrowsMessage<Error>(AllOf(HasSubstr("has 2 images"), HasSubstr("has 3 labels"))));
  fs::remove(path("t10k-images-idx3-ubyte"));
  EXPECT_THAT([&] { load_mnist_dir(dir_.string()); },
              ThrowsMessage<Error>(AllOf(HasSubstr("has no t10k-images-idx3-ubyte[.gz]"), HasSubstr(dir_.string()))));
  EXPECT_FALSE(fashion_mnist_available(dir_.string()));
}

TEST_F(TempDir, FashionMnistMissingSaysHowToInstall) {
  const std::string missing = path("no-such-dir");
  EXPECT_THAT([&] { load_fashion_mnist(missing); },
              ThrowsMessage<Error>(AllOf(HasSubstr("Fashion-MNIST is not installed"), HasSubstr(missing),
                                         HasSubstr("sudo apt-get install dataset-fashion-mnist"),
                                         HasSubstr("make demo"))));
  EXPECT_THAT([&] { load_fashion_mnist(dir_.string()); },
              ThrowsMessage<Error>(AllOf(HasSubstr("has no train-images-idx3-ubyte"),
                                         HasSubstr("sudo apt-get install dataset-fashion-mnist"))));
}

TEST(FashionMnist, RealDataLoadsWhenInstalled) {
  if (!fashion_mnist_available())
    GTEST_SKIP() << "Fashion-MNIST is not installed in " << fashion_mnist_dir
                 << " (sudo apt-get install dataset-fashion-mnist); skipping the real-data check";
  const TrainTest d = load_dataset("fashion-mnist");
  EXPECT_EQ(d.train->inputs().shape(), (Shape{60000, 1, 28, 28}));
  EXPECT_EQ(d.train->inputs().dtype(), uint8);
  EXPECT_EQ(d.test->inputs().shape(), (Shape{10000, 1, 28, 28}));
  EXPECT_EQ(d.train->targets().dtype(), int64);
  EXPECT_EQ(d.test->targets().max().item(), 9.0);
  EXPECT_EQ(d.class_names.size(), 10u);
  EXPECT_EQ(d.class_names[0], "T-shirt/top");
  EXPECT_EQ(d.class_names[9], "Ankle boot");
}

TEST_F(TempDir, CsvDataSet) {
  std::ofstream(path("d.csv")) << "a,b,kind\n";
  {
    std::ofstream out(path("d.csv"), std::ios::app);
    for (int i = 0; i < 50; ++i) out << i << "," << 2 * i << "," << (i % 5 == 0 ? "rare" : "common") << "\n";
  }
  const TrainTest d = load_csv(path("d.csv"), {}, 0.2, 3);
  EXPECT_EQ(d.train->size(), 40);
  EXPECT_EQ(d.test->size(), 10);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"common", "rare"}));
  EXPECT_EQ(d.test->targets().sum().item(), 2.0);  // stratified: 2 of the 10 "rare" rows
  EXPECT_EQ(load_dataset("csv", {.csv = path("d.csv"), .test_fraction = 0.5}).test->size(), 25);
  EXPECT_THROW(load_csv(path("d.csv"), {}, 1.0), Error);
}

TEST(Generators, ShapesDtypesAndDeterminism) {
  struct Case {
    const char* name;
    TrainTest (*make)(const SyntheticOptions&);
    Shape input;
    size_t classes;
  };
  const std::vector<Case> cases = {{"xor", make_xor, {40, 2}, 2},         {"blobs", make_blobs, {40, 2}, 3},
                                   {"moons", make_moons, {40, 2}, 2},     {"circles", make_circles, {40, 2}, 2},
                                   {"spirals", make_spirals, {40, 2}, 2}, {"sine", make_sine, {40, 1}, 0}};
  for (const Case& c : cases) {
    const TrainTest a = c.make({.n = 40, .n_test = 10, .seed = 1});
    EXPECT_EQ(a.train->inputs().shape(), c.input) << c.name;
    EXPECT_EQ(a.train->inputs().dtype(), float32) << c.name;
    EXPECT_EQ(a.test->size(), 10) << c.name;
    EXPECT_EQ(a.class_names.size(), c.classes) << c.name;
    if (c.classes > 0) {
      EXPECT_EQ(a.train->targets().dtype(), int64) << c.name;
      EXPECT_EQ(a.train->targets().shape(), (Shape{40})) << c.name;
      EXPECT_EQ(a.train->targets().max().item(), static_cast<double>(c.classes - 1)) << c.name;
    }
    EXPECT_EQ(inputs_of(a), inputs_of(c.make({.n = 40, .n_test = 10, .seed = 1}))) << c.name;
    EXPECT_NE(inputs_of(a), inputs_of(c.make({.n = 40, .n_test = 10, .seed = 2}))) << c.name;
    EXPECT_NE(inputs_of(a), a.test->inputs().narrow(0, 0, 10).to_vector<float>()) << c.name;
    EXPECT_THROW(c.make({.n = -1}), Error) << c.name;
  }
}

TEST(Generators, Xor) {
  const TrainTest corners = make_xor();
  EXPECT_EQ(corners.train->inputs().to_vector<float>(), (std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1}));
  EXPECT_EQ(corners.train->targets().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 0}));
  const TrainTest noisy = make_xor({.n = 200, .noise = 0.05});
  const auto x = noisy.train->inputs().to_vector<float>();
  const auto y = noisy.train->targets().to_vector<int64_t>();
  for (size_t i = 0; i < y.size(); ++i) {  // the label is the XOR of the nearest corner
    const int a = x[2 * i] > 0.5f, b = x[2 * i + 1] > 0.5f;
    EXPECT_EQ(y[i], a != b ? 1 : 0) << i;
  }
}

TEST(Generators, SeparableBlobsKeepTheirMargin) {
  for (int64_t dims : {1, 2, 5}) {
    const double margin = 0.75;
    const TrainTest d = make_blobs({.n = 300, .n_test = 100, .classes = 4, .dims = dims, .margin = margin, .seed = 7});
    const Tensor x = cat({d.train->inputs(), d.test->inputs()}).to(float64);
    const auto xs = x.to_vector<double>();
    const auto ys = cat({d.train->targets(), d.test->targets()}).to_vector<int64_t>();
    double closest = 1e300;
    for (size_t i = 0; i < ys.size(); ++i)
      for (size_t j = i + 1; j < ys.size(); ++j) {
        if (ys[i] == ys[j]) continue;
        double d2 = 0.0;
        for (int64_t k = 0; k < dims; ++k) {
          const double diff = xs[i * dims + k] - xs[j * dims + k];
          d2 += diff * diff;
        }
        closest = std::min(closest, std::sqrt(d2));
      }
    EXPECT_GE(closest, margin - 1e-5) << dims << "-D";  // float32 storage
  }
  // Two classes are linearly separable: a perceptron reaches zero mistakes.
  const TrainTest two = make_blobs({.n = 200, .classes = 2, .margin = 0.5, .seed = 3});
  const auto xs = two.train->inputs().to_vector<float>();
  const auto ys = two.train->targets().to_vector<int64_t>();
  double w0 = 0, w1 = 0, bias = 0;
  int mistakes = 1, epochs = 0;
  for (; mistakes > 0 && epochs < 10000; ++epochs) {
    mistakes = 0;
    for (size_t i = 0; i < ys.size(); ++i) {
      const double t = ys[i] == 1 ? 1.0 : -1.0;
      if (t * (w0 * xs[2 * i] + w1 * xs[2 * i + 1] + bias) <= 0) {
        w0 += t * xs[2 * i];
        w1 += t * xs[2 * i + 1];
        bias += t;
        ++mistakes;
      }
    }
  }
  EXPECT_EQ(mistakes, 0);
}

TEST(Generators, GeometryWithoutNoise) {
  const TrainTest circles = make_circles({.n = 100, .noise = 0.0, .factor = 0.3});
  const auto cx = circles.train->inputs().to_vector<float>();
  const auto cy = circles.train->targets().to_vector<int64_t>();
  for (size_t i = 0; i < cy.size(); ++i)
    EXPECT_NEAR(std::hypot(cx[2 * i], cx[2 * i + 1]), cy[i] == 0 ? 1.0 : 0.3, 1e-5);
  const TrainTest moons = make_moons({.n = 100, .noise = 0.0});
  const auto mx = moons.train->inputs().to_vector<float>();
  const auto my = moons.train->targets().to_vector<int64_t>();
  for (size_t i = 0; i < my.size(); ++i) {  // unit half circles centred at (0, 0) and (1, 0.5)
    const double ox = my[i] == 0 ? 0.0 : 1.0, oy = my[i] == 0 ? 0.0 : 0.5;
    EXPECT_NEAR(std::hypot(mx[2 * i] - ox, mx[2 * i + 1] - oy), 1.0, 1e-5);
    EXPECT_EQ(mx[2 * i + 1] >= oy - 1e-6, my[i] == 0);  // outer moon above its centre, inner below
  }
  const TrainTest spirals = make_spirals({.n = 90, .noise = 0.0, .classes = 3});
  EXPECT_EQ(spirals.class_names.size(), 3u);
  EXPECT_LE(spirals.train->inputs().abs().max().item(), 1.0);
  const TrainTest sine = make_sine({.n = 50, .noise = 0.0});
  const auto sx = sine.train->inputs().to_vector<float>();
  const auto sy = sine.train->targets().to_vector<float>();
  EXPECT_EQ(sine.train->targets().shape(), (Shape{50, 1}));
  EXPECT_TRUE(sine.class_names.empty());
  for (size_t i = 0; i < sx.size(); ++i) {
    EXPECT_LE(std::abs(sx[i]), std::numbers::pi + 1e-6);
    EXPECT_NEAR(sy[i], std::sin(sx[i]), 1e-6);
  }
}

TEST(Generators, Hiring) {
  const TrainTest h = hiring();
  EXPECT_EQ(h.train->inputs().shape(), (Shape{14, 2}));
  const auto x = h.train->inputs().to_vector<float>();
  const std::vector<float> x1 = {17, 12, 13, 15, 15, 20, 20, 4, 7.5f, 10, 11, 5, 5, 6};
  const std::vector<float> x2 = {10, 12, 14, 15, 20, 15, 20, 8, 5, 0, 5, 0, 10, 6};
  for (size_t i = 0; i < 14; ++i) {
    EXPECT_EQ(x[2 * i], x1[i]) << i;
    EXPECT_EQ(x[2 * i + 1], x2[i]) << i;
  }
  EXPECT_EQ(h.train->targets().to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(h.class_names, (std::vector<std::string>{"not hired", "hired"}));
  EXPECT_EQ(h.test->size(), 14);
}

}  // namespace
}  // namespace nabla::data
