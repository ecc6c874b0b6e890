// BatchNorm1d/2d and LayerNorm (modules and functional forms): PyTorch's outputs, gradients and
// running statistics over two training steps and in eval mode (float64, 1e-10), agreement with
// the same maths composed from Tensor ops on larger inputs, gradchecks, parameter/buffer names
// and printing, train vs eval behaviour, bit-identical results on 1 and 2 threads, and errors.
#include <nabla/nabla.hpp>
#include <nabla/nn/norm_all.hpp>

#include "../support/golden.hpp"
#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>

using nabla::testing::message_of;

using namespace nabla;
namespace F = nabla::nn::functional;
using nabla::testing::golden;
using nabla::testing::golden_tensor;
using nabla::testing::max_relative_error;

namespace {

using Json = nlohmann::json;

// Relative error below `floor` in magnitude counts as absolute error scaled by 1 / floor.
constexpr double kFloor = 1e-3;

const Json& cases(const char* family) {
  static const Json j = golden("nn_norm");
  return j[family];
}

nn::StateDict state_of(const Json& state) {
  nn::StateDict out;
  for (const auto& [key, value] : state.items()) out.insert(key, golden_tensor(value));
  return out;
}

std::unique_ptr<nn::BatchNorm> make_batch_norm(const Json& c, DType dtype) {
  const nn::BatchNormOptions options{
      .eps = c["eps"].get<double>(),
      .momentum = c["momentum"].is_null() ? std::nullopt : std::optional<double>(c["momentum"].get<double>()),
      .affine = c["affine"].get<bool>(),
      .track_running_stats = c["track_running_stats"].get<bool>(),
      .dtype = dtype};
  const int64_t features = c["num_features"].get<int64_t>();
  if (c["module"] == "BatchNorm2d") return std::make_unique<nn::BatchNorm2d>(features, options);
  return std::make_unique<nn::BatchNorm1d>(features, options);
}

// Forward s["x"] through `module` in `dtype`, backward s["g"], and compare with PyTorch.
// float64 is compared with relative error (floor kFloor), float32 with absolute error for
// values below 1.
void expect_matches(nn::Module& module, const Tensor& weight, const Tensor& bias, const Json& s, DType dtype,
                    double tol) {
  const double floor = dtype == float64 ? kFloor : 1.0;
  Tensor x = golden_tensor(s["x"]).to(dtype).requires_grad_();
  module.zero_grad();
  Tensor y = module.forward(x);
  EXPECT_EQ(y.dtype(), dtype);
  EXPECT_LT(max_relative_error(y, golden_tensor(s["y"]), floor), tol);
  y.backward(golden_tensor(s["g"]).to(dtype));
  EXPECT_LT(max_relative_error(x.grad(), golden_tensor(s["grad_x"]), floor), tol);
  if (s.contains("grad_weight")) {
    EXPECT_LT(max_relative_error(weight.grad(), golden_tensor(s["grad_weight"]), floor), tol);
    EXPECT_LT(max_relative_error(bias.grad(), golden_tensor(s["grad_bias"]), floor), tol);
  }
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Batch norm composed from Tensor ops, for (N, C, *) input: the readable reference.
Tensor reference_batch_norm(const Tensor& x, const Tensor& w, const Tensor& b, double eps) {
  Shape dims = {0}, per_channel(static_cast<size_t>(x.ndim()), 1);
  for (int64_t d = 2; d < x.ndim(); ++d) dims.push_back(d);
  per_channel[1] = x.size(1);
  const Tensor mean = x.mean(dims, true), var = x.var(dims, 0, true);
  return (x - mean) / (var + eps).sqrt() * w.view(per_channel) + b.view(per_channel);
}

Tensor reference_layer_norm(const Tensor& x, int64_t k, const Tensor& w, const Tensor& b, double eps) {
  Shape dims;
  for (int64_t d = x.ndim() - k; d < x.ndim(); ++d) dims.push_back(d);
  const Tensor mean = x.mean(dims, true), var = x.var(dims, 0, true);
  return (x - mean) / (var + eps).sqrt() * w + b;
}

}  // namespace

// ---- PyTorch's values --------------------------------------------------------------------------------

TEST(BatchNormGolden, TwoTrainingStepsThenEvalMatchPyTorchInFloat64) {
  for (const Json& c : cases("batch_norm")) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto bn = make_batch_norm(c, float64);
    EXPECT_EQ(bn->to_string(), c["repr"].get<std::string>());
    EXPECT_EQ(bn->state_dict().keys(), c["keys"].get<std::vector<std::string>>());
    bn->load_state_dict(state_of(c["state0"]));  // strict: PyTorch's keys exactly
    for (const Json& step : c["steps"]) expect_matches(*bn, bn->weight, bn->bias, step, float64, 1e-10);
    // Running statistics (updated with the unbiased variance) and the batch count.
    const nn::StateDict state = bn->state_dict();
    for (const auto& [key, value] : c["state"].items()) {
      SCOPED_TRACE(key);
      EXPECT_LT(max_relative_error(state.at(key), golden_tensor(value), kFloor), 1e-10);
    }
    bn->eval();
    expect_matches(*bn, bn->weight, bn->bias, c["eval"], float64, 1e-10);
  }
}

