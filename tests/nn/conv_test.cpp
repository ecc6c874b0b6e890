// Convolution ops and layers: functional conv1d/2d/3d and conv_transpose1d/2d/3d against PyTorch's
// float64 outputs and gradients (scripts/golden/nn_conv.py), the layers with PyTorch's weights
// loaded through load_state_dict and printed as PyTorch prints them, finite-difference gradchecks
// of every op, PyTorch's default initialisation, bit-identical results for any thread count, and
// the errors for bad shapes and options.
#include <nabla/nabla.hpp>
#include <nabla/nn/cnn.hpp>

#include "conv_golden.hpp"
#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
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
nn::ConvPadding<D> padding(const Json& j) {
  if (j.is_string()) return nn::ConvPadding<D>(j.get<std::string>());
  return golden_sizes<D>(j);
}

// The functional op of case c on (x, w, b).
template <size_t D>
Tensor conv_op(const Json& c, bool transposed, const Tensor& x, const Tensor& w, const Tensor& b) {
  const int64_t groups = c["groups"].get<int64_t>();
  if (transposed) {
    const auto s = golden_sizes<D>(c["stride"]), p = golden_sizes<D>(c["padding"]), op = golden_sizes<D>(c["output_padding"]);
    const auto d = golden_sizes<D>(c["dilation"]);
    if constexpr (D == 1) return F::conv_transpose1d(x, w, b, s, p, op, groups, d);
    if constexpr (D == 2) return F::conv_transpose2d(x, w, b, s, p, op, groups, d);
    if constexpr (D == 3) return F::conv_transpose3d(x, w, b, s, p, op, groups, d);
  }
  const auto s = golden_sizes<D>(c["stride"]), d = golden_sizes<D>(c["dilation"]);
  const auto p = padding<D>(c["padding"]);
  if constexpr (D == 1) return F::conv1d(x, w, b, s, p, d, groups);
  if constexpr (D == 2) return F::conv2d(x, w, b, s, p, d, groups);
  if constexpr (D == 3) return F::conv3d(x, w, b, s, p, d, groups);
}

Tensor run_op(const Json& c, bool transposed, const Tensor& x, const Tensor& w, const Tensor& b) {
  switch (c["dims"].get<int>()) {
    case 1: return conv_op<1>(c, transposed, x, w, b);
    case 2: return conv_op<2>(c, transposed, x, w, b);
    default: return conv_op<3>(c, transposed, x, w, b);
  }
}

// The layer of case c, built with options structs.
template <size_t D>
std::shared_ptr<nn::Module> conv_module(const Json& c, bool transposed) {
  const int64_t in = c["in_channels"].get<int64_t>(), out = c["out_channels"].get<int64_t>();
  const int64_t groups = c["groups"].get<int64_t>();
  const bool bias = c["bias"].get<bool>();
  if (transposed)
    return std::make_shared<nn::ConvTransposeNd<D>>(nn::ConvTransposeOptions<D>{
        .in_channels = in, .out_channels = out, .kernel_size = golden_sizes<D>(c["kernel_size"]),
        .stride = golden_sizes<D>(c["stride"]), .padding = golden_sizes<D>(c["padding"]),
        .output_padding = golden_sizes<D>(c["output_padding"]), .groups = groups, .bias = bias,
        .dilation = golden_sizes<D>(c["dilation"])});
  return std::make_shared<nn::ConvNd<D>>(nn::ConvOptions<D>{
      .in_channels = in, .out_channels = out, .kernel_size = golden_sizes<D>(c["kernel_size"]),
      .stride = golden_sizes<D>(c["stride"]), .padding = padding<D>(c["padding"]), .dilation = golden_sizes<D>(c["dilation"]),
      .groups = groups, .bias = bias});
}

