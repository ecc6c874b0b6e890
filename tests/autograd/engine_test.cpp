// The backward engine: the lectures' worked examples, accumulation, graph release, grad mode,
// leaves and detach, nabla::grad, and the DOT export.
#include <nabla/nabla.hpp>

#include "autograd/record.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace nabla;

TEST(WorkedExamples, SumTimesProduct) {
  // f(x, y, z) = (x + y) z at (-2, 5, -4): f = -12, df/dx = df/dy = z = -4, df/dz = x + y = 3.
  auto x = tensor({-2.0f}).requires_grad_();
  auto y = tensor({5.0f}).requires_grad_();
  auto z = tensor({-4.0f}).requires_grad_();
  auto f = (x + y) * z;
  f.backward();
  EXPECT_EQ(f.item(), -12.0);
  EXPECT_EQ(x.grad().item(), -4.0);
  EXPECT_EQ(y.grad().item(), -4.0);
  EXPECT_EQ(z.grad().item(), 3.0);
}

TEST(WorkedExamples, LinearCombination) {
  // J(a, b, c) = 3 (a + b c) at (5, 3, 2): J = 33, dJ/da = 3, dJ/db = 3c = 6, dJ/dc = 3b = 9.
  auto a = tensor({5.0f}).requires_grad_();
  auto b = tensor({3.0f}).requires_grad_();
  auto c = tensor({2.0f}).requires_grad_();
  auto J = 3.0 * (a + b * c);
  J.backward();
  EXPECT_EQ(J.item(), 33.0);
  EXPECT_EQ(a.grad().item(), 3.0);
  EXPECT_EQ(b.grad().item(), 6.0);
  EXPECT_EQ(c.grad().item(), 9.0);
}

TEST(WorkedExamples, SigmoidDerivativeAndLogisticLoss) {
  for (double zv : {-3.0, -0.5, 0.0, 0.7, 4.0}) {
    auto z = tensor(std::vector<double>{zv}, {1}).requires_grad_();
    auto s = z.sigmoid();
    s.backward();
    const double sig = 1.0 / (1.0 + std::exp(-zv));
    EXPECT_NEAR(z.grad().item(), sig * (1 - sig), 1e-12);
    for (double y : {0.0, 1.0}) {
      auto w = tensor(std::vector<double>{zv}, {1}).requires_grad_();
      auto p = w.sigmoid();
      auto loss = -(y * p.log() + (1.0 - y) * (1.0 - p).log());
      loss.backward();
      EXPECT_NEAR(w.grad().item(), sig - y, 1e-9) << "z=" << zv << " y=" << y;
    }
  }
}

TEST(Engine, GradientsAccumulateUntilZeroed) {
  auto w = tensor({2.0f, 3.0f}).requires_grad_();
  (w * w).sum().backward();
  (w * w).sum().backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{8, 12}));
  w.grad().zero_();
  (w * 3.0).sum().backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{3, 3}));
  w.set_grad(Tensor());
  EXPECT_FALSE(w.grad().defined());
}

TEST(Engine, SharedSubexpressionsSumTheirPaths) {
  // y = x*x used twice: d/dx (y + y) = 4x, and a diamond x -> (a, b) -> a*b.
  auto x = tensor({3.0f}).requires_grad_();
  auto y = x * x;
  (y + y).backward();
  EXPECT_EQ(x.grad().item(), 12.0);
  auto u = tensor({2.0f}).requires_grad_();
  auto a = u * 3.0, b = u + 1.0;
  (a * b).backward();  // d/du (3u (u+1)) = 6u + 3
  EXPECT_EQ(u.grad().item(), 15.0);
}

TEST(Engine, NonScalarNeedsExplicitGradient) {
  auto x = ones({2, 3}).requires_grad_();
  auto y = x * 2.0;
  try {
    y.backward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
  }
  y.backward(full({2, 3}, 0.5));
  EXPECT_EQ(x.grad().to_vector(), std::vector<float>(6, 1.0f));
  EXPECT_THROW(y.backward(ones({3, 2})), Error);
}

TEST(Engine, GraphIsReleasedAfterBackwardUnlessRetained) {
  auto x = tensor({1.0f}).requires_grad_();
  auto y = (x * 2.0).exp();
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  EXPECT_NEAR(x.grad().item(), 4.0 * std::exp(2.0), 1e-4);
  try {
    y.backward();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
}

TEST(Engine, NoGradGuardDetachAndLeaves) {
  auto w = tensor({1.0f}).requires_grad_();
  EXPECT_TRUE(w.is_leaf());
  auto y = w * 2.0;
  EXPECT_FALSE(y.is_leaf());
  EXPECT_TRUE(y.requires_grad());
  EXPECT_EQ(y.grad_fn()->name, "MulBackward");
  {
    NoGradGuard guard;
    auto z = w * 2.0;
    EXPECT_FALSE(z.requires_grad());
    EXPECT_TRUE(z.is_leaf());
    {
      EnableGradGuard enable;
      EXPECT_TRUE((w * 2.0).requires_grad());
    }
  }
  EXPECT_TRUE(autograd::grad_mode_enabled());
  auto d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.shares_storage(y));
  EXPECT_FALSE((d * 3.0).requires_grad());  // nothing computed from d reaches w
}

