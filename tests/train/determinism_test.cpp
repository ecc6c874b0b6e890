// Determinism: the same seed gives bit-identical weights on repeated runs and on 1, 2 or 3
// threads, for the MLP and LeNet-5 workloads (shuffling on, dropout in the MLP) and a ResNet
// with batch norm; and each kernel family docs/DETERMINISM.md lists as thread-count independent
// gives the same bytes on 1, 2 and 3 threads, at sizes where the work really is split (3
// threads catch code that assumes an even split). On 512-1024 Fashion-MNIST test images when
// the Debian package is installed, otherwise on random images of the same shape.
#include <nabla/data/builtin.hpp>
#include <nabla/data/idx.hpp>
#include <nabla/nn/cnn_models.hpp>
#include <nabla/nn/conv_functional.hpp>
#include <nabla/nn/functional.hpp>
#include <nabla/nn/models.hpp>
#include <nabla/nn/norm_functional.hpp>
#include <nabla/optim/adam.hpp>
#include <nabla/tensor.hpp>
#include <nabla/train/fit.hpp>

#include "kernels/gemm.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

using Named = std::vector<std::pair<std::string, Tensor>>;

// "" when every tensor has the same bytes, else the first differing name and element.
std::string first_difference(const Named& got, const Named& want) {
  if (got.size() != want.size()) return "different numbers of tensors";
  for (size_t t = 0; t < want.size(); ++t) {
    const auto& [name, w] = want[t];
    const Tensor& g = got[t].second;
    if (got[t].first != name || g.shape() != w.shape() || g.dtype() != w.dtype()) return name + ": not alike";
    if (w.dtype() == DType::Int64) {
      if (g.to_vector<int64_t>() != w.to_vector<int64_t>()) return name + ": integers differ";
      continue;
    }
    // float32 -> float64 is exact, so equal doubles mean equal floats.
    const std::vector<double> a = g.to(DType::Float64).to_vector<double>(), b = w.to(DType::Float64).to_vector<double>();
    for (size_t i = 0; i < a.size(); ++i)
      if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0) {
        char text[96];
        std::snprintf(text, sizeof text, w.dtype() == DType::Float64 ? "[%zu]: %.17g vs %.17g" : "[%zu]: %.9g vs %.9g",
                      i, a[i], b[i]);
        return name + text;
      }
  }
  return "";
}

Named named(const nn::StateDict& state) { return {state.begin(), state.end()}; }

// Runs f on 1, 2 and 3 threads and expects the same bytes each time.
void expect_thread_independent(const std::function<Named()>& f) {
  const int previous = get_num_threads();
  set_num_threads(1);
  const Named want = f();
  for (int threads : {2, 3}) {
    set_num_threads(threads);
    EXPECT_EQ(first_difference(f(), want), "") << "with " << threads << " threads";
  }
  set_num_threads(previous);
}

// n images (n, 1, 28, 28) in [0, 1] with their labels: Fashion-MNIST's first test images, or
// seeded random ones when the package is missing (the bit-exactness checks hold for any data).
std::pair<Tensor, Tensor> images(int64_t n) {
  if (data::fashion_mnist_available()) {
    const std::string dir = data::fashion_mnist_dir;
    const Tensor x = data::read_idx(dir + "/t10k-images-idx3-ubyte.gz").narrow(0, 0, n);
    const Tensor y = data::read_idx(dir + "/t10k-labels-idx1-ubyte.gz").narrow(0, 0, n);
    return {x.reshape({n, 1, 28, 28}).to(DType::Float32) * (1.0 / 255.0), y.to(DType::Int64)};
  }
  std::printf("Fashion-MNIST is not installed in %s: using random images\n", data::fashion_mnist_dir);
  Generator g(5);
  return {rand({n, 1, 28, 28}, g), randint(0, 10, {n}, g)};
}

struct Workload {
  std::function<std::shared_ptr<nn::Module>()> build;
  std::shared_ptr<data::TensorDataset> data;
  int64_t batch_size = 64;
  int64_t epochs = 1;
};

// Trains the workload from `seed` with Adam on `threads` threads; the final state_dict
// (parameters and buffers).
Named train_run(const Workload& w, int threads, uint64_t seed) {
  const int previous = get_num_threads();
  set_num_threads(threads);
  manual_seed(seed);
  const std::shared_ptr<nn::Module> model = w.build();
  optim::Adam adam(model->parameters(), {.lr = 1e-3});
  data::DataLoader loader(w.data, {.batch_size = w.batch_size, .shuffle = true, .seed = seed + 1});
  manual_seed(seed + 2);  // the dropout stream
  train::fit(*model, [](const Tensor& out, const Tensor& y) { return F::cross_entropy(out, y); }, adam, loader,
             nullptr, {.epochs = w.epochs, .verbose = 0});
  set_num_threads(previous);
  return named(model->state_dict());
}