TEST(BatchNormGolden, Float32ModuleMatchesPyTorch) {
  for (const Json& c : cases("batch_norm")) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto bn = make_batch_norm(c, float32);
    bn->load_state_dict(state_of(c["state0"]));
    for (const Json& step : c["steps"]) expect_matches(*bn, bn->weight, bn->bias, step, float32, 1e-4);
    bn->eval();
    expect_matches(*bn, bn->weight, bn->bias, c["eval"], float32, 1e-4);
  }
}

TEST(BatchNormGolden, FunctionalFirstStepMatchesPyTorch) {
  for (const Json& c : cases("batch_norm")) {
    if (!c["affine"].get<bool>() || !c["track_running_stats"].get<bool>() || c["momentum"].is_null()) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    const nn::StateDict s0 = state_of(c["state0"]);
    Tensor rm = s0.at("running_mean").clone(), rv = s0.at("running_var").clone();
    Tensor w = s0.at("weight").clone().requires_grad_(), b = s0.at("bias").clone().requires_grad_();
    const Json& step = c["steps"][0];
    Tensor x = golden_tensor(step["x"]).requires_grad_();
    Tensor y = F::batch_norm(x, rm, rv, w, b, true, c["momentum"].get<double>(), c["eps"].get<double>());
    EXPECT_LT(max_relative_error(y, golden_tensor(step["y"]), kFloor), 1e-10);
    y.backward(golden_tensor(step["g"]));
    EXPECT_LT(max_relative_error(x.grad(), golden_tensor(step["grad_x"]), kFloor), 1e-10);
    EXPECT_LT(max_relative_error(w.grad(), golden_tensor(step["grad_weight"]), kFloor), 1e-10);
    EXPECT_LT(max_relative_error(b.grad(), golden_tensor(step["grad_bias"]), kFloor), 1e-10);
    EXPECT_FALSE(rm.requires_grad());
    EXPECT_GT(max_relative_error(rm, s0.at("running_mean"), kFloor), 1e-3);  // updated in place
  }
}

TEST(LayerNormGolden, MatchesPyTorchInFloat64AndFloat32) {
  for (const Json& c : cases("layer_norm")) {
    SCOPED_TRACE(c["name"].get<std::string>());
    for (DType dtype : {float64, float32}) {
      nn::LayerNorm ln(c["normalized_shape"].get<Shape>(), c["eps"].get<double>(),
                       c["elementwise_affine"].get<bool>(), dtype);
      EXPECT_EQ(ln.to_string(), c["repr"].get<std::string>());
      ln.load_state_dict(state_of(c["state"]));
      expect_matches(ln, ln.weight, ln.bias, c, dtype, dtype == float64 ? 1e-10 : 1e-4);
    }
  }
}

// ---- against the composed reference -------------------------------------------------------------------

