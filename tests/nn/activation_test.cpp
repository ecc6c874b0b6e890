// Activations (functional forms and modules): forward values and input gradients against
// PyTorch (tests/golden/nn_layers.json, including exact kinks and softplus thresholds),
// gradchecks in float64 away from the kinks, PyTorch's gradient conventions at the kinks written
// out by hand, Step's zero gradient, fusion into one recorded op, printing and errors.
#include <nabla/nabla.hpp>

#include "../support/golden.hpp"
#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <optional>

using nabla::testing::message_of;

using namespace nabla;
namespace F = nabla::nn::functional;
using nabla::testing::golden;
using nabla::testing::golden_tensor;
using nabla::testing::max_relative_error;

namespace {

using Json = nlohmann::json;

const Json& cases() {
  static const Json j = golden("nn_layers")["activations"];
  return j;
}

// The functional call a golden case names, with its keyword arguments.
Tensor call_activation(const Json& c, const Tensor& x) {
  const std::string fn = c["fn"];
  const Json& a = c["args"];
  if (fn == "relu") return F::relu(x);
  if (fn == "sigmoid") return F::sigmoid(x);
  if (fn == "tanh") return F::tanh(x);
  if (fn == "leaky_relu") return a.contains("negative_slope") ? F::leaky_relu(x, a["negative_slope"]) : F::leaky_relu(x);
  if (fn == "elu") return a.contains("alpha") ? F::elu(x, a["alpha"]) : F::elu(x);
  if (fn == "gelu") return F::gelu(x, a["approximate"].get<std::string>());
  if (fn == "softplus") return a.contains("beta") ? F::softplus(x, a["beta"], a["threshold"]) : F::softplus(x);
  if (fn == "softmax") return F::softmax(x, a["dim"]);
  if (fn == "log_softmax") return F::log_softmax(x, a["dim"]);
  if (fn == "step") return F::step(x);
  ADD_FAILURE() << "unknown activation " << fn;
  return x;
}

// The module a golden case names, built with the same options.
std::shared_ptr<nn::Module> make_module(const Json& c) {
  const std::string fn = c["fn"];
  const Json& a = c["args"];
  if (fn == "relu") return std::make_shared<nn::ReLU>();
  if (fn == "sigmoid") return std::make_shared<nn::Sigmoid>();
  if (fn == "tanh") return std::make_shared<nn::Tanh>();
  if (fn == "leaky_relu") return std::make_shared<nn::LeakyReLU>(a.value("negative_slope", 0.01));
  if (fn == "elu") return std::make_shared<nn::ELU>(a.value("alpha", 1.0));
  if (fn == "gelu") return std::make_shared<nn::GELU>(a["approximate"].get<std::string>());
  if (fn == "softplus") return std::make_shared<nn::Softplus>(a.value("beta", 1.0), a.value("threshold", 20.0));
  if (fn == "softmax") return std::make_shared<nn::Softmax>(a["dim"].get<int64_t>());
  if (fn == "log_softmax") return std::make_shared<nn::LogSoftmax>(a["dim"].get<int64_t>());
  if (fn == "step") return std::make_shared<nn::Step>();
  ADD_FAILURE() << "unknown activation " << fn;
  return nullptr;
}

// A 1-D float64 tensor.
Tensor t64(const std::vector<double>& values) { return tensor(values, {static_cast<int64_t>(values.size())}); }

std::string label(const Json& c) { return c["repr"].get<std::string>() + " on " + c["input"].get<std::string>(); }

// float64 N(0, 1) values pushed at least `gap` away from `kink`.
Tensor away_from(const Shape& shape, double kink, double gap = 0.2) {
  std::vector<double> v = randn(shape, float64).to_vector<double>();
  for (double& x : v) x = kink + (x >= 0 ? x + gap : x - gap);
  return tensor(v, shape);
}

// d(sum(f(x) * g)) / dx for a 1-element-per-value check at chosen points.
std::vector<double> input_grad(const std::function<Tensor(const Tensor&)>& f, const std::vector<double>& values) {
  Tensor x = tensor(values, {static_cast<int64_t>(values.size())}).requires_grad_();
  f(x).sum().backward();
  return x.grad().to_vector<double>();
}

}  // namespace

