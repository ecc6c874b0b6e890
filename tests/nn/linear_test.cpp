// nn::Linear and functional::linear: outputs and gradients against PyTorch with PyTorch's
// weights loaded through load_state_dict, gradchecks w.r.t. input, weight and bias, PyTorch's
// default initialisation (bounds, reproducibility, the exact kaiming_uniform_ stream), printing,
// and the errors for mismatched shapes.
#include <nabla/nabla.hpp>

#include "../support/golden.hpp"
#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using nabla::testing::message_of;

using namespace nabla;
namespace F = nabla::nn::functional;
using nabla::testing::golden;
using nabla::testing::golden_tensor;
using nabla::testing::max_relative_error;

namespace {

using Json = nlohmann::json;

const Json& cases() {
  static const Json j = golden("nn_layers")["linear"];
  return j;
}

nn::StateDict state_of(const Json& c) {
  nn::StateDict state;
  for (const auto& [key, value] : c["state"].items()) state.insert(key, golden_tensor(value));
  return state;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// ---- PyTorch's values ----------------------------------------------------------------------------

TEST(LinearGolden, FunctionalMatchesPyTorchInFloat64) {
  for (const Json& c : cases()) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const nn::StateDict state = state_of(c);
    Tensor w = state.at("weight").clone().requires_grad_();
    Tensor b = c["bias"].get<bool>() ? state.at("bias").clone().requires_grad_() : Tensor();
    Tensor x = golden_tensor(c["x"]).requires_grad_();
    Tensor y = F::linear(x, w, b);
    EXPECT_EQ(y.shape(), golden_tensor(c["y"]).shape());
    EXPECT_LT(max_relative_error(y, golden_tensor(c["y"])), 1e-12);
    y.backward(golden_tensor(c["g"]));
    EXPECT_LT(max_relative_error(x.grad(), golden_tensor(c["grad_x"])), 1e-12);
    EXPECT_LT(max_relative_error(w.grad(), golden_tensor(c["grad_weight"])), 1e-12);
    if (b.defined()) {
      EXPECT_LT(max_relative_error(b.grad(), golden_tensor(c["grad_bias"])), 1e-12);
    }
  }
}

TEST(LinearGolden, ModuleLoadsPyTorchWeightsAndMatches) {
  for (const Json& c : cases()) {
    SCOPED_TRACE(c["name"].get<std::string>());
    nn::Linear linear(c["in"].get<int64_t>(), c["out"].get<int64_t>(), c["bias"].get<bool>());
    EXPECT_EQ(linear.to_string(), c["repr"].get<std::string>());
    linear.load_state_dict(state_of(c));  // strict: the keys are PyTorch's exactly
    Tensor x = golden_tensor(c["x"]).to(float32).requires_grad_();
    Tensor y = linear.forward(x);
    EXPECT_EQ(y.dtype(), float32);
    EXPECT_LT(max_relative_error(y, golden_tensor(c["y"]), 1.0), 1e-5);
    y.backward(golden_tensor(c["g"]).to(float32));
    EXPECT_LT(max_relative_error(x.grad(), golden_tensor(c["grad_x"]), 1.0), 1e-5);
    EXPECT_LT(max_relative_error(linear.weight.grad(), golden_tensor(c["grad_weight"]), 1.0), 1e-5);
    if (linear.bias.defined()) {
      EXPECT_LT(max_relative_error(linear.bias.grad(), golden_tensor(c["grad_bias"]), 1.0), 1e-5);
    }
  }
}

// ---- finite differences --------------------------------------------------------------------------

TEST(LinearGradcheck, InputWeightAndBias) {
  manual_seed(11);
  const std::vector<Shape> x_shapes = {{3, 4}, {2, 3, 4}, {4}, {1, 4}, {2, 1, 2, 4}};
  for (const Shape& xs : x_shapes) {
    SCOPED_TRACE(detail::str("x ", xs));
    Tensor x = randn(xs, float64), w = randn({5, 4}, float64), b = randn({5}, float64);
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return F::linear(in[0], in[1], in[2]); }, {x, w, b}).ok);
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return F::linear(in[0], in[1]); }, {x, w}).ok);
  }
  // Non-contiguous operands: a transposed input and a weight stored transposed.
  Tensor xt = randn({4, 3}, float64), wt = randn({4, 5}, float64), b = randn({5}, float64);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return F::linear(in[0].t(), in[1].t(), in[2]); },
                        {xt, wt, b})
                  .ok);
}

// ---- the layer -----------------------------------------------------------------------------------