TEST(BatchNormReference, FusedOpMatchesComposedOpsOnLargerInputs) {
  manual_seed(7);
  // Long runs (L = 99, 1) exercise the eight-lane sums and their tails; channel means far from
  // zero check the one-pass variance for cancellation.
  for (const Shape& shape : std::vector<Shape>{{6, 5, 9, 11}, {37, 3}, {4, 7, 19}}) {
    SCOPED_TRACE(detail::str("shape ", shape));
    const int64_t C = shape[1];
    Tensor x0 = randn(shape, float64) * 3.0 + 100.0;
    Tensor w0 = rand({C}, float64) + 0.5, b0 = randn({C}, float64), g = randn(shape, float64);
    Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    Tensor xr = x0.clone().requires_grad_(), wr = w0.clone().requires_grad_(), br = b0.clone().requires_grad_();
    Tensor y = F::batch_norm(x, Tensor(), Tensor(), w, b, true, 0.1, 1e-5);
    Tensor yr = reference_batch_norm(xr, wr, br, 1e-5);
    EXPECT_LT(max_relative_error(y, yr, kFloor), 1e-10);
    y.backward(g);
    yr.backward(g);
    EXPECT_LT(max_relative_error(x.grad(), xr.grad(), kFloor), 1e-8);
    EXPECT_LT(max_relative_error(w.grad(), wr.grad(), kFloor), 1e-10);
    EXPECT_LT(max_relative_error(b.grad(), br.grad(), kFloor), 1e-10);
    // float32 stays accurate despite the offset of 100 (statistics accumulate in double).
    Tensor y32 = F::batch_norm(x0.to(float32), Tensor(), Tensor(), w0.to(float32), b0.to(float32), true);
    EXPECT_LT(max_relative_error(y32, yr, 1.0), 2e-4);
  }
}

TEST(LayerNormReference, FusedOpMatchesComposedOpsOnLargerInputs) {
  manual_seed(8);
  for (const auto& [shape, k] : std::vector<std::pair<Shape, int64_t>>{{{5, 7, 37}, 1}, {{6, 4, 13}, 2}}) {
    SCOPED_TRACE(detail::str("shape ", shape, " over the last ", k));
    const Shape normalized(shape.end() - k, shape.end());
    Tensor x0 = randn(shape, float64) * 2.0 - 50.0, g = randn(shape, float64);
    Tensor w0 = rand(normalized, float64) + 0.5, b0 = randn(normalized, float64);
    Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    Tensor xr = x0.clone().requires_grad_(), wr = w0.clone().requires_grad_(), br = b0.clone().requires_grad_();
    Tensor y = F::layer_norm(x, normalized, w, b);
    Tensor yr = reference_layer_norm(xr, k, wr, br, 1e-5);
    EXPECT_LT(max_relative_error(y, yr, kFloor), 1e-10);
    y.backward(g);
    yr.backward(g);
    EXPECT_LT(max_relative_error(x.grad(), xr.grad(), kFloor), 1e-8);
    EXPECT_LT(max_relative_error(w.grad(), wr.grad(), kFloor), 1e-10);
    EXPECT_LT(max_relative_error(b.grad(), br.grad(), kFloor), 1e-10);
  }
}

// ---- finite differences ------------------------------------------------------------------------------

TEST(BatchNormGradcheck, TrainingModeInputWeightAndBias) {
  manual_seed(3);
  for (const Shape& shape : std::vector<Shape>{{3, 2, 2, 3}, {5, 3}, {2, 3, 4}, {2, 2, 9}}) {
    SCOPED_TRACE(detail::str("shape ", shape));
    Tensor x = randn(shape, float64) * 2.0 + 1.0, w = rand({shape[1]}, float64) + 0.5, b = randn({shape[1]}, float64);
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) {
      return F::batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true, 0.1, 1e-5);
    }, {x, w, b}).ok);
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) {
      return F::batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-3);
    }, {x}).ok);
  }
  // A transposed (non-contiguous) input, and running statistics updated on every evaluation.
  Tensor rm = zeros({4}, float64), rv = ones({4}, float64);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) {
    return F::batch_norm(in[0].transpose(0, 2), rm, rv, in[1], Tensor(), true);
  }, {randn({2, 4, 3}, float64), rand({4}, float64) + 0.5}).ok);
}

