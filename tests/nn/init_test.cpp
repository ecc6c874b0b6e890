// nn::init: gains and fans against PyTorch (tests/golden/nn_layers.json), the distributions each
// initialiser draws from (bounds, means and standard deviations on large tensors, with
// tolerances of about 5 standard errors), reproducibility, writing into parameters that require
// grad, and the errors for tensors without fans, unknown modes and nonlinearities.
#include <nabla/nabla.hpp>

#include "../support/golden.hpp"
#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

using nabla::testing::message_of;

using namespace nabla;
namespace init = nabla::nn::init;
using nabla::testing::golden;

namespace {

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};

Stats stats(const Tensor& t) {
  const std::vector<double> v = t.to(float64).to_vector<double>();
  Stats s{0, 0, v[0], v[0]};
  for (double x : v) {
    s.mean += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / static_cast<double>(v.size()));
  return s;
}

// Normal draws with standard deviation `std`: mean and std within ~5 standard errors.
void expect_normal(const Tensor& t, double mean, double std) {
  const Stats s = stats(t);
  const double n = static_cast<double>(t.numel());
  EXPECT_NEAR(s.mean, mean, 5 * std / std::sqrt(n));
  EXPECT_NEAR(s.std, std, 5 * std / std::sqrt(2 * n));
}

