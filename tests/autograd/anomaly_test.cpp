// Anomaly detection: the first op whose forward or backward makes a NaN or an infinity is named
// with its input shapes; inputs that arrive non-finite, a non-finite gradient handed to
// backward() and gradients that overflow when summed are reported too; off by default, scoped,
// and silent (with results unchanged) on healthy CNN and MLP training steps.
#include <nabla/nabla.hpp>

#include "../support/message_of.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <optional>

using namespace nabla;
using nabla::testing::message_of;
using ::testing::HasSubstr;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

TEST(DetectAnomaly, OffByDefaultAndScoped) {
  EXPECT_FALSE(autograd::is_anomaly_enabled());
  {
    detect_anomaly outer;
    EXPECT_TRUE(autograd::is_anomaly_enabled());
    {
      detect_anomaly inner;
    }
    EXPECT_TRUE(autograd::is_anomaly_enabled());  // the inner guard restores, not clears
  }
  EXPECT_FALSE(autograd::is_anomaly_enabled());
  // Off: log(0) = -inf passes silently, as it does in PyTorch.
  auto x = tensor({1.0f, 0.0f}).requires_grad_();
  EXPECT_EQ(x.log().to_vector()[1], -kInf);
}

TEST(DetectAnomaly, NamesTheForwardThatProducedInfinity) {
  detect_anomaly anomaly;
  auto x = tensor(std::vector<float>{1, 0, 2}, {3}).requires_grad_();
  auto w = tensor({1.0f}).requires_grad_();
  const std::string message = message_of([&] { (x * w).log(); });
  EXPECT_THAT(message, HasSubstr("detect_anomaly: the forward of op #"));
  EXPECT_THAT(message, HasSubstr("(LogBackward) produced 0 NaN and 1 infinite value (the first at flat index 1)"));
  EXPECT_THAT(message, HasSubstr("in its output of shape [3] from finite inputs of shapes [3]"));
}

TEST(DetectAnomaly, NamesTheForwardThatProducedNaN) {
  detect_anomaly anomaly;
  auto x = tensor(std::vector<float>{4, -1, -9, 1}, {2, 2}).requires_grad_();
  const std::string message = message_of([&] { x.sqrt(); });
  EXPECT_THAT(message, HasSubstr("(SqrtBackward) produced 2 NaN and 0 infinite values (the first at flat index 1)"));
  EXPECT_THAT(message, HasSubstr("output of shape [2, 2]"));
}

TEST(DetectAnomaly, ReportsAnInputThatArrivesNonFinite) {
  detect_anomaly anomaly;
  auto data = tensor(std::vector<float>{1, kNaN, 3, kInf}, {2, 2});  // e.g. a corrupt batch
  auto w = ones({2, 3}).requires_grad_();
  const std::string message = message_of([&] { matmul(data, w); });
  EXPECT_THAT(message, HasSubstr("input 0 of op #"));
  EXPECT_THAT(message, HasSubstr("inputs of shapes [2, 2], [2, 3]) already holds 1 NaN and 1 infinite value"));
  EXPECT_THAT(message, HasSubstr("comes from the data, a parameter or a computation made without grad"));
}

TEST(DetectAnomaly, NamesTheBackwardThatProducedInfinity) {
  // sqrt is finite at 0, its derivative 1 / (2 sqrt(0)) is not.
  detect_anomaly anomaly;
  auto x = tensor({0.0f, 4.0f}).requires_grad_();
  auto y = (x * 2.0).sqrt().sum();
  const std::string message = message_of([&] { y.backward(); });
  EXPECT_THAT(message, HasSubstr("the backward of op #"));
  EXPECT_THAT(message, HasSubstr("(SqrtBackward, inputs of shapes [2]) returned 0 NaN and 1 infinite value"));
  EXPECT_THAT(message, HasSubstr("in the gradient for input 0 from a finite output gradient of shape [2]"));
  EXPECT_FALSE(x.grad().defined());  // stopped before anything reached the leaf
}

TEST(DetectAnomaly, TheForwardAndBackwardMessagesShareTheOpNumber) {
  detect_anomaly anomaly;
  auto x = tensor({0.0f}).requires_grad_();
  auto s = x.sqrt();
  const int64_t number = s.grad_fn()->sequence_nr;
  EXPECT_GT(number, 0);
  const std::string message = message_of([&] { s.sum().backward(); });
  EXPECT_THAT(message, HasSubstr("op #" + std::to_string(number) + " (SqrtBackward"));
}

TEST(DetectAnomaly, ReportsANonFiniteGradientGivenToBackward) {
  detect_anomaly anomaly;
  auto x = tensor({1.0f, 2.0f}).requires_grad_();
  auto y = x * 3.0;
  const std::string message = message_of([&] { y.backward(tensor({1.0f, kNaN})); });
  EXPECT_THAT(message, HasSubstr("the gradient given to backward() (shape [2]) holds 1 NaN"));
}

TEST(DetectAnomaly, ReportsGradientsThatOverflowWhenSummed) {
  // Each path's gradient is 2e38 (finite); their sum is not.
  detect_anomaly anomaly;
  auto x = tensor({1e-30f}).requires_grad_();
  auto h = x * 1.0;
  auto y = (h * 2e38) + (h * 2e38);
  const std::string message = message_of([&] { y.sum().backward(); });
  EXPECT_THAT(message, HasSubstr("the gradient arriving at op #"));
  EXPECT_THAT(message, HasSubstr("(MulBackward) of shape [1] holds 0 NaN and 1 infinite value"));
  EXPECT_THAT(message, HasSubstr("overflowed when summed"));
}

TEST(DetectAnomaly, SilentOnHealthyTrainingStepsWithUnchangedResults) {
  // A LeNet-5 step (conv, pooling, linear, cross-entropy) and a BatchNorm/residual step give
  // the same gradients with and without the checks.
  for (const bool use_resnet : {false, true}) {
    SCOPED_TRACE(use_resnet ? "resnet_small" : "lenet5");
    auto run = [&](bool check) {
      manual_seed(3);
      auto net = use_resnet ? nn::resnet_small() : nn::lenet5();
      Tensor x = rand({4, 1, 28, 28});
      Tensor labels = tensor(std::vector<int64_t>{0, 3, 7, 9}, {4});
      std::optional<detect_anomaly> anomaly;
      if (check) anomaly.emplace();
      nn::functional::cross_entropy(net->forward(x), labels).backward();
      std::vector<float> grads;
      for (const Tensor& p : net->parameters())
        for (float v : p.grad().to_vector<float>()) grads.push_back(v);
      return grads;
    };
    const std::vector<float> plain = run(false);
    const std::vector<float> checked = run(true);
    ASSERT_EQ(plain.size(), checked.size());
    EXPECT_EQ(std::memcmp(plain.data(), checked.data(), plain.size() * sizeof(float)), 0);
  }
}