std::shared_ptr<nn::Module> make_module(const Json& c, bool transposed) {
  switch (c["dims"].get<int>()) {
    case 1: return conv_module<1>(c, transposed);
    case 2: return conv_module<2>(c, transposed);
    default: return conv_module<3>(c, transposed);
  }
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void check_functional_golden(const char* kind, bool transposed) {
  ASSERT_GE(nabla::testing::conv_golden_cases(kind).size(), 8u);
  for (const Json& c : nabla::testing::conv_golden_cases(kind)) {
    SCOPED_TRACE(c["name"].get<std::string>());
    Tensor x = golden_tensor(c["x"]).requires_grad_(), w = golden_tensor(c["weight"]).requires_grad_();
    Tensor b = c["bias"].get<bool>() ? golden_tensor(c["b"]).requires_grad_() : Tensor();
    Tensor y = run_op(c, transposed, x, w, b);
    ASSERT_EQ(y.shape(), golden_tensor(c["y"]).shape());
    EXPECT_LT(max_relative_error(y, golden_tensor(c["y"]), 1.0), 1e-10);
    y.backward(golden_tensor(c["g"]));
    EXPECT_LT(max_relative_error(x.grad(), golden_tensor(c["grad_x"]), 1.0), 1e-10);
    EXPECT_LT(max_relative_error(w.grad(), golden_tensor(c["grad_weight"]), 1.0), 1e-10);
    if (b.defined()) {
      EXPECT_LT(max_relative_error(b.grad(), golden_tensor(c["grad_bias"]), 1.0), 1e-10);
    }
  }
}

void check_module_golden(const char* kind, bool transposed) {
  ASSERT_GE(nabla::testing::conv_golden_cases(kind).size(), 8u);
  for (const Json& c : nabla::testing::conv_golden_cases(kind)) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::shared_ptr<nn::Module> m = make_module(c, transposed);
    EXPECT_EQ(m->to_string(), c["repr"].get<std::string>());
    nn::StateDict state;
    state.insert("weight", golden_tensor(c["weight"]));
    if (c["bias"].get<bool>()) state.insert("bias", golden_tensor(c["b"]));
    m->load_state_dict(state);  // strict: PyTorch's keys and shapes exactly
    Tensor x = golden_tensor(c["x"]).to(float32).requires_grad_();
    Tensor y = m->forward(x);
    EXPECT_EQ(y.dtype(), float32);
    EXPECT_LT(max_relative_error(y, golden_tensor(c["y"]), 1.0), 1e-5);
    y.backward(golden_tensor(c["g"]).to(float32));
    EXPECT_LT(max_relative_error(x.grad(), golden_tensor(c["grad_x"]), 1.0), 1e-5);
    EXPECT_LT(max_relative_error(m->named_parameters()[0].second.grad(), golden_tensor(c["grad_weight"]), 1.0), 1e-5);
  }
}

bool grad_ok(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs) {
  return gradcheck(fn, inputs).ok;
}

}  // namespace

// ---- PyTorch's values ----------------------------------------------------------------------------

TEST(ConvGolden, FunctionalMatchesPyTorchInFloat64) { check_functional_golden("conv", false); }
TEST(ConvGolden, TransposedFunctionalMatchesPyTorchInFloat64) { check_functional_golden("conv_transpose", true); }
TEST(ConvGolden, LayersPrintLikePyTorchAndMatchWithItsWeights) { check_module_golden("conv", false); }
TEST(ConvGolden, TransposedLayersPrintLikePyTorchAndMatchWithItsWeights) {
  check_module_golden("conv_transpose", true);
}

// ---- finite differences --------------------------------------------------------------------------

TEST(ConvGradcheck, ConvolutionsOfEveryRank) {
  manual_seed(21);
  // 1-D: strided, dilated, grouped, padded.
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::conv1d(in[0], in[1], in[2], 2, 1, 2, 2); },
                      {randn({2, 4, 7}, float64), randn({6, 2, 3}, float64), randn({6}, float64)}));
  // 2-D: rectangular kernel and strides, and a depthwise "same" convolution without bias.
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::conv2d(in[0], in[1], in[2], {2, 1}, {1, 0}); },
                      {randn({2, 3, 5, 4}, float64), randn({4, 3, 3, 2}, float64), randn({4}, float64)}));
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::conv2d(in[0], in[1], {}, 1, "same", 1, 3); },
                      {randn({1, 3, 4, 5}, float64), randn({3, 1, 2, 3}, float64)}));
  // Unbatched, non-contiguous input (a transposed view).
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::conv2d(in[0].transpose(1, 2), in[1], in[2], 1, 1); },
                      {randn({2, 4, 3}, float64), randn({2, 2, 2, 2}, float64), randn({2}, float64)}));
  // 3-D.
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::conv3d(in[0], in[1], in[2], {1, 2, 1}, 1); },
                      {randn({1, 2, 3, 4, 3}, float64), randn({2, 2, 2, 2, 2}, float64), randn({2}, float64)}));
}