// Uniform draws on [-bound, bound): inside, reaching close to both ends, std bound / sqrt(3).
void expect_uniform(const Tensor& t, double bound) {
  const Stats s = stats(t);
  EXPECT_GE(s.min, -bound);
  EXPECT_LT(s.max, bound);
  EXPECT_LT(s.min, -0.999 * bound);
  EXPECT_GT(s.max, 0.999 * bound);
  const double n = static_cast<double>(t.numel());
  EXPECT_NEAR(s.mean, 0.0, 5 * bound / std::sqrt(3 * n));
  EXPECT_NEAR(s.std, bound / std::sqrt(3.0), 5 * bound / std::sqrt(n) * 0.3);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// ---- gains and fans --------------------------------------------------------------------------------

TEST(InitGain, EqualsPyTorchsCalculateGain) {
  const nlohmann::json gains = golden("nn_layers")["init"]["gains"];
  ASSERT_GE(gains.size(), 15u);
  for (const auto& g : gains) {
    const std::string name = g["name"];
    SCOPED_TRACE(g.dump());
    const std::optional<double> param =
        g.contains("param") ? std::optional<double>(g["param"].get<double>()) : std::nullopt;
    EXPECT_DOUBLE_EQ(init::calculate_gain(name, param), g["gain"].get<double>());
  }
  // The formulas, spelled out.
  EXPECT_EQ(init::calculate_gain("tanh"), 5.0 / 3.0);
  EXPECT_EQ(init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_EQ(init::calculate_gain("selu"), 0.75);
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu"), std::sqrt(2.0 / (1.0 + 0.01 * 0.01)));
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu", 0.2), std::sqrt(2.0 / 1.04));
  EXPECT_EQ(init::calculate_gain("conv2d"), 1.0);
  EXPECT_EQ(init::calculate_gain("sigmoid", 3.0), 1.0);  // param is ignored outside leaky_relu
  const std::string msg = message_of([] { init::calculate_gain("swish"); });
  EXPECT_TRUE(contains(msg, "calculate_gain: unsupported nonlinearity 'swish'")) << msg;
}

TEST(InitFans, EqualPyTorchsForLinearAndConvShapes) {
  const nlohmann::json fan_cases = golden("nn_layers")["init"]["fans"];
  ASSERT_EQ(fan_cases.size(), 5u);
  for (const auto& f : fan_cases) {
    const Shape shape = f["shape"].get<Shape>();
    SCOPED_TRACE(detail::str(shape));
    const init::Fans fans = init::calculate_fan_in_and_fan_out(zeros(shape));
    EXPECT_EQ(fans.fan_in, f["fan_in"].get<int64_t>());
    EXPECT_EQ(fans.fan_out, f["fan_out"].get<int64_t>());
  }
  // (out, in) -> (in, out); conv (out, in, kH, kW) -> (in kH kW, out kH kW).
  const auto [fan_in, fan_out] = init::calculate_fan_in_and_fan_out(Shape{6, 3, 5, 5});
  EXPECT_EQ(fan_in, 75);
  EXPECT_EQ(fan_out, 150);
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(Shape{10, 784}).fan_in, 784);
}

TEST(InitFans, FewerThanTwoDimsAreRefused) {
  std::string msg = message_of([] { init::calculate_fan_in_and_fan_out(zeros({5})); });
  EXPECT_TRUE(contains(msg, "fewer than 2 dimensions") && contains(msg, "[5]")) << msg;
  for (const Shape& shape : {Shape{5}, Shape{}}) {
    SCOPED_TRACE(detail::str(shape));
    EXPECT_THROW(init::xavier_uniform_(zeros(shape)), Error);
    EXPECT_THROW(init::xavier_normal_(zeros(shape)), Error);
    EXPECT_THROW(init::kaiming_uniform_(zeros(shape)), Error);
    EXPECT_THROW(init::kaiming_normal_(zeros(shape)), Error);
  }
  msg = message_of([] { init::kaiming_normal_(zeros({7})); });
  EXPECT_TRUE(contains(msg, "kaiming_normal_") && contains(msg, "[7]")) << msg;
}

// ---- distributions ---------------------------------------------------------------------------------

TEST(InitFill, ConstantsAndPlainDistributions) {
  manual_seed(0);
  Tensor t = randn({4, 5});
  EXPECT_EQ(init::zeros_(t).to_vector<float>(), std::vector<float>(20, 0.0f));
  EXPECT_EQ(init::ones_(t).to_vector<float>(), std::vector<float>(20, 1.0f));
  EXPECT_EQ(init::constant_(t, 0.25).to_vector<float>(), std::vector<float>(20, 0.25f));
  Tensor big = empty({400, 250});
  init::uniform_(big, -2.0, 3.0);
  const Stats u = stats(big);
  EXPECT_GE(u.min, -2.0);
  EXPECT_LT(u.max, 3.0);
  EXPECT_NEAR(u.mean, 0.5, 0.02);
  EXPECT_NEAR(u.std, 5.0 / std::sqrt(12.0), 0.02);
  init::normal_(big, 1.5, 0.2);
  expect_normal(big, 1.5, 0.2);
  // Defaults: U(0, 1) and N(0, 1).
  init::uniform_(big);
  EXPECT_NEAR(stats(big).mean, 0.5, 0.01);
  init::normal_(big);
  expect_normal(big, 0.0, 1.0);
}

TEST(InitFill, XavierUsesFanInPlusFanOut) {
  manual_seed(1);
  Tensor w = empty({300, 500});
  init::xavier_uniform_(w);
  expect_uniform(w, std::sqrt(6.0 / 800.0));
  init::xavier_uniform_(w, init::calculate_gain("tanh"));
  expect_uniform(w, 5.0 / 3.0 * std::sqrt(6.0 / 800.0));
  init::xavier_normal_(w);
  expect_normal(w, 0.0, std::sqrt(2.0 / 800.0));
  init::xavier_normal_(w, 2.0);
  expect_normal(w, 0.0, 2.0 * std::sqrt(2.0 / 800.0));
  // A conv weight: fans include the receptive field, 16*9 + 32*9.
  Tensor conv = empty({32, 16, 3, 3}, float64);
  init::xavier_normal_(conv);
  expect_normal(conv, 0.0, std::sqrt(2.0 / (144.0 + 288.0)));
}

TEST(InitFill, KaimingUsesTheChosenFanAndGain) {
  manual_seed(2);
  Tensor w = empty({200, 600});
  init::kaiming_uniform_(w);  // a = 0, leaky_relu: gain sqrt(2), fan_in 600
  expect_uniform(w, std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(600.0));
  init::kaiming_uniform_(w, std::sqrt(5.0));  // Linear's default: bound 1/sqrt(fan_in)
  expect_uniform(w, 1.0 / std::sqrt(600.0));
  init::kaiming_uniform_(w, 0.0, init::FanMode::FanOut, "relu");
  expect_uniform(w, std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(200.0));
  init::kaiming_normal_(w, 0.0, "fan_in", "relu");
  expect_normal(w, 0.0, std::sqrt(2.0) / std::sqrt(600.0));
  init::kaiming_normal_(w, 0.0, "fan_out", "tanh");
  expect_normal(w, 0.0, 5.0 / 3.0 / std::sqrt(200.0));
  init::kaiming_normal_(w, 0.2, init::FanMode::FanIn);
  expect_normal(w, 0.0, std::sqrt(2.0 / 1.04) / std::sqrt(600.0));
  Tensor conv = empty({64, 16, 5, 5});
  init::kaiming_normal_(conv, 0.0, init::FanMode::FanOut, "relu");
  expect_normal(conv, 0.0, std::sqrt(2.0 / (64.0 * 25.0)));
}

TEST(InitFill, LectureNormalHasStdOneOverSqrtD) {
  manual_seed(3);
  Tensor w = empty({300, 400});  // 300 units with d = 400 inputs each
  init::lecture_normal_(w);
  expect_normal(w, 0.0, 1.0 / 20.0);
  Tensor v = empty({100000}, float64);  // one neuron's weights: d is the length
  init::lecture_normal_(v);
  expect_normal(v, 0.0, 1.0 / std::sqrt(100000.0));
  Tensor conv = empty({8, 4, 5, 5});  // d = fan-in = 4 * 5 * 5
  init::lecture_normal_(conv);
  expect_normal(conv, 0.0, 1.0 / 10.0);
  EXPECT_THROW(init::lecture_normal_(scalar_tensor(1.0)), Error);
}

// ---- behaviour ---------------------------------------------------------------------------------------

TEST(InitBehaviour, GeneratorsMakeDrawsReproducible) {
  Generator g1(77), g2(77);
  Tensor a = empty({10, 10}), b = empty({10, 10});
  init::kaiming_normal_(a, 0.0, init::FanMode::FanIn, "relu", &g1);
  init::kaiming_normal_(b, 0.0, init::FanMode::FanIn, "relu", &g2);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  manual_seed(8);
  init::xavier_uniform_(a);
  manual_seed(8);
  init::xavier_uniform_(b);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  init::xavier_uniform_(b);
  EXPECT_NE(a.to_vector<float>(), b.to_vector<float>());
}

TEST(InitBehaviour, WritesIntoParametersThatRequireGrad) {
  nn::Linear fc(4, 3);
  init::zeros_(fc.bias);
  init::xavier_normal_(fc.weight);
  EXPECT_EQ(fc.bias.to_vector<float>(), std::vector<float>(3, 0.0f));
  EXPECT_TRUE(fc.weight.requires_grad() && fc.weight.is_leaf());
  EXPECT_TRUE(fc.bias.requires_grad() && fc.bias.is_leaf());
  EXPECT_EQ(fc.weight.grad_fn(), nullptr);
  // The initialiser returns the same tensor.
  EXPECT_TRUE(init::ones_(fc.bias).is_same(fc.bias));
  EXPECT_TRUE(autograd::grad_mode_enabled());  // the guard was restored
}

TEST(InitBehaviour, EmptyTensorsAndBadOptions) {
  Tensor empty_w = zeros({0, 3});
  EXPECT_NO_THROW(init::kaiming_uniform_(empty_w));
  EXPECT_NO_THROW(init::kaiming_normal_(empty_w));
  EXPECT_NO_THROW(init::xavier_uniform_(zeros({0, 3})));
  std::string msg = message_of([] { init::kaiming_uniform_(zeros({3, 3}), 0.0, "fan_avg"); });
  EXPECT_TRUE(contains(msg, "'fan_avg'") && contains(msg, "fan_in, fan_out")) << msg;
  EXPECT_EQ(init::fan_mode("fan_out"), init::FanMode::FanOut);
  msg = message_of([] { init::kaiming_normal_(zeros({3, 3}), 0.0, init::FanMode::FanIn, "gelu"); });
  EXPECT_TRUE(contains(msg, "'gelu'")) << msg;
  EXPECT_THROW(init::normal_(zeros({3}), 0.0, -1.0), Error);
  EXPECT_THROW(init::uniform_(zeros({3}), 1.0, 0.0), Error);
  EXPECT_THROW(init::zeros_(Tensor()), Error);
}