// The same seed on 1, 1 again, 2 and 3 threads gives the same bytes; another seed does not (so
// the runs did train, from the seed).
void expect_deterministic(const Workload& w, const std::vector<int>& thread_counts) {
  const Named want = train_run(w, 1, 7);
  EXPECT_EQ(first_difference(train_run(w, 1, 7), want), "") << "a repeated run on 1 thread";
  for (int threads : thread_counts)
    EXPECT_EQ(first_difference(train_run(w, threads, 7), want), "") << "on " << threads << " threads";
  EXPECT_NE(first_difference(train_run(w, 1, 8), want), "") << "another seed gave the same weights";
}

}  // namespace

TEST(Determinism, MlpWithDropoutAndShufflingIsBitIdenticalOn1To3Threads) {
  auto [x, y] = images(1024);
  // Batches of 256 make the first hidden activations (256 x 256) large enough for the
  // elementwise kernels (ReLU, dropout) to split them too; 4 steps per epoch, 24 in all.
  const Workload mlp{
      .build = [] { return nn::mlp({.sizes = {784, 256, 128, 10}, .activation = "relu", .dropout = 0.2}); },
      .data = std::make_shared<data::TensorDataset>(x.reshape({1024, 784}), y),
      .batch_size = 256,
      .epochs = 6};
  expect_deterministic(mlp, {2, 2, 3});
}

TEST(Determinism, LeNet5IsBitIdenticalOn1To3Threads) {
  auto [x, y] = images(512);
  const Workload lenet{.build = [] { return nn::lenet5(); },
                       .data = std::make_shared<data::TensorDataset>(x, y),
                       .batch_size = 64,
                       .epochs = 2};
  expect_deterministic(lenet, {2, 3});
}

TEST(Determinism, BatchNormResNetIsBitIdenticalOn1And2Threads) {
  auto [x, y] = images(256);
  // The running statistics are compared too.
  const Workload resnet{.build = [] { return nn::resnet_small(); },
                        .data = std::make_shared<data::TensorDataset>(x, y),
                        .batch_size = 64,
                        .epochs = 1};
  expect_deterministic(resnet, {2});
}

// ---- the kernel families, one by one ----------------------------------------------------------

// GEMM: C is cut into tiles fixed by (m, n, k) alone, each tile one single-threaded BLAS call.
TEST(DeterministicKernels, GemmTilesDependOnTheShapeOnly) {
  struct Case {
    bool ta, tb;
    int64_t m, n, k;
  };
  // The first four take the packed path's tiles; the rest, where OpenBLAS has small-matrix kernels (its
  // AVX-512 cores), 16-wide tiles (the MLP's layer shapes, and ones whose last tile is narrower).
  for (const Case c : {Case{false, false, 512, 300, 200}, Case{true, false, 37, 1000, 129},
                       Case{false, true, 1031, 77, 333}, Case{true, true, 250, 250, 250}, Case{false, true, 64, 256, 784},
                       Case{true, false, 256, 784, 64}, Case{false, false, 73, 81, 576}, Case{false, true, 50, 200, 300}}) {
    Generator g(1);
    const Tensor a = c.ta ? randn({c.k, c.m}, g) : randn({c.m, c.k}, g);
    const Tensor b = c.tb ? randn({c.n, c.k}, g) : randn({c.k, c.n}, g);
    expect_thread_independent([&] {
      Tensor out = zeros({c.m, c.n});
      kernels::gemm(c.ta, c.tb, c.m, c.n, c.k, 1.0f, a.data_ptr<float>(), c.ta ? c.m : c.k, b.data_ptr<float>(),
                    c.tb ? c.k : c.n, 0.0f, out.data_ptr<float>(), c.n);
      return Named{{"c", out}};
    });
  }
}

// Reductions: one long sum in fixed 16k-element pieces added in order; sums over dims by output.
// float32 sums accumulate in double, which hides most changes of order; float64 ones show them.
TEST(DeterministicKernels, ReductionsAndSoftmaxDoNotDependOnTheThreadCount) {
  Generator g(2);
  const Tensor long_vector = randn({1000003}, g), long_doubles = randn({1000003}, g, DType::Float64);
  const Tensor m = randn({1001, 333}, g);
  const Tensor cube = randn({64, 129, 37}, g);
  expect_thread_independent([&] {
    return Named{{"sum", long_vector.sum()},
                 {"mean", long_vector.mean()},
                 {"var", long_vector.var()},
                 {"sum_f64", long_doubles.sum()},
                 {"mean_f64", long_doubles.mean()},
                 {"sum0", m.sum(0)},
                 {"sum1", m.sum(1)},
                 {"mean02", cube.mean(Shape{0, 2})},
                 {"var0", m.var(Shape{0})},
                 {"max1", m.argmax(1)},
                 {"logsumexp0", m.logsumexp(0)},
                 {"softmax1", m.softmax(1)},
                 {"log_softmax0", m.log_softmax(0)},
                 {"softmax_mid", cube.softmax(1)}};
  });
}