TEST(LinearModule, ParametersNamesShapesAndPrinting) {
  nn::Linear fc(784, 10);
  EXPECT_EQ(fc.to_string(), "Linear(in_features=784, out_features=10, bias=True)");
  EXPECT_EQ(fc.weight.shape(), (Shape{10, 784}));
  EXPECT_EQ(fc.bias.shape(), (Shape{10}));
  EXPECT_TRUE(fc.weight.requires_grad() && fc.bias.requires_grad());
  EXPECT_EQ(fc.state_dict().keys(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(fc.num_parameters(), 784 * 10 + 10);
  // The members share data with what was registered.
  EXPECT_TRUE(fc.parameters()[0].is_same(fc.weight));

  nn::Linear no_bias(3, 2, /*bias=*/false);
  EXPECT_EQ(no_bias.to_string(), "Linear(in_features=3, out_features=2, bias=False)");
  EXPECT_FALSE(no_bias.bias.defined());
  EXPECT_EQ(no_bias.state_dict().keys(), (std::vector<std::string>{"weight"}));
  EXPECT_EQ(no_bias.forward(ones({4, 3})).shape(), (Shape{4, 2}));
}

TEST(LinearModule, DefaultInitIsPyTorchsUniformBound) {
  manual_seed(3);
  nn::Linear fc(400, 300);
  const double bound = 1.0 / std::sqrt(400.0);
  for (const Tensor& p : {fc.weight, fc.bias}) {
    const std::vector<float> v = p.to_vector<float>();
    double sum = 0, sq = 0, lo = 1, hi = -1;
    for (float e : v) {
      sum += e;
      sq += double(e) * e;
      lo = std::min<double>(lo, e);
      hi = std::max<double>(hi, e);
    }
    EXPECT_GE(lo, -bound);
    EXPECT_LT(hi, bound);
    if (v.size() < 1000) continue;
    // U(-b, b): mean 0, variance b^2 / 3, and draws reach close to both ends.
    const double n = static_cast<double>(v.size());
    EXPECT_NEAR(sum / n, 0.0, 0.01 * bound);
    EXPECT_NEAR(sq / n, bound * bound / 3, 0.02 * bound * bound / 3);
    EXPECT_LT(lo, -0.99 * bound);
    EXPECT_GT(hi, 0.99 * bound);
  }
}

TEST(LinearModule, InitIsKaimingUniformWithASqrt5ThenBias) {
  Generator g(42), ref(42);
  nn::Linear fc(30, 20, true, &g);
  Tensor w = zeros({20, 30}), b = zeros({20});
  nn::init::kaiming_uniform_(w, std::sqrt(5.0), nn::init::FanMode::FanIn, "leaky_relu", &ref);
  nn::init::uniform_(b, -1.0 / std::sqrt(30.0), 1.0 / std::sqrt(30.0), &ref);
  EXPECT_EQ(fc.weight.to_vector<float>(), w.to_vector<float>());
  EXPECT_EQ(fc.bias.to_vector<float>(), b.to_vector<float>());
}

TEST(LinearModule, SeedsMakeInitReproducible) {
  manual_seed(5);
  nn::Linear a(6, 4);
  manual_seed(5);
  nn::Linear b(6, 4);
  nn::Linear c(6, 4);  // continues the stream: different values
  EXPECT_EQ(a.weight.to_vector<float>(), b.weight.to_vector<float>());
  EXPECT_EQ(a.bias.to_vector<float>(), b.bias.to_vector<float>());
  EXPECT_NE(a.weight.to_vector<float>(), c.weight.to_vector<float>());
  // An explicit generator leaves the default stream alone.
  manual_seed(9);
  const float next = rand({1}).item<float>();
  manual_seed(9);
  Generator g(1);
  nn::Linear d(6, 4, true, &g);
  EXPECT_EQ(rand({1}).item<float>(), next);
  // reset_parameters redraws.
  const std::vector<float> before = d.weight.to_vector<float>();
  d.reset_parameters();
  EXPECT_NE(d.weight.to_vector<float>(), before);
}

TEST(LinearModule, ForwardIsXWTransposePlusB) {
  nn::Linear fc(2, 3);
  {
    NoGradGuard no_grad;
    fc.weight.copy_(tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2}));
    fc.bias.copy_(tensor({10, 20, 30}));
  }
  // x = [[1, 1], [2, -1]] -> [[1+2+10, 3+4+20, 5+6+30], [2-2+10, 6-4+20, 10-6+30]]
  Tensor y = fc.forward(tensor(std::vector<float>{1, 1, 2, -1}, {2, 2}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{13, 27, 41, 10, 22, 34}));
  // Leading dims are kept; a 1-D input gives a 1-D output.
  EXPECT_EQ(fc.forward(ones({4, 5, 2})).shape(), (Shape{4, 5, 3}));
  EXPECT_EQ(fc.forward(tensor({1, 1})).to_vector<float>(), (std::vector<float>{13, 27, 41}));
  EXPECT_EQ(fc.forward(zeros({0, 2})).shape(), (Shape{0, 3}));
}

TEST(LinearModule, ZeroInputFeaturesGiveTheBias) {
  nn::Linear fc(0, 3);
  EXPECT_EQ(fc.bias.to_vector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(fc.forward(zeros({2, 0})).to_vector<float>(), (std::vector<float>(6, 0.0f)));
}

// ---- errors --------------------------------------------------------------------------------------

TEST(LinearErrors, MismatchedShapesNameBoth) {
  Tensor w = zeros({5, 4});
  std::string msg = message_of([&] { F::linear(zeros({3, 7}), w); });
  EXPECT_TRUE(contains(msg, "linear: input of shape [3, 7] does not match weight of shape [5, 4]")) << msg;
  msg = message_of([&] { F::linear(zeros({3, 4}), w, zeros({4})); });
  EXPECT_TRUE(contains(msg, "bias of shape [4] does not match weight of shape [5, 4]")) << msg;
  msg = message_of([&] { F::linear(zeros({3, 4}), zeros({4})); });
  EXPECT_TRUE(contains(msg, "weight must be 2-D")) << msg;
  msg = message_of([&] { F::linear(zeros({3, 4}), zeros({5, 4}, float64)); });
  EXPECT_TRUE(contains(msg, "float32") && contains(msg, "float64")) << msg;
  EXPECT_THROW(F::linear(scalar_tensor(1.0), w), Error);
  EXPECT_THROW(F::linear(Tensor(), w), Error);

  nn::Linear fc(784, 10);
  msg = message_of([&] { fc.forward(zeros({2, 28, 28})); });
  EXPECT_TRUE(contains(msg, "[2, 28, 28]") && contains(msg, "[10, 784]")) << msg;
  msg = message_of([] { nn::Linear(-1, 3); });
  EXPECT_TRUE(contains(msg, "Linear") && contains(msg, "-1")) << msg;
}
