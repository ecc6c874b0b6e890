// Skip connections: BasicBlock's identity and projection shortcuts (torchvision's child names
// and state_dict keys, output shapes, the shortcut really added), float64 gradchecks of both
// kinds of block, the generic Residual wrapper, concat_channels' values, gradients and errors, and
// add_relu (the block's fused sum and ReLU) against the two ops, bit for bit.
#include <nabla/nabla.hpp>
#include <nabla/nn/cnn.hpp>

#include "float64_modules.hpp"
#include "../support/message_of.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nabla::testing::message_of;

using namespace nabla;
using ::testing::HasSubstr;

namespace {

std::vector<std::pair<std::string, Shape>> keys_and_shapes(const nn::Module& m) {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& [name, t] : m.state_dict()) out.emplace_back(name, t.shape());
  return out;
}

TEST(BasicBlock, IdentityShortcutKeepsTheShapeAndHasNoDownsample) {
  Generator g(1);
  nn::BasicBlock block(8, 8, 1, &g);
  EXPECT_EQ(block.downsample, nullptr);
  // torchvision.models.resnet.BasicBlock(8, 8).state_dict()
  using KS = std::vector<std::pair<std::string, Shape>>;
  EXPECT_EQ(keys_and_shapes(block), (KS{{"conv1.weight", {8, 8, 3, 3}},
                                        {"bn1.weight", {8}},
                                        {"bn1.bias", {8}},
                                        {"bn1.running_mean", {8}},
                                        {"bn1.running_var", {8}},
                                        {"bn1.num_batches_tracked", {}},
                                        {"conv2.weight", {8, 8, 3, 3}},
                                        {"bn2.weight", {8}},
                                        {"bn2.bias", {8}},
                                        {"bn2.running_mean", {8}},
                                        {"bn2.running_var", {8}},
                                        {"bn2.num_batches_tracked", {}}}));
  EXPECT_EQ(block.num_parameters(), 2 * 8 * 8 * 9 + 4 * 8);
  EXPECT_EQ(block.forward(randn({2, 8, 6, 5}, g)).shape(), (Shape{2, 8, 6, 5}));
}

TEST(BasicBlock, ProjectionShortcutWhenStrideOrWidthChanges) {
  Generator g(2);
  nn::BasicBlock down(4, 8, 2, &g);
  ASSERT_NE(down.downsample, nullptr);
  const auto ks = keys_and_shapes(down);
  const std::vector<std::pair<std::string, Shape>> projection = {
      {"downsample.0.weight", {8, 4, 1, 1}}, {"downsample.1.weight", {8}}, {"downsample.1.bias", {8}}};
  for (const auto& item : projection) EXPECT_NE(std::find(ks.begin(), ks.end(), item), ks.end()) << item.first;
  EXPECT_FALSE(down.state_dict().contains("conv1.bias"));  // bias=False convs, as torchvision's
  EXPECT_EQ(down.forward(randn({2, 4, 7, 8}, g)).shape(), (Shape{2, 8, 4, 4}));  // ceil(7 / 2), 8 / 2
  nn::BasicBlock wider(4, 8, 1, &g);
  ASSERT_NE(wider.downsample, nullptr);
  EXPECT_EQ(wider.forward(randn({1, 4, 5, 5}, g)).shape(), (Shape{1, 8, 5, 5}));
  EXPECT_EQ(nn::BasicBlock(4, 4, 2, &g).downsample != nullptr, true);
}

TEST(BasicBlock, IdentityShortcutAddsTheInput) {
  // With bn2's scale and shift at zero the body contributes nothing: y = relu(0 + x).
  Generator g(3);
  nn::BasicBlock block(3, 3, 1, &g);
  {
    NoGradGuard no_grad;
    block.bn2->weight.zero_();
  }
  const Tensor x = randn({2, 3, 4, 4}, g);
  EXPECT_TRUE(allclose(block.forward(x), x.relu(), 0.0, 0.0));
}