// ---- PyTorch's values ----------------------------------------------------------------------------

TEST(ActivationGolden, ForwardAndInputGradientMatchPyTorch) {
  ASSERT_GE(cases().size(), 30u);
  for (const Json& c : cases()) {
    SCOPED_TRACE(label(c));
    Tensor x = golden_tensor(c["x"]).requires_grad_();
    Tensor y = call_activation(c, x);
    EXPECT_EQ(y.dtype(), float64);
    EXPECT_LT(max_relative_error(y, golden_tensor(c["y"])), 1e-12);
    if (!c.contains("grad")) continue;  // step: torch.heaviside has no gradient
    y.backward(golden_tensor(c["g"]));
    EXPECT_LT(max_relative_error(x.grad(), golden_tensor(c["grad"])), 1e-12);
  }
}

TEST(ActivationGolden, Float32MatchesPyTorchToSinglePrecision) {
  for (const Json& c : cases()) {
    SCOPED_TRACE(label(c));
    Tensor x = golden_tensor(c["x"]).to(float32).requires_grad_();
    Tensor y = call_activation(c, x);
    EXPECT_EQ(y.dtype(), float32);
    // Relative to max(|value|, 1): single precision, inputs rounded to float first.
    EXPECT_LT(max_relative_error(y, golden_tensor(c["y"]), 1.0), 2e-6);
    if (!c.contains("grad")) continue;
    y.backward(golden_tensor(c["g"]).to(float32));
    EXPECT_LT(max_relative_error(x.grad(), golden_tensor(c["grad"]), 1.0), 2e-6);
  }
}

TEST(ActivationGolden, ModulesPrintAndComputeLikePyTorch) {
  for (const Json& c : cases()) {
    SCOPED_TRACE(label(c));
    auto m = make_module(c);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->to_string(), c["repr"].get<std::string>());
    EXPECT_LT(max_relative_error(m->forward(golden_tensor(c["x"])), golden_tensor(c["y"])), 1e-12);
    EXPECT_EQ(m->num_parameters(), 0);
  }
}

// ---- finite differences --------------------------------------------------------------------------

TEST(ActivationGradcheck, ElementwiseAwayFromKinks) {
  manual_seed(7);
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> f;
    std::optional<double> kink;  // inputs are kept 0.2 away from it
  };
  const std::vector<Case> list = {
      {"relu", [](const Tensor& x) { return F::relu(x); }, 0.0},
      {"sigmoid", [](const Tensor& x) { return F::sigmoid(x * 3); }, 0.0},
      {"tanh", [](const Tensor& x) { return F::tanh(x * 2); }, 0.0},
      {"leaky_relu", [](const Tensor& x) { return F::leaky_relu(x); }, 0.0},
      {"leaky_relu 0.3", [](const Tensor& x) { return F::leaky_relu(x, 0.3); }, 0.0},
      {"leaky_relu -1.5", [](const Tensor& x) { return F::leaky_relu(x, -1.5); }, 0.0},
      {"elu", [](const Tensor& x) { return F::elu(x * 2); }, 0.0},
      {"elu 0.5", [](const Tensor& x) { return F::elu(x, 0.5); }, 0.0},
      {"gelu", [](const Tensor& x) { return F::gelu(x * 2); }, std::nullopt},
      {"gelu tanh", [](const Tensor& x) { return F::gelu(x * 2, "tanh"); }, std::nullopt},
      {"softplus", [](const Tensor& x) { return F::softplus(x * 3); }, std::nullopt},
      {"softplus beta 2 threshold 1", [](const Tensor& x) { return F::softplus(x, 2.0, 1.0); }, 0.5},
      {"softplus beta 0.5 threshold -1", [](const Tensor& x) { return F::softplus(x, 0.5, -1.0); }, -2.0},
  };
  const std::vector<Shape> shapes = {{}, {7}, {3, 4}, {2, 3, 2}};
  for (const Case& c : list) {
    for (const Shape& shape : shapes) {
      SCOPED_TRACE(detail::str(c.name, " on ", shape));
      Tensor x = c.kink ? away_from(shape, *c.kink) : randn(shape, float64);
      EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return c.f(in[0]); }, {x}).ok);
    }
    // A transposed (non-contiguous) input goes through the strided path of the fused kernels.
    SCOPED_TRACE(detail::str(c.name, " on a transposed view"));
    Tensor x = c.kink ? away_from({3, 5}, *c.kink) : randn({3, 5}, float64);
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return c.f(in[0].t()); }, {x}).ok);
  }
}