TEST(ConvGradcheck, TransposedConvolutionsOfEveryRank) {
  manual_seed(22);
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::conv_transpose1d(in[0], in[1], in[2], 2, 1, 1, 2); },
                      {randn({2, 4, 4}, float64), randn({4, 1, 3}, float64), randn({2}, float64)}));
  EXPECT_TRUE(
      grad_ok([](const auto& in) { return F::conv_transpose2d(in[0], in[1], in[2], 2, {1, 0}, 1, 1, {1, 2}); },
              {randn({1, 2, 3, 3}, float64), randn({2, 3, 3, 2}, float64), randn({3}, float64)}));
  EXPECT_TRUE(grad_ok([](const auto& in) { return F::conv_transpose3d(in[0], in[1], {}, 2); },
                      {randn({1, 2, 2, 2, 2}, float64), randn({2, 1, 2, 2, 2}, float64)}));
}

// ---- the layers ----------------------------------------------------------------------------------

TEST(ConvModule, ParametersNamesShapesAndPrinting) {
  nn::Conv2d conv(nn::Conv2dOptions{.in_channels = 1, .out_channels = 6, .kernel_size = 5, .padding = 2});
  EXPECT_EQ(conv.to_string(), "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))");
  EXPECT_EQ(nn::Conv2d(1, 6, 5, 1, 2).to_string(), conv.to_string());
  EXPECT_EQ(conv.weight.shape(), (Shape{6, 1, 5, 5}));
  EXPECT_EQ(conv.bias.shape(), (Shape{6}));
  EXPECT_EQ(conv.state_dict().keys(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(conv.forward(zeros({3, 1, 28, 28})).shape(), (Shape{3, 6, 28, 28}));

  nn::Conv1d depthwise(8, 8, 3, 1, "same", 1, 8, /*bias=*/false);
  EXPECT_EQ(depthwise.to_string(), "Conv1d(8, 8, kernel_size=(3,), stride=(1,), padding=same, groups=8, bias=False)");
  EXPECT_EQ(depthwise.weight.shape(), (Shape{8, 1, 3}));
  EXPECT_EQ(depthwise.state_dict().keys(), (std::vector<std::string>{"weight"}));
  EXPECT_EQ(depthwise.forward(zeros({2, 8, 11})).shape(), (Shape{2, 8, 11}));
  EXPECT_EQ(depthwise.forward(zeros({8, 11})).shape(), (Shape{8, 11}));  // unbatched

  nn::Conv3d conv3(2, 4, {1, 3, 3}, {1, 2, 2});
  EXPECT_EQ(conv3.weight.shape(), (Shape{4, 2, 1, 3, 3}));
  EXPECT_EQ(conv3.forward(zeros({1, 2, 4, 9, 9})).shape(), (Shape{1, 4, 4, 4, 4}));

  nn::ConvTranspose2d up(nn::ConvTranspose2dOptions{.in_channels = 16, .out_channels = 6, .kernel_size = 2,
                                                    .stride = 2, .groups = 2});
  EXPECT_EQ(up.to_string(), "ConvTranspose2d(16, 6, kernel_size=(2, 2), stride=(2, 2), groups=2)");
  EXPECT_EQ(up.weight.shape(), (Shape{16, 3, 2, 2}));  // (in, out / groups, k...)
  EXPECT_EQ(up.forward(zeros({2, 16, 5, 5})).shape(), (Shape{2, 6, 10, 10}));
}

TEST(ConvModule, DefaultInitIsPyTorchsUniformBound) {
  manual_seed(4);
  nn::Conv2d conv(16, 32, 3);
  nn::ConvTranspose1d up(8, 12, 4, 1, 0, 0, /*groups=*/2);
  // fan_in: 16 * 3 * 3 for the convolution; weight (8, 6, 4) gives 6 * 4 for the transposed one.
  for (const auto& [params, fan_in] : {std::pair{std::vector<Tensor>{conv.weight, conv.bias}, 144.0},
                                       std::pair{std::vector<Tensor>{up.weight, up.bias}, 24.0}}) {
    const double bound = 1.0 / std::sqrt(fan_in);
    for (const Tensor& p : params) {
      const std::vector<float> v = p.to_vector<float>();
      const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      EXPECT_GE(*lo, -bound);
      EXPECT_LT(*hi, bound);
      if (v.size() >= 300) {
        EXPECT_LT(*lo, -0.95 * bound);
        EXPECT_GT(*hi, 0.95 * bound);
      }
    }
  }
}

TEST(ConvModule, InitIsKaimingUniformWithASqrt5ThenBias) {
  Generator g(42), ref(42);
  nn::Conv2d conv(nn::Conv2dOptions{.in_channels = 4, .out_channels = 6, .kernel_size = {3, 2}, .groups = 2}, &g);
  Tensor w = zeros({6, 2, 3, 2}), b = zeros({6});
  nn::init::kaiming_uniform_(w, std::sqrt(5.0), nn::init::FanMode::FanIn, "leaky_relu", &ref);
  nn::init::uniform_(b, -1.0 / std::sqrt(12.0), 1.0 / std::sqrt(12.0), &ref);
  EXPECT_EQ(conv.weight.to_vector<float>(), w.to_vector<float>());
  EXPECT_EQ(conv.bias.to_vector<float>(), b.to_vector<float>());
}

TEST(ConvModule, ResultsAreBitIdenticalForAnyThreadCount) {
  const int saved = get_num_threads();
  manual_seed(8);
  nn::Conv2d conv(3, 8, 3, 1, 1);
  const Tensor x = randn({9, 3, 12, 12});
  std::vector<std::vector<float>> runs;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    conv.zero_grad();
    Tensor xi = x.clone().requires_grad_();
    Tensor y = conv.forward(xi);
    (y * y).sum().backward();
    std::vector<float> all = y.to_vector<float>();
    for (const Tensor& t : {xi.grad(), conv.weight.grad(), conv.bias.grad()}) {
      const std::vector<float> v = t.to_vector<float>();
      all.insert(all.end(), v.begin(), v.end());
    }
    runs.push_back(all);
  }
  set_num_threads(saved);
  for (size_t i = 1; i < runs.size(); ++i)
    EXPECT_EQ(0, std::memcmp(runs[0].data(), runs[i].data(), runs[0].size() * sizeof(float))) << "run " << i;
}

// ---- errors --------------------------------------------------------------------------------------

TEST(ConvErrors, WrongRanksNameTheShapes) {
  const Tensor w = zeros({4, 3, 3, 3});
  std::string msg = message_of([&] { F::conv2d(zeros({2, 3, 8, 8, 1}), w); });
  EXPECT_TRUE(contains(msg, "conv2d: expected a 3-D (unbatched) or 4-D (batched) input, got shape [2, 3, 8, 8, 1]"))
      << msg;
  msg = message_of([&] { F::conv2d(zeros({3, 8}), w); });
  EXPECT_TRUE(contains(msg, "[3, 8]")) << msg;
  msg = message_of([&] { F::conv1d(zeros({1, 3, 8}), w); });
  EXPECT_TRUE(contains(msg, "conv1d: expected a 3-D weight, got shape [4, 3, 3, 3]")) << msg;
}

TEST(ConvErrors, ChannelsAndGroupsThatDoNotFit) {
  std::string msg = message_of([] { F::conv2d(zeros({1, 3, 5, 5}), zeros({4, 1, 3, 3}), {}, 1, 0, 1, 2); });
  EXPECT_TRUE(contains(msg, "input channels (3) and output channels (4) must both be divisible by groups (2)") &&
              contains(msg, "[1, 3, 5, 5]") && contains(msg, "[4, 1, 3, 3]"))
      << msg;
  msg = message_of([] { F::conv2d(zeros({1, 3, 5, 5}), zeros({4, 2, 3, 3})); });
  EXPECT_TRUE(contains(msg, "weight of shape [4, 2, 3, 3] with groups=1 expects 2 input channels") &&
              contains(msg, "[1, 3, 5, 5]"))
      << msg;
  msg = message_of([] { nn::Conv2d(3, 4, 3, 1, 0, 1, 2); });
  EXPECT_TRUE(contains(msg, "Conv2d: in_channels (3) must be divisible by groups (2)")) << msg;
  msg = message_of([] { nn::ConvTranspose1d(4, 3, 3, 1, 0, 0, 2); });
  EXPECT_TRUE(contains(msg, "ConvTranspose1d: out_channels (3) must be divisible by groups (2)")) << msg;
  msg = message_of([] { F::conv_transpose2d(zeros({1, 3, 4, 4}), zeros({4, 2, 3, 3})); });
  EXPECT_TRUE(contains(msg, "weight of shape [4, 2, 3, 3] expects 4 input channels") && contains(msg, "[1, 3, 4, 4]"))
      << msg;
  msg = message_of([] { F::conv2d(zeros({1, 2, 5, 5}), zeros({4, 2, 3, 3}), zeros({3})); });
  EXPECT_TRUE(contains(msg, "bias of shape [3] does not match weight of shape [4, 2, 3, 3]")) << msg;
}

TEST(ConvErrors, KernelLargerThanThePaddedInput) {
  std::string msg = message_of([] { F::conv2d(zeros({1, 1, 4, 6}), zeros({1, 1, 5, 5}), {}, 1, {0, 1}); });
  EXPECT_TRUE(contains(msg, "kernel of size [5, 5]") && contains(msg, "larger than the padded input of size [4, 8]") &&
              contains(msg, "input shape [1, 1, 4, 6]") && contains(msg, "weight shape [1, 1, 5, 5]"))
      << msg;
  // Dilation counts: a 3-tap kernel with dilation 3 spans 7 inputs.
  msg = message_of([] { F::conv1d(zeros({1, 1, 6}), zeros({1, 1, 3}), {}, 1, 0, 3); });
  EXPECT_TRUE(contains(msg, "[7]") && contains(msg, "[6]")) << msg;
  msg = message_of([] { F::conv_transpose1d(zeros({1, 1, 1}), zeros({1, 1, 1}), {}, 1, 1); });
  EXPECT_TRUE(contains(msg, "output size [-1] is not positive")) << msg;
}

TEST(ConvErrors, BadOptionsQuoteTheValue) {
  std::string msg = message_of([] { F::conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), {}, 2, "same"); });
  EXPECT_TRUE(contains(msg, "padding=\"same\" needs stride 1, got stride [2, 2]")) << msg;
  msg = message_of([] { nn::Conv2d(1, 1, 3, 2, "same"); });
  EXPECT_TRUE(contains(msg, "Conv2d: padding=\"same\" needs stride 1, got stride (2, 2)")) << msg;
  msg = message_of([] { nn::ConvPadding<2>("full"); });
  EXPECT_TRUE(contains(msg, "\"full\"")) << msg;
  msg = message_of([] { nn::ExpandingArray<2>({1, 2, 3}); });
  EXPECT_TRUE(contains(msg, "expected 2 sizes (one per spatial dim), got [1, 2, 3]")) << msg;
  msg = message_of([] { nn::Conv2d(nn::Conv2dOptions{.in_channels = 1, .out_channels = 1, .kernel_size = 3,
                                                      .padding_mode = "reflect"}); });
  EXPECT_TRUE(contains(msg, "padding_mode 'reflect' is not supported")) << msg;
  msg = message_of([] { nn::Conv1d(1, 1, 0); });
  EXPECT_TRUE(contains(msg, "kernel_size must be positive, got (0,)")) << msg;
  msg = message_of([] { F::conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), {}, {1, 0}); });
  EXPECT_TRUE(contains(msg, "stride must be positive, got [1, 0]")) << msg;
  msg = message_of([] { nn::ConvTranspose2d(1, 1, 3, 2, 0, 2); });
  EXPECT_TRUE(contains(msg, "output_padding (2, 2) must be non-negative and smaller than either stride (2, 2)")) << msg;
  msg = message_of([] { F::conv_transpose2d(zeros({1, 1, 3, 3}), zeros({1, 1, 3, 3}), {}, 1, 0, 1); });
  EXPECT_TRUE(contains(msg, "output_padding [1, 1]")) << msg;
}

TEST(ConvErrors, DtypesMustBeFloatingAndAgree) {
  std::string msg = message_of([] { F::conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}, float64)); });
  EXPECT_TRUE(contains(msg, "float32") && contains(msg, "float64")) << msg;
  msg = message_of([] { F::conv1d(zeros({1, 1, 5}, int64), zeros({1, 1, 3}, int64)); });
  EXPECT_TRUE(contains(msg, "expected a float32 or float64 input, got int64")) << msg;
  EXPECT_THROW(F::conv2d(Tensor(), zeros({1, 1, 3, 3})), Error);
}