TEST(BasicBlock, ProjectionShortcutIsConvThenBatchNorm) {
  Generator g(4);
  nn::BasicBlock block(3, 5, 2, &g);
  {
    NoGradGuard no_grad;
    block.bn2->weight.zero_();
  }
  const Tensor x = randn({2, 3, 6, 6}, g);
  const Tensor expected = block.downsample->forward(x).relu();
  EXPECT_TRUE(allclose(block.forward(x), expected, 1e-6, 1e-6));
}

TEST(BasicBlock, GradcheckIdentityAndProjection) {
  Generator g(5);
  for (const auto& [in, out, stride] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{2, 2, 1}, {2, 3, 2}}) {
    nn::BasicBlock block(in, out, stride, &g);
    const GradcheckResult r = nabla::testing::module_gradcheck(block, randn({2, in, 4, 4}, g, float64));
    EXPECT_TRUE(r.ok) << "BasicBlock(" << in << ", " << out << ", " << stride << "): " << r.message;
  }
}

TEST(BasicBlock, RejectsBadArgumentsAndInputs) {
  EXPECT_THAT(message_of([] { nn::BasicBlock(0, 4); }), HasSubstr("must be positive"));
  EXPECT_THAT(message_of([] { nn::BasicBlock(4, 4, 0); }), HasSubstr("stride must be positive"));
  nn::BasicBlock block(4, 4);
  EXPECT_THAT(message_of([&] { block.forward(randn({2, 3, 5, 5})); }), HasSubstr("expected input (N, 4, H, W)"));
}

// relu(a + b) as two ops and as add_relu: values and both gradients, bit for bit, with sums that
// are exactly zero (relu'(0) = 0) and negative ones.
template <typename T>
void expect_add_relu_bit_identical(DType dtype) {
  SCOPED_TRACE(detail::str(dtype));
  manual_seed(41);
  const Tensor a0 = randn({3, 4, 5, 6}, dtype), g = randn({3, 4, 5, 6}, dtype);
  Tensor b0 = randn({3, 4, 5, 6}, dtype);
  {
    NoGradGuard no_grad;
    b0.narrow(3, 0, 2).copy_(a0.narrow(3, 0, 2).neg());  // a + b == 0 there
  }
  std::vector<std::vector<T>> results[2];
  for (int fused = 0; fused < 2; ++fused) {
    Tensor a = a0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    Tensor y = fused ? nn::functional::add_relu(a, b) : (a + b).relu();
    (y * g).sum().backward();
    for (const Tensor& t : {y, a.grad(), b.grad()}) results[fused].push_back(t.to_vector<T>());
  }
  for (size_t i = 0; i < results[0].size(); ++i) EXPECT_EQ(results[0][i], results[1][i]) << "result " << i;
  EXPECT_GT(std::count(results[1][0].begin(), results[1][0].end(), T(0)), 100);
}

TEST(AddRelu, BitIdenticalToAddThenReluWithGradcheck) {
  expect_add_relu_bit_identical<float>(float32);
  expect_add_relu_bit_identical<double>(float64);
  manual_seed(42);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return nn::functional::add_relu(in[0], in[1]); },
                        {randn({2, 3, 4}, float64), randn({2, 3, 4}, float64)})
                  .ok);
  // Only one input needing a gradient, and a non-contiguous one.
  Tensor a = randn({4, 3}, float64).requires_grad_();
  const Tensor b = randn({3, 4}, float64).t();
  nn::functional::add_relu(a, b).sum().backward();
  EXPECT_EQ(a.grad().to_vector<double>(), (a.detach() + b).gt(0.0).to(float64).to_vector<double>());
}

