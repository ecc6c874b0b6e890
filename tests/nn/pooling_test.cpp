// Pooling ops and layers: max, average and adaptive average pooling in 1-D/2-D/3-D against
// PyTorch's float64 outputs, argmax indices and gradients (scripts/golden/nn_conv.py, including
// ties, ceil_mode, padding, count_include_pad and divisor_override), the layers' printed forms,
// finite-difference gradchecks of every op, PyTorch's tie and NaN rules, bit-identical results for
// any thread count, and the errors for bad shapes and options.
#include <nabla/nabla.hpp>
#include <nabla/nn/cnn.hpp>

#include "conv_golden.hpp"
#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>

using nabla::testing::message_of;

using namespace nabla;
namespace F = nabla::nn::functional;
using nabla::testing::golden;
using nabla::testing::golden_sizes;
using nabla::testing::golden_tensor;
using nabla::testing::max_relative_error;

namespace {

using Json = nlohmann::json;

template <size_t D>
nn::OptionalExpandingArray<D> stride(const Json& j) {
  if (j.is_null()) return {};
  return golden_sizes<D>(j);
}

std::optional<int64_t> divisor(const Json& c) {
  if (c["divisor_override"].is_null()) return std::nullopt;
  return c["divisor_override"].get<int64_t>();
}

// The layer of a golden case, built from options structs as a user would.
template <size_t D>
std::shared_ptr<nn::Module> pool_module(const std::string& kind, const Json& c) {
  if (kind == "max_pool")
    return std::make_shared<nn::MaxPoolNd<D>>(nn::MaxPoolOptions<D>{
        .kernel_size = golden_sizes<D>(c["kernel_size"]), .stride = stride<D>(c["stride"]),
        .padding = golden_sizes<D>(c["padding"]), .dilation = golden_sizes<D>(c["dilation"]),
        .ceil_mode = c["ceil_mode"].get<bool>()});
  if (kind == "avg_pool")
    return std::make_shared<nn::AvgPoolNd<D>>(nn::AvgPoolOptions<D>{
        .kernel_size = golden_sizes<D>(c["kernel_size"]), .stride = stride<D>(c["stride"]),
        .padding = golden_sizes<D>(c["padding"]), .ceil_mode = c["ceil_mode"].get<bool>(),
        .count_include_pad = c["count_include_pad"].get<bool>(), .divisor_override = divisor(c)});
  const Json& size = c["output_size"];
  if (size.is_number()) return std::make_shared<nn::AdaptiveAvgPoolNd<D>>(size.get<int64_t>());
  std::array<std::optional<int64_t>, D> out{};
  for (size_t i = 0; i < D; ++i)
    if (!size[i].is_null()) out[i] = size[i].get<int64_t>();
  return std::make_shared<nn::AdaptiveAvgPoolNd<D>>(out);
}

std::shared_ptr<nn::Module> make_module(const std::string& kind, const Json& c) {
  switch (c["dims"].get<int>()) {
    case 1: return pool_module<1>(kind, c);
    case 2: return pool_module<2>(kind, c);
    default: return pool_module<3>(kind, c);
  }
}

template <size_t D>
std::pair<Tensor, Tensor> max_pool_nd(const Json& c, const Tensor& x) {
  const auto k = golden_sizes<D>(c["kernel_size"]), p = golden_sizes<D>(c["padding"]), d = golden_sizes<D>(c["dilation"]);
  const auto s = stride<D>(c["stride"]);
  const bool ceil = c["ceil_mode"].get<bool>();
  if constexpr (D == 1) return F::max_pool1d_with_indices(x, k, s, p, d, ceil);
  if constexpr (D == 2) return F::max_pool2d_with_indices(x, k, s, p, d, ceil);
  if constexpr (D == 3) return F::max_pool3d_with_indices(x, k, s, p, d, ceil);
}

std::pair<Tensor, Tensor> max_pool_with_indices(const Json& c, const Tensor& x) {
  switch (c["dims"].get<int>()) {
    case 1: return max_pool_nd<1>(c, x);
    case 2: return max_pool_nd<2>(c, x);
    default: return max_pool_nd<3>(c, x);
  }
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool grad_ok(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const Tensor& x) {
  return gradcheck(fn, {x}).ok;
}

// For every golden case of `kind`: the module prints as PyTorch's, and its float64 output and
// input gradient match to 1e-10; `extra` checks more (the indices).
void check_golden(const char* kind, const std::function<void(const Json&, const Tensor&)>& extra = {}) {
  ASSERT_GE(nabla::testing::conv_golden_cases(kind).size(), 8u);
  for (const Json& c : nabla::testing::conv_golden_cases(kind)) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::shared_ptr<nn::Module> m = make_module(kind, c);
    EXPECT_EQ(m->to_string(), c["repr"].get<std::string>());
    EXPECT_TRUE(m->state_dict().empty());
    Tensor x = golden_tensor(c["x"]).requires_grad_();
    Tensor y = m->forward(x);
    ASSERT_EQ(y.shape(), golden_tensor(c["y"]).shape());
    EXPECT_LT(max_relative_error(y, golden_tensor(c["y"]), 1.0), 1e-10);
    y.backward(golden_tensor(c["g"]));
    EXPECT_LT(max_relative_error(x.grad(), golden_tensor(c["grad_x"]), 1.0), 1e-10);
    if (extra) extra(c, x.detach());
  }
}

}  // namespace