TEST(Engine, BackwardOnTensorWithoutGraphIsAnError) {
  auto x = ones({1});
  try {
    x.backward();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("requires_grad"), std::string::npos) << e.what();
  }
  EXPECT_THROW(arange(3, int64).requires_grad_(), Error);
}

TEST(Engine, InPlaceOnLeafRequiringGradIsRefused) {
  auto w = ones({2}).requires_grad_();
  EXPECT_THROW(w.add_(1.0), Error);
  {
    NoGradGuard guard;
    w.sub_(ones({2}), 0.5);  // the optimiser pattern
  }
  EXPECT_EQ(w.to_vector(), (std::vector<float>{0.5f, 0.5f}));
}

TEST(Engine, ModifiedSavedTensorIsDetected) {
  auto w = ones({3}).requires_grad_();
  auto b = full({3}, 2.0);
  auto y = (w * b).sum();  // saves b for w's gradient
  b.add_(1.0);
  try {
    y.backward();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("in-place"), std::string::npos) << e.what();
  }
}

TEST(Engine, GradientsThroughViewsReachTheBase) {
  auto x = arange(6, float64).reshape({2, 3}).requires_grad_();
  auto y = x.t().narrow(0, 1, 2).unsqueeze(0).expand({4, 2, 2});
  y.sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 4, 4, 0, 4, 4}));
}

TEST(Engine, GradFunctionDoesNotTouchDotGrad) {
  auto x = tensor({3.0f}).requires_grad_();
  auto y = tensor({4.0f}).requires_grad_();
  auto f = x * x * y;
  std::vector<Tensor> g = grad(f, {x, y});
  EXPECT_EQ(g[0].item(), 24.0);
  EXPECT_EQ(g[1].item(), 9.0);
  EXPECT_FALSE(x.grad().defined());
}

TEST(Engine, DeepChainsDoNotOverflowTheStack) {
  auto x = tensor({1.0f}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y + 0.0;
  y.backward();
  EXPECT_EQ(x.grad().item(), 1.0);
}

TEST(Engine, DroppingAVeryDeepGraphDoesNotOverflowTheStack) {
  // A million nodes, with a branch back to x every thousand: destroying them recursively needs far
  // more than an 8 MiB stack (this test crashes without Node's iterative destructor).
  auto x = tensor({1.0f}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 1000000; ++i) y = (i % 1000 == 0) ? y * x : y + 0.0;
  y.backward();
  EXPECT_EQ(x.grad().item(), 1001.0);  // y = x^1001
  y = Tensor();  // the whole chain goes here
}

TEST(Engine, ApiExampleFromTheIssue) {
  manual_seed(0);
  auto X = randn({64, 784});
  auto W = (randn({784, 10}) * 0.01).requires_grad_();
  auto b = zeros({10}).requires_grad_();
  auto loss = matmul(X, W).add(b).log_softmax(1).mean();
  loss.backward();
  EXPECT_EQ(W.grad().shape(), (Shape{784, 10}));
  EXPECT_EQ(b.grad().shape(), (Shape{10}));
  {
    NoGradGuard g;
    W.sub_(W.grad() * 0.1);
  }
  const std::string dot = to_dot(loss);
  EXPECT_NE(dot.find("digraph"), std::string::npos);
  EXPECT_NE(dot.find("Matmul"), std::string::npos) << dot;
  EXPECT_NE(dot.find("(784, 10)"), std::string::npos) << dot;
}

TEST(Dot, DrawsVariablesOpsAndConstants) {
  auto x = tensor({-2.0f}).requires_grad_();
  auto y = tensor({5.0f}).requires_grad_();
  auto f = (x + y) * full({1}, -4.0);
  const std::string dot = to_dot(f);
  EXPECT_NE(dot.find("label=\"Add\\n(1,)\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"Mul\\n(1,)\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("variable"), std::string::npos);
  EXPECT_NE(dot.find("constant"), std::string::npos);
  size_t vars = 0;
  for (size_t p = dot.find("variable"); p != std::string::npos; p = dot.find("variable", p + 1)) ++vars;
  EXPECT_EQ(vars, 2u);
}