TEST(BatchNormGradcheck, EvalModeUsesRunningStatistics) {
  manual_seed(4);
  Tensor rm = randn({3}, float64), rv = rand({3}, float64) + 0.5;
  Tensor x = randn({4, 3, 2, 2}, float64), w = randn({3}, float64), b = randn({3}, float64);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) {
    return F::batch_norm(in[0], rm, rv, in[1], in[2], false, 0.1, 1e-5);
  }, {x, w, b}).ok);
}

TEST(LayerNormGradcheck, LastOneAndTwoDimsWithAndWithoutAffine) {
  manual_seed(5);
  Tensor x = randn({2, 3, 4}, float64) * 2.0 + 0.5;
  Tensor w1 = rand({4}, float64) + 0.5, b1 = randn({4}, float64);
  Tensor w2 = rand({3, 4}, float64) + 0.5, b2 = randn({3, 4}, float64);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {4}, in[1], in[2]); },
                        {x, w1, b1}).ok);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {3, 4}, in[1], in[2]); },
                        {x, w2, b2}).ok);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {3, 4}); }, {x}).ok);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {4}, in[1]); }, {x, w1}).ok);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {4}, Tensor(), in[1]); },
                        {x, b1}).ok);
  // A permuted input: the op reads it through contiguous().
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) {
    return F::layer_norm(in[0].permute({2, 0, 1}), {2, 3}, in[1], in[2]);
  }, {x, rand({2, 3}, float64), randn({2, 3}, float64)}).ok);
}

// ---- the modules -----------------------------------------------------------------------------------------