// ---- PyTorch's values ----------------------------------------------------------------------------

TEST(PoolingGolden, MaxPoolingValuesIndicesAndGradients) {
  check_golden("max_pool", [](const Json& c, const Tensor& x) {
    const auto [y, indices] = max_pool_with_indices(c, x);
    EXPECT_EQ(indices.dtype(), int64);
    EXPECT_EQ(indices.to(float64).to_vector<double>(), golden_tensor(c["indices"]).to_vector<double>());
    EXPECT_EQ(y.to_vector<double>(), golden_tensor(c["y"]).to_vector<double>());  // a max is exact
  });
}

TEST(PoolingGolden, AveragePoolingValuesAndGradients) { check_golden("avg_pool"); }
TEST(PoolingGolden, AdaptiveAveragePoolingValuesAndGradients) { check_golden("adaptive_avg_pool"); }

// ---- finite differences --------------------------------------------------------------------------

TEST(PoolingGradcheck, MaxPooling) {
  manual_seed(31);  // random inputs: no ties, so the max is differentiable
  EXPECT_TRUE(
      grad_ok([](const auto& in) { return F::max_pool1d(in[0], 3, 2, 1, 1, true); }, randn({2, 2, 9}, float64)));
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::max_pool2d(in[0], {2, 3}, {1, 2}, 1, 2, true); },
                      randn({1, 2, 6, 7}, float64)));
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::max_pool3d(in[0], 2, {}, {1, 0, 1}); },
                      randn({1, 2, 3, 4, 5}, float64)));
}

TEST(PoolingGradcheck, AveragePooling) {
  manual_seed(32);
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::avg_pool1d(in[0], 3, 2, 1, true, false); },
                      randn({2, 2, 8}, float64)));
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::avg_pool2d(in[0], 3, 2, 1, true, true); },
                      randn({1, 2, 6, 6}, float64)));
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::avg_pool2d(in[0], 2, 1, 1, false, true, 3); },
                      randn({2, 4, 3}, float64)));  // unbatched, divisor_override
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::avg_pool3d(in[0], {2, 3, 2}, 2, 1, true, false); },
                      randn({1, 1, 4, 5, 4}, float64)));
}

TEST(PoolingGradcheck, AdaptiveAveragePooling) {
  manual_seed(33);
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::adaptive_avg_pool1d(in[0], 4); }, randn({2, 2, 7}, float64)));
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::adaptive_avg_pool2d(in[0], {3, std::nullopt}); },
                      randn({1, 2, 7, 3}, float64)));
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::adaptive_avg_pool2d(in[0], {4, 5}); },
                      randn({1, 1, 3, 3}, float64)));  // more outputs than inputs: windows overlap
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::adaptive_avg_pool3d(in[0], {2, 3, 2}); },
                      randn({1, 1, 3, 5, 4}, float64)));
}

// ---- PyTorch's rules at ties, NaN and -inf -------------------------------------------------------

TEST(MaxPoolRules, FirstMaximumOfAWindowTakesTheGradient) {
  // All equal: each 2x2 window (stride 1) routes its gradient to its top-left element.
  Tensor x = ones({1, 1, 4, 4}, float64).requires_grad_();
  F::max_pool2d(x, 2, 1).sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(),
            (std::vector<double>{1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0}));
  // [0, 5, 5, 1] with windows of 3, stride 1: both windows pick index 1, the first 5.
  const auto [y, indices] = F::max_pool1d_with_indices(tensor(std::vector<float>{0, 5, 5, 1}, {1, 1, 4}), 3, 1);
  EXPECT_EQ(indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 1}));
}