// Elementwise ops and the optimiser update: every output element computed alone, with
// -ffp-contract=off so a vectorised loop body and its scalar remainder round alike wherever a
// thread's chunk ends (1,000,003 elements: chunk ends fall off any vector boundary).
TEST(DeterministicKernels, ElementwiseOpsAndAdamDoNotDependOnTheThreadCount) {
  Generator g(3);
  const Tensor x = randn({1000003}, g), y = randn({1000003}, g), grad = randn({1000003}, g);
  const Tensor mat = randn({999, 1001}, g), row = randn({1001}, g);
  expect_thread_independent([&] {
    Tensor p = x.clone().requires_grad_();
    optim::Adam adam(std::vector<Tensor>{p}, {.lr = 1e-2, .weight_decay = 0.01, .amsgrad = true});
    for (int step = 0; step < 3; ++step) {
      p.set_grad(grad * static_cast<double>(step + 1));
      adam.step();
    }
    return Named{{"mul_add", x * y + y},
                 {"div_exp", (x / (y.abs() + 1.0)).exp()},
                 {"tanh_sigmoid", x.tanh() * y.sigmoid()},
                 {"gelu", F::gelu(x)},
                 {"broadcast", mat * row + 0.5},
                 {"adam", p.detach()}};
  });
}

// Convolution: forward and input gradient per image; the weight gradient summed over a number
// of image blocks fixed by the shape, then added in block order; the bias gradient a reduction.
// Max pooling and cross-entropy are per plane and per row. A batch of 13 splits unevenly.
TEST(DeterministicKernels, ConvPoolAndCrossEntropyGradientsDoNotDependOnTheThreadCount) {
  Generator g(4);
  const Tensor x0 = randn({13, 3, 30, 30}, g), w0 = randn({8, 3, 5, 5}, g) * 0.2, b0 = randn({8}, g);
  const Tensor target = randint(0, 8, {13}, g);
  expect_thread_independent([&] {
    Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    const Tensor h = F::max_pool2d(F::conv2d(x, w, b, 1, 2).relu(), 3, 2);  // overlapping windows
    const Tensor logits = h.mean(Shape{2, 3});
    F::cross_entropy(logits, target).backward();
    return Named{{"y", h.detach()}, {"gx", x.grad()}, {"gw", w.grad()}, {"gb", b.grad()}};
  });
}

// Batch norm: each channel's moments and gradient sums are accumulated by one thread, in order.
TEST(DeterministicKernels, BatchNormDoesNotDependOnTheThreadCount) {
  Generator g(5);
  const Tensor x0 = randn({37, 5, 19, 23}, g), gy = randn({37, 5, 19, 23}, g);
  expect_thread_independent([&] {
    Tensor x = x0.clone().requires_grad_(), gamma = ones({5}).requires_grad_(), beta = zeros({5}).requires_grad_();
    Tensor running_mean = zeros({5}), running_var = ones({5});
    const Tensor y = F::batch_norm(x, running_mean, running_var, gamma, beta, true);
    (y * gy).sum().backward();
    return Named{{"y", y.detach()}, {"gx", x.grad()}, {"ggamma", gamma.grad()}, {"gbeta", beta.grad()},
                 {"running_mean", running_mean}, {"running_var", running_var}};
  });
}

// Random numbers: drawn one after another from one generator, never split over threads; the
// loader shuffles from its own generator, so draws from the default one (dropout) do not move it.
TEST(DeterministicKernels, RandomStreamsDoNotDependOnThreadsOrOnEachOther) {
  expect_thread_independent([] {
    Generator g(6);
    manual_seed(6);
    const Tensor big = randn({300001}, g);
    const Tensor mask = F::dropout(ones({300001}), 0.3);
    return Named{{"randn", big}, {"uniform", rand({300001}, g)}, {"dropout", mask}};
  });

  auto data = std::make_shared<data::TensorDataset>(arange(100), arange(100, DType::Int64));
  auto order = [&](bool draw_between) {
    data::DataLoader loader(data, {.batch_size = 10, .shuffle = true, .seed = 9});
    std::vector<int64_t> seen;
    for (int epoch = 0; epoch < 2; ++epoch)
      for (const data::Batch& batch : loader) {
        if (draw_between) randn({17});
        for (int64_t v : batch.target.to_vector<int64_t>()) seen.push_back(v);
      }
    return seen;
  };
  EXPECT_EQ(order(true), order(false));
}