TEST(ActivationGradcheck, SoftmaxAndLogSoftmaxOverEachDim) {
  manual_seed(8);
  Tensor x = randn({2, 3, 4}, float64);
  for (int64_t dim : {0, 1, 2, -1}) {
    SCOPED_TRACE(detail::str("dim ", dim));
    // Weighting the outputs makes the sum depend on more than the (constant) row sums.
    Tensor w = randn({2, 3, 4}, float64);
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return F::softmax(in[0], dim) * w; }, {x}).ok);
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return F::log_softmax(in[0], dim) * w; }, {x}).ok);
  }
}

// ---- PyTorch's conventions at the kinks, written out ---------------------------------------------

TEST(ActivationKinks, GradientAtTheKinkFollowsPyTorch) {
  // relu'(0) = 0; leaky_relu'(0) = negative_slope; elu'(0) = alpha (the exponential branch).
  EXPECT_EQ(input_grad([](const Tensor& x) { return F::relu(x); }, {0.0, -1.0, 1.0}),
            (std::vector<double>{0.0, 0.0, 1.0}));
  EXPECT_EQ(input_grad([](const Tensor& x) { return F::leaky_relu(x, 0.25); }, {0.0, -1.0, 1.0}),
            (std::vector<double>{0.25, 0.25, 1.0}));
  EXPECT_EQ(input_grad([](const Tensor& x) { return F::leaky_relu(x); }, {0.0}), (std::vector<double>{0.01}));
  EXPECT_EQ(input_grad([](const Tensor& x) { return F::elu(x, 0.5); }, {0.0, 2.0}), (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(input_grad([](const Tensor& x) { return F::elu(x); }, {0.0}), (std::vector<double>{1.0}));
  // softplus at beta x == threshold exactly still uses the smooth branch: sigmoid(threshold).
  const std::vector<double> g = input_grad([](const Tensor& x) { return F::softplus(x, 2.0, 1.0); }, {0.5, 0.5001});
  EXPECT_DOUBLE_EQ(g[0], 1.0 / (1.0 + std::exp(-1.0)));
  EXPECT_EQ(g[1], 1.0);
}

TEST(ActivationKinks, ForwardValuesAtAndAroundTheKinks) {
  Tensor x = t64({-2.0, 0.0, 3.0});
  EXPECT_EQ(F::leaky_relu(x, 0.1).to_vector<double>(), (std::vector<double>{-0.2, 0.0, 3.0}));
  const std::vector<double> e = F::elu(x, 2.0).to_vector<double>();
  EXPECT_DOUBLE_EQ(e[0], 2.0 * std::expm1(-2.0));
  EXPECT_EQ(e[1], 0.0);
  EXPECT_EQ(e[2], 3.0);
  // gelu(0) = 0, gelu(x) - gelu(-x) = x (exact form).
  const std::vector<double> ge = F::gelu(t64({0.0, 1.3, -1.3})).to_vector<double>();
  EXPECT_EQ(ge[0], 0.0);
  EXPECT_NEAR(ge[1] - ge[2], 1.3, 1e-15);
  // softplus(0) = log(2) / beta; above the threshold it is x itself.
  EXPECT_DOUBLE_EQ(F::softplus(t64({0.0}), 2.0).item(), std::log(2.0) / 2.0);
  EXPECT_EQ(F::softplus(t64({21.0})).item(), 21.0);
}

TEST(ActivationKinks, SoftplusStaysFiniteWhereExpOverflows) {
  // With a high threshold, exp(beta x) overflows float32 (exp(100) > 3.4e38) but softplus ~ x.
  Tensor x = tensor(std::vector<float>{100.0f, -100.0f}, {2}).requires_grad_();
  Tensor y = F::softplus(x, 1.0, 1000.0);
  EXPECT_FLOAT_EQ(y.to_vector<float>()[0], 100.0f);
  EXPECT_GE(y.to_vector<float>()[1], 0.0f);
  EXPECT_LT(y.to_vector<float>()[1], 1e-30f);
  y.sum().backward();
  EXPECT_FLOAT_EQ(x.grad().to_vector<float>()[0], 1.0f);
  EXPECT_FLOAT_EQ(x.grad().to_vector<float>()[1], 0.0f);
}

// ---- Step ------------------------------------------------------------------------------------------

TEST(ActivationStep, HeavisideWithZeroAtZero) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = t64({-3.0, -0.0, 0.0, 1e-300, 2.0, nan});
  EXPECT_EQ(F::step(x).to_vector<double>(), (std::vector<double>{0, 0, 0, 1, 1, 0}));
  EXPECT_EQ(F::step(x).dtype(), float64);
  EXPECT_EQ(F::step(tensor({-1.0f, 0.5f})).dtype(), float32);
  EXPECT_EQ(F::step(tensor(std::vector<int64_t>{-2, 0, 5}, {3})).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 0, 1}));
}