TEST(MaxPoolRules, NaNWinsAndMinusInfinityKeepsTheFirstPosition) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const auto [y, indices] = F::max_pool1d_with_indices(tensor(std::vector<float>{1, nan, 3, 4, -inf, -inf}, {1, 6}), 2);
  const std::vector<float> v = y.to_vector<float>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], 4.0f);
  EXPECT_EQ(v[2], -inf);
  EXPECT_EQ(indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 4}));
  // Padding is -inf and never wins: a window over [pad, -inf] picks the input position.
  const auto [y2, i2] = F::max_pool1d_with_indices(tensor(std::vector<float>{-inf, 2}, {1, 2}), 2, 2, 1);
  EXPECT_EQ(i2.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
}

// ---- the layers ----------------------------------------------------------------------------------

TEST(PoolingModule, OptionsDefaultsAndPrinting) {
  EXPECT_EQ(nn::MaxPool2d(2).to_string(), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  EXPECT_EQ(nn::MaxPool2d({3, 2}).to_string(),
            "MaxPool2d(kernel_size=(3, 2), stride=(3, 2), padding=0, dilation=1, ceil_mode=False)");
  nn::MaxPool2d overlap(nn::MaxPool2dOptions{.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true});
  EXPECT_EQ(overlap.to_string(), "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)");
  EXPECT_EQ(overlap.forward(zeros({2, 4, 8, 8})).shape(), (Shape{2, 4, 5, 5}));
  EXPECT_EQ(nn::AvgPool1d(3).to_string(), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))");
  EXPECT_EQ(nn::AvgPool2d({2, 3}, {1, 2}, 1, true, false).to_string(),
            "AvgPool2d(kernel_size=(2, 3), stride=(1, 2), padding=1)");
  EXPECT_EQ(nn::AvgPool3d(2).forward(zeros({1, 2, 4, 4, 5})).shape(), (Shape{1, 2, 2, 2, 2}));
  EXPECT_EQ(nn::AdaptiveAvgPool2d({std::nullopt, 7}).to_string(), "AdaptiveAvgPool2d(output_size=(None, 7))");
  nn::AdaptiveAvgPool2d gap(1);
  EXPECT_EQ(gap.to_string(), "AdaptiveAvgPool2d(output_size=1)");
  EXPECT_EQ(gap.forward(zeros({3, 8, 5, 6})).shape(), (Shape{3, 8, 1, 1}));
  EXPECT_EQ(gap.forward(zeros({8, 5, 6})).shape(), (Shape{8, 1, 1}));  // unbatched
  nn::MaxPool1d pool(2);
  const auto [y, indices] = pool.forward_with_indices(tensor(std::vector<float>{3, 1, 2, 7}, {1, 1, 4}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 7}));
  EXPECT_EQ(indices.to_vector<int64_t>(), (std::vector<int64_t>{0, 3}));
}

TEST(PoolingModule, LeNetFeatureShapes) {
  nn::Conv2d c1(1, 6, 5, 1, 2), c2(6, 16, 5);
  nn::MaxPool2d pool(2);
  Tensor x = randn({4, 1, 28, 28});
  Tensor h = pool.forward(c1.forward(x).relu());
  EXPECT_EQ(h.shape(), (Shape{4, 6, 14, 14}));
  h = pool.forward(c2.forward(h).relu());
  EXPECT_EQ(h.shape(), (Shape{4, 16, 5, 5}));
}

TEST(PoolingModule, ResultsAreBitIdenticalForAnyThreadCount) {
  const int saved = get_num_threads();
  manual_seed(34);
  const Tensor x = randn({6, 5, 17, 15});
  std::vector<std::vector<float>> runs;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    Tensor xi = x.clone().requires_grad_();
    Tensor y = F::max_pool2d(xi, 3, 2, 1).sum() + F::avg_pool2d(xi, 3, 2, 1, true, false).square().sum() +
               F::adaptive_avg_pool2d(xi, {4, 5}).square().sum();
    y.backward();
    std::vector<float> all = xi.grad().to_vector<float>();
    all.push_back(y.item<float>());
    runs.push_back(all);
  }
  set_num_threads(saved);
  for (size_t i = 1; i < runs.size(); ++i)
    EXPECT_EQ(0, std::memcmp(runs[0].data(), runs[i].data(), runs[0].size() * sizeof(float))) << "run " << i;
}