TEST(BatchNormModule, NamesShapesBuffersAndPrinting) {
  nn::BatchNorm2d bn(6);
  EXPECT_EQ(bn.to_string(), "BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_EQ(bn.state_dict().keys(), (std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                                              "num_batches_tracked"}));
  EXPECT_EQ(bn.parameters().size(), 2u);
  EXPECT_EQ(bn.buffers().size(), 3u);
  EXPECT_EQ(bn.weight.to_vector<float>(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(bn.bias.to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(bn.running_mean.to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(bn.running_var.to_vector<float>(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(bn.num_batches_tracked.dtype(), DType::Int64);
  EXPECT_EQ(bn.num_batches_tracked.ndim(), 0);
  EXPECT_FALSE(bn.running_mean.requires_grad());

  nn::BatchNorm1d cma(4, {.eps = 1e-3, .momentum = std::nullopt, .affine = false});
  EXPECT_EQ(cma.to_string(), "BatchNorm1d(4, eps=0.001, momentum=None, affine=False, track_running_stats=True)");
  EXPECT_EQ(cma.state_dict().keys(), (std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"}));
  nn::BatchNorm2d untracked(3, {.track_running_stats = false});
  EXPECT_EQ(untracked.state_dict().keys(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_FALSE(untracked.running_mean.defined());

  // Inside a model the keys are dotted, as PyTorch's.
  nn::Sequential net;
  net.push_back(std::make_shared<nn::BatchNorm1d>(3));
  EXPECT_TRUE(net.state_dict().contains("0.num_batches_tracked"));
}

TEST(BatchNormModule, TrainingUsesBatchStatisticsAndUpdatesRunningOnes) {
  manual_seed(9);
  nn::BatchNorm2d bn(3, {.momentum = 0.25});
  Tensor x = randn({8, 3, 5, 5}) * 2.0f + 3.0f;
  Tensor y = bn.forward(x);
  // Each channel of the output has mean 0 and (biased) variance 1 / (1 + eps / var).
  const std::vector<float> mean = y.mean({0, 2, 3}).to_vector<float>(), var = y.var({0, 2, 3}, 0).to_vector<float>();
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(mean[c], 0.0f, 1e-5f);
    EXPECT_NEAR(var[c], 1.0f, 1e-4f);
  }
  // running = 0.75 * running + 0.25 * batch, with the unbiased variance.
  const Tensor batch_mean = x.mean({0, 2, 3}), batch_var = x.var({0, 2, 3}, 1);
  EXPECT_LT(max_relative_error(bn.running_mean, batch_mean * 0.25, 1.0), 1e-6);
  EXPECT_LT(max_relative_error(bn.running_var, batch_var * 0.25 + 0.75, 1.0), 1e-6);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  bn.forward(x);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 2);
}

TEST(BatchNormModule, EvalUsesRunningStatisticsAndLeavesThemAlone) {
  nn::BatchNorm1d bn(2);
  {
    NoGradGuard no_grad;
    bn.running_mean.copy_(tensor({1.0f, -2.0f}));
    bn.running_var.copy_(tensor({4.0f, 0.25f}));
    bn.weight.copy_(tensor({2.0f, 1.0f}));
    bn.bias.copy_(tensor({0.5f, 0.0f}));
  }
  bn.eval();
  // A batch of one is fine in eval mode.
  Tensor y = bn.forward(tensor(std::vector<float>{3.0f, -1.0f}, {1, 2}));
  const float eps = 1e-5f;
  EXPECT_NEAR(y.to_vector<float>()[0], (3.0f - 1.0f) / std::sqrt(4.0f + eps) * 2.0f + 0.5f, 1e-6f);
  EXPECT_NEAR(y.to_vector<float>()[1], (-1.0f + 2.0f) / std::sqrt(0.25f + eps), 1e-5f);
  EXPECT_EQ(bn.running_mean.to_vector<float>(), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 0);
  // Without running statistics, eval mode normalises with the batch's.
  nn::BatchNorm1d untracked(2, {.track_running_stats = false});
  untracked.eval();
  Tensor z = untracked.forward(tensor(std::vector<float>{1, 10, 3, 20}, {2, 2}));
  EXPECT_LT(max_relative_error(z, tensor(std::vector<float>{-1, -1, 1, 1}, {2, 2}), 1.0), 1e-4);
}

TEST(BatchNormModule, MomentumNoneIsTheCumulativeAverage) {
  manual_seed(10);
  nn::BatchNorm1d bn(3, {.momentum = std::nullopt});
  Tensor sum_means = zeros({3});
  for (int step = 1; step <= 4; ++step) {
    Tensor x = randn({6, 3}) + static_cast<float>(step);
    sum_means = sum_means + x.mean(0);
    bn.forward(x);
    EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), step);
    EXPECT_LT(max_relative_error(bn.running_mean, sum_means / static_cast<double>(step), 1.0), 1e-6);
  }
}

TEST(LayerNormModule, NamesShapesPrintingAndModes) {
  nn::LayerNorm ln({10});
  EXPECT_EQ(ln.to_string(), "LayerNorm((10,), eps=1e-05, elementwise_affine=True)");
  EXPECT_EQ(ln.state_dict().keys(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(ln.weight.shape(), (Shape{10}));
  nn::LayerNorm ln2({3, 4}, 1e-6, false);
  EXPECT_EQ(ln2.to_string(), "LayerNorm((3, 4), eps=1e-06, elementwise_affine=False)");
  EXPECT_TRUE(ln2.state_dict().empty());
  // Same result in training and eval mode.
  Tensor x = randn({2, 3, 4});
  const std::vector<float> train = ln2.forward(x).to_vector<float>();
  ln2.eval();
  EXPECT_EQ(ln2.forward(x).to_vector<float>(), train);
}

// ---- determinism ---------------------------------------------------------------------------------------

TEST(NormalizationThreads, BitIdenticalOnOneAndTwoThreads) {
  const int saved = get_num_threads();
  auto run = [](int threads) {
    set_num_threads(threads);
    manual_seed(21);
    nn::BatchNorm2d bn(16);
    nn::LayerNorm ln({384});
    Tensor x = (randn({8, 16, 24, 24}) * 3.0f + 2.0f).requires_grad_();
    Tensor h = (randn({96, 384}) - 1.0f).requires_grad_();
    Tensor y = bn.forward(x), z = ln.forward(h);
    ((y * y).sum() + (z * z * z).sum()).backward();
    std::vector<std::vector<float>> out;
    for (const Tensor& t : {y, x.grad(), bn.weight.grad(), bn.bias.grad(), bn.running_mean, bn.running_var, z,
                            h.grad(), ln.weight.grad(), ln.bias.grad()})
      out.push_back(t.to_vector<float>());
    return out;
  };
  const auto one = run(1), two = run(2);
  set_num_threads(saved);
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) EXPECT_EQ(one[i], two[i]) << "result " << i;
}

// ---- batch norm + ReLU, fused ----------------------------------------------------------------------------

// relu(batch_norm(x)) as two ops and as batch_norm_relu: outputs, running statistics and the three
// gradients, bit for bit, in training and eval mode, float32 and float64, with exact zeros in the
// input (relu'(0) = 0 at outputs that are exactly 0).
template <typename T>
void expect_fused_batch_norm_relu_bit_identical(DType dtype, bool training) {
  SCOPED_TRACE(detail::str(dtype, training ? " training" : " eval"));
  manual_seed(31);
  Tensor x0 = randn({6, 5, 7, 9}, dtype) * 2.0 + 0.3;
  x0.narrow(3, 0, 2).zero_();
  const Tensor w0 = rand({5}, dtype) + 0.5, b0 = randn({5}, dtype), g = randn({6, 5, 7, 9}, dtype);
  std::vector<std::vector<T>> results[2];
  for (int fused = 0; fused < 2; ++fused) {
    Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    Tensor rm = full({5}, 0.25, dtype), rv = full({5}, 1.5, dtype);
    Tensor y = fused ? F::batch_norm_relu(x, rm, rv, w, b, training, 0.1, 1e-5)
                     : F::batch_norm(x, rm, rv, w, b, training, 0.1, 1e-5).relu();
    (y * g).sum().backward();
    for (const Tensor& t : {y, rm, rv, x.grad(), w.grad(), b.grad()}) results[fused].push_back(t.to_vector<T>());
  }
  for (size_t i = 0; i < results[0].size(); ++i) EXPECT_EQ(results[0][i], results[1][i]) << "result " << i;
  EXPECT_GT(std::count(results[1][0].begin(), results[1][0].end(), T(0)), 100);  // the ReLU did clip
}

TEST(BatchNormRelu, BitIdenticalToBatchNormThenRelu) {
  for (bool training : {true, false}) {
    expect_fused_batch_norm_relu_bit_identical<float>(float32, training);
    expect_fused_batch_norm_relu_bit_identical<double>(float64, training);
  }
}

TEST(BatchNormRelu, GradcheckAndTheModulesUseIt) {
  manual_seed(32);
  Tensor x = randn({4, 3, 3, 2}, float64) * 2.0, w = rand({3}, float64) + 0.5, b = randn({3}, float64);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) {
    return F::batch_norm_relu(in[0], Tensor(), Tensor(), in[1], in[2], true, 0.1, 1e-5);
  }, {x, w, b}).ok);
  // BatchNorm2d::forward_relu, and Sequential running a BatchNorm and the ReLU after it as one op
  // (a ReLU after anything else stays its own op).
  nn::BatchNorm2d bn(3, {.dtype = float64});
  Tensor input = randn({4, 3, 3, 2}, float64).requires_grad_();
  EXPECT_EQ(bn.forward_relu(input).grad_fn()->name, "NativeBatchNormReluBackward");
  nn::Sequential seq{std::make_shared<nn::BatchNorm2d>(3, nn::BatchNormOptions{.dtype = float64}),
                     std::make_shared<nn::ReLU>()};
  Tensor y = seq.forward(input);
  EXPECT_EQ(y.grad_fn()->name, "NativeBatchNormReluBackward");
  EXPECT_EQ(y.to_vector<double>(), bn.forward(input).relu().to_vector<double>());
  nn::Sequential plain{std::make_shared<nn::Identity>(), std::make_shared<nn::ReLU>()};
  EXPECT_EQ(plain.forward(input).grad_fn()->name, "ReluBackward");
}

// ---- errors ---------------------------------------------------------------------------------------------

TEST(NormalizationErrors, ShapesRanksBatchOfOneAndOptions) {
  nn::BatchNorm2d bn(6);
  std::string m = message_of([&] { bn.forward(zeros({2, 5, 4, 4})); });
  EXPECT_TRUE(contains(m, "6 channels") && contains(m, "[2, 5, 4, 4]")) << m;
  m = message_of([&] { bn.forward(zeros({6, 4, 4})); });
  EXPECT_TRUE(contains(m, "BatchNorm2d: expected 4-D input") && contains(m, "[6, 4, 4]")) << m;
  nn::BatchNorm1d bn1(3);
  m = message_of([&] { bn1.forward(zeros({2, 3, 4, 4})); });
  EXPECT_TRUE(contains(m, "expected 2-D or 3-D input") && contains(m, "[2, 3, 4, 4]")) << m;
  m = message_of([&] { bn1.forward(zeros({1, 3})); });
  EXPECT_TRUE(contains(m, "Expected more than 1 value per channel when training") && contains(m, "[1, 3]")) << m;
  EXPECT_EQ(bn1.num_batches_tracked.item<int64_t>(), 1);  // PyTorch counts before it checks, as here
  m = message_of([&] { bn.forward(zeros({4, 6, 2, 2}, float64)); });
  EXPECT_TRUE(contains(m, "float32") && contains(m, "float64")) << m;

  EXPECT_TRUE(contains(message_of([] { nn::BatchNorm2d(0); }), "num_features must be positive, got 0"));
  EXPECT_TRUE(contains(message_of([] { nn::BatchNorm1d(3, {.eps = -1.0}); }), "eps must be finite and non-negative"));
  EXPECT_TRUE(contains(message_of([] { nn::BatchNorm1d(3, {.momentum = 1.5}); }), "momentum must lie in [0, 1], got 1.5"));
  EXPECT_TRUE(contains(message_of([] { nn::BatchNorm1d(3, {.dtype = DType::Int64}); }), "dtype"));
  EXPECT_TRUE(contains(message_of([] { nn::LayerNorm({}); }), "normalized_shape"));
  EXPECT_TRUE(contains(message_of([] { nn::LayerNorm({4, 0}); }), "[4, 0]"));
  EXPECT_TRUE(contains(message_of([] { nn::LayerNorm({4}, -1e-5); }), "eps"));
}

TEST(NormalizationErrors, FunctionalArguments) {
  Tensor x = randn({4, 3, 2});
  std::string m = message_of([&] { F::batch_norm(x, Tensor(), Tensor(), ones({4}), Tensor(), true); });
  EXPECT_TRUE(contains(m, "weight of shape [4]") && contains(m, "[4, 3, 2]")) << m;
  m = message_of([&] { F::batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false); });
  EXPECT_TRUE(contains(m, "required when not training")) << m;
  m = message_of([&] { F::batch_norm(x, zeros({3}), Tensor(), Tensor(), Tensor(), true); });
  EXPECT_TRUE(contains(m, "both defined")) << m;
  m = message_of([&] { F::batch_norm(zeros({5}), Tensor(), Tensor(), Tensor(), Tensor(), true); });
  EXPECT_TRUE(contains(m, "at least 2 dims") && contains(m, "[5]")) << m;
  m = message_of([&] { F::batch_norm(zeros({1, 3, 1}), Tensor(), Tensor(), Tensor(), Tensor(), true); });
  EXPECT_TRUE(contains(m, "more than 1 value per channel")) << m;
  m = message_of([&] { F::layer_norm(x, {3}); });
  EXPECT_TRUE(contains(m, "[4, 3, 2]") && contains(m, "normalized_shape [3]")) << m;
  m = message_of([&] { F::layer_norm(x, {3, 2}, ones({2, 3})); });
  EXPECT_TRUE(contains(m, "weight of shape [2, 3]") && contains(m, "[3, 2]")) << m;
  m = message_of([&] { F::layer_norm(zeros({2, 2}, DType::Int64), {2}); });
  EXPECT_TRUE(contains(m, "floating-point")) << m;
}