TEST(ActivationStep, GradientIsZeroEverywhere) {
  Tensor x = t64({-1.0, 0.0, 0.5, 2.0}).requires_grad_();
  Tensor y = (F::step(x) * t64({1.0, 2.0, 3.0, 4.0})).sum();
  ASSERT_TRUE(y.requires_grad());  // a recorded op: backward runs and delivers zeros
  y.backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, 0, 0}));
  EXPECT_EQ(nn::Step().forward(x).to_vector<double>(), (std::vector<double>{0, 0, 1, 1}));
}

// ---- one fused op each -------------------------------------------------------------------------------

TEST(ActivationFusion, NewNonlinearitiesAreOneRecordedOp) {
  Tensor x = randn({4, 3}).requires_grad_();
  const std::vector<std::pair<std::string, Tensor>> outs = {{"LeakyReluBackward", F::leaky_relu(x)},
                                                            {"EluBackward", F::elu(x)},
                                                            {"GeluBackward", F::gelu(x)},
                                                            {"GeluBackward", F::gelu(x, "tanh")},
                                                            {"SoftplusBackward", F::softplus(x)}};
  for (const auto& [name, y] : outs) {
    SCOPED_TRACE(name);
    ASSERT_NE(y.grad_fn(), nullptr);
    EXPECT_EQ(y.grad_fn()->name, name);
    // The node feeds the leaf's accumulator directly: no chain of intermediate ops.
    ASSERT_EQ(y.grad_fn()->next.size(), 1u);
    ASSERT_NE(y.grad_fn()->next[0], nullptr);
    EXPECT_TRUE(y.grad_fn()->next[0]->accumulates);
  }
  NoGradGuard no_grad;
  EXPECT_EQ(F::gelu(x).grad_fn(), nullptr);
}

// ---- errors --------------------------------------------------------------------------------------

TEST(ActivationErrors, BadOptionsAndDtypesAreReported) {
  Tensor x = randn({2, 3});
  EXPECT_NE(message_of([&] { F::gelu(x, "erf"); }).find("'erf'"), std::string::npos);
  EXPECT_NE(message_of([] { nn::GELU("fast"); }).find("GELU: approximate must be 'none' or 'tanh', got 'fast'"),
            std::string::npos);
  Tensor ints = tensor(std::vector<int64_t>{1, -2}, {2});
  for (const auto& [name, fn] : std::vector<std::pair<std::string, std::function<void()>>>{
           {"leaky_relu", [&] { F::leaky_relu(ints); }},
           {"elu", [&] { F::elu(ints); }},
           {"gelu", [&] { F::gelu(ints); }},
           {"softplus", [&] { F::softplus(ints); }}}) {
    const std::string msg = message_of(fn);
    EXPECT_NE(msg.find(name + ": expected a floating-point tensor"), std::string::npos) << msg;
    EXPECT_NE(msg.find("int64"), std::string::npos) << msg;
  }
  EXPECT_THROW(F::elu(Tensor()), Error);
  EXPECT_THROW(F::step(Tensor()), Error);
  EXPECT_THROW(nn::Softmax(5).forward(x), Error);
}