// ---- errors --------------------------------------------------------------------------------------

TEST(PoolingErrors, WrongRanksAndEmptyInputsNameTheShapes) {
  std::string msg = message_of([] { F::max_pool2d(zeros({5}), 2); });
  EXPECT_TRUE(contains(msg, "max_pool2d: expected a 3-D (unbatched) or 4-D (batched) input, got shape [5]")) << msg;
  msg = message_of([] { nn::AvgPool1d(2).forward(zeros({1, 2, 3, 4})); });
  EXPECT_TRUE(contains(msg, "avg_pool1d") && contains(msg, "[1, 2, 3, 4]")) << msg;
  msg = message_of([] { F::adaptive_avg_pool3d(zeros({2, 3}), 1); });
  EXPECT_TRUE(contains(msg, "adaptive_avg_pool3d") && contains(msg, "[2, 3]")) << msg;
  msg = message_of([] { F::max_pool2d(zeros({1, 1, 0, 4}), 2); });
  EXPECT_TRUE(contains(msg, "expected non-empty spatial dims, got input shape [1, 1, 0, 4]")) << msg;
  msg = message_of([] { F::avg_pool2d(zeros({1, 1, 4, 4}, int64), 2); });
  EXPECT_TRUE(contains(msg, "int64")) << msg;
}

TEST(PoolingErrors, KernelLargerThanThePaddedInput) {
  std::string msg = message_of([] { F::max_pool2d(zeros({1, 1, 2, 5}), 3); });
  EXPECT_TRUE(contains(msg, "kernel of size [3, 3] (dilated [3, 3]) is larger than the padded input of size [2, 5]") &&
              contains(msg, "input shape [1, 1, 2, 5]"))
      << msg;
  msg = message_of([] { F::avg_pool1d(zeros({1, 3}), 4, 1, 0); });
  EXPECT_TRUE(contains(msg, "kernel of size [4] ([4]) is larger than the padded input of size [3]")) << msg;
  // Dilation 3 with padding 1 on 2 inputs: the one window reads positions -1 and 2, both outside.
  msg = message_of([] { F::max_pool1d(zeros({1, 2}), 2, 1, 1, 3); });
  EXPECT_TRUE(contains(msg, "window 0 of spatial dim 0 covers only padding; input shape [1, 2]")) << msg;
}

TEST(PoolingErrors, BadOptionsQuoteTheValue) {
  std::string msg = message_of([] { F::max_pool2d(zeros({1, 1, 6, 6}), 3, 1, 2); });
  EXPECT_TRUE(contains(msg, "padding must be at most half the kernel size, got padding [2, 2] and kernel_size [3, 3]"))
      << msg;
  msg = message_of([] { nn::AvgPool2d(3, 1, 2); });
  EXPECT_TRUE(contains(msg, "AvgPool2d: padding must be at most half the kernel size, got padding 2")) << msg;
  msg = message_of([] { nn::MaxPool1d(0); });
  EXPECT_TRUE(contains(msg, "MaxPool1d: kernel_size must be positive, got 0")) << msg;
  msg = message_of([] { nn::MaxPool2d(2, {1, 0}); });
  EXPECT_TRUE(contains(msg, "MaxPool2d: stride must be positive, got (1, 0)")) << msg;
  msg = message_of([] { nn::AvgPool2d(nn::AvgPool2dOptions{.kernel_size = 2, .divisor_override = 0}); });
  EXPECT_TRUE(contains(msg, "divisor_override must be positive, got 0")) << msg;
  msg = message_of([] { F::avg_pool2d(zeros({1, 4, 4}), 2, {}, 0, false, true, -1); });
  EXPECT_TRUE(contains(msg, "divisor_override must be positive, got -1")) << msg;
  msg = message_of([] { nn::AdaptiveAvgPool2d({3, -1}); });
  EXPECT_TRUE(contains(msg, "output sizes must be non-negative")) << msg;
  msg = message_of([] { nn::MaxPool3d({2, 2}); });
  EXPECT_TRUE(contains(msg, "expected 3 sizes (one per spatial dim), got [2, 2]")) << msg;
}