TEST(AddRelu, BroadcastingFallsBackToTheTwoOpsAndBlocksUseIt) {
  manual_seed(43);
  Tensor a = randn({2, 3}).requires_grad_(), b = randn({3}).requires_grad_();
  Tensor y = nn::functional::add_relu(a, b);
  EXPECT_EQ(y.grad_fn()->name, "ReluBackward");
  EXPECT_EQ(y.to_vector<float>(), (a.detach() + b.detach()).relu().to_vector<float>());
  y.sum().backward();
  EXPECT_EQ(b.grad().shape(), (Shape{3}));
  nn::BasicBlock block(2, 2);
  EXPECT_EQ(block.forward(randn({2, 2, 4, 4}).requires_grad_()).grad_fn()->name, "AddReluBackward");
  EXPECT_THAT(message_of([] { nn::functional::add_relu(Tensor(), zeros({2})); }), HasSubstr("must be defined"));
}

TEST(Residual, AddsBodyAndShortcut) {
  Generator g(6);
  auto body = std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = 2, .out_channels = 2, .kernel_size = 3,
                                                             .padding = 1}, &g);
  nn::Residual identity(body);
  const Tensor x = randn({1, 2, 5, 5}, g);
  EXPECT_TRUE(allclose(identity.forward(x), body->forward(x) + x, 0.0, 0.0));
  EXPECT_EQ(identity.state_dict().keys(), (std::vector<std::string>{"body.weight", "body.bias"}));

  auto shortcut = std::make_shared<nn::Conv2d>(2, 2, 1, 1, 0, 1, 1, false, &g);
  nn::Residual projected(body, shortcut);
  EXPECT_TRUE(allclose(projected.forward(x), body->forward(x) + shortcut->forward(x), 0.0, 0.0));
  EXPECT_TRUE(projected.state_dict().contains("shortcut.weight"));
}

TEST(Residual, GradientFlowsThroughBothBranches) {
  Generator g(7);
  auto body = std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = 2, .out_channels = 2, .kernel_size = 3,
                                                             .padding = 1}, &g);
  nn::Residual r(body);
  const GradcheckResult result = nabla::testing::module_gradcheck(r, randn({2, 2, 3, 3}, g, float64));
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(Residual, ShapeMismatchNamesBothShapes) {
  auto body = std::make_shared<nn::Conv2d>(2, 3, 3);
  nn::Residual r(body);
  const std::string e = message_of([&] { r.forward(randn({1, 2, 5, 5})); });
  EXPECT_THAT(e, HasSubstr("[1, 3, 3, 3]"));
  EXPECT_THAT(e, HasSubstr("[1, 2, 5, 5]"));
  EXPECT_THAT(message_of([] { nn::Residual(nullptr); }), HasSubstr("must not be null"));
}

TEST(ConcatChannels, JoinsAlongDimOneWithGradients) {
  Generator g(8);
  const Tensor a = randn({2, 3, 4, 5}, g, float64), b = randn({2, 1, 4, 5}, g, float64);
  const Tensor c = nn::functional::concat_channels(a, b);
  ASSERT_EQ(c.shape(), (Shape{2, 4, 4, 5}));
  EXPECT_TRUE(allclose(c.narrow(1, 0, 3), a, 0.0, 0.0));
  EXPECT_TRUE(allclose(c.narrow(1, 3, 1), b, 0.0, 0.0));
  auto fn = [](const std::vector<Tensor>& in) { return nn::functional::concat_channels(in[0], in[1]) * 1.5; };
  EXPECT_TRUE(gradcheck(fn, {a, b}).ok);
}

TEST(ConcatChannels, MismatchedBatchOrSpatialShapesAreErrors) {
  const std::string spatial =
      message_of([] { nn::functional::concat_channels(zeros({2, 3, 8, 8}), zeros({2, 3, 7, 8})); });
  EXPECT_THAT(spatial, HasSubstr("[2, 3, 8, 8] and [2, 3, 7, 8]"));
  EXPECT_THAT(spatial, HasSubstr("dim 2"));
  EXPECT_THAT(message_of([] { nn::functional::concat_channels(zeros({2, 3, 4}), zeros({1, 3, 4})); }),
              HasSubstr("dim 0"));
  EXPECT_THAT(message_of([] { nn::functional::concat_channels(zeros({2, 3, 4, 4}), zeros({2, 3, 4})); }),
              HasSubstr("same rank"));
}

}  // namespace
