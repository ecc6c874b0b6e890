// Binary and unary elementwise ops: values against hand-written loops and NumPy's broadcasting
// rules, gradients by finite differences (float64) and PyTorch's conventions at kinks, the
// lectures' sigmoid and cross-entropy derivatives, dtype rules and scalar overloads.
#include <nabla/nabla.hpp>

#include "../../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using nabla::testing::message_of;

using namespace nabla;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// float64 values from N(0, 1) pushed at least `gap` away from `kink`, so finite differences
// never straddle it.
Tensor away_from(const Shape& shape, double kink, double gap = 0.2) {
  std::vector<double> v = randn(shape, float64).to_vector<double>();
  for (double& x : v) x = kink + (x >= 0 ? x + gap : x - gap);
  return tensor(v, shape);
}

// Uniform in [lo, hi), float64.
Tensor uniform(const Shape& shape, double lo, double hi) {
  std::vector<double> v = rand(shape, float64).to_vector<double>();
  for (double& x : v) x = lo + (hi - lo) * x;
  return tensor(v, shape);
}

void expect_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-12) {
  const std::vector<double> got = t.to(float64).to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i << " is " << got[i];
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(got[i], expected[i]) << "element " << i;
    } else {
      EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
    }
  }
}

// The broadcasting pairs every binary op is gradient-checked on.
const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {
    {{2, 3}, {2, 3}}, {{3, 1, 4}, {2, 1}}, {{5}, {2, 5}}, {{}, {2, 3}}, {{2, 3}, {}}, {{4, 1}, {1, 3}}};

}  // namespace

// ---- broadcasting ------------------------------------------------------------------------------

TEST(ElementwiseBroadcast, OutputShapesFollowNumPy) {
  struct Case {
    Shape a, b, out;
  };
  const std::vector<Case> cases = {
      {{2, 3}, {3}, {2, 3}},          {{3, 1, 4}, {2, 1}, {3, 2, 4}}, {{5}, {2, 5}, {2, 5}},
      {{}, {2, 3}, {2, 3}},           {{1}, {}, {1}},                 {{4, 1}, {1, 5}, {4, 5}},
      {{0, 3}, {3}, {0, 3}},          {{2, 1, 1}, {1, 3, 1}, {2, 3, 1}}, {{1, 0}, {5, 1}, {5, 0}},
      {{}, {}, {}},                   {{7, 1, 2}, {6, 1}, {7, 6, 2}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(detail::str(c.a, " x ", c.b));
    Tensor a = ones(c.a), b = ones(c.b);
    EXPECT_EQ((a + b).shape(), c.out);
    EXPECT_EQ((b * a).shape(), c.out);
    EXPECT_EQ(a.maximum(b).shape(), c.out);
    EXPECT_EQ(a.lt(b).shape(), c.out);
  }
}

TEST(ElementwiseBroadcast, IncompatibleShapesNameBothShapes) {
  const std::vector<std::pair<Shape, Shape>> bad = {{{2, 3}, {2}}, {{3}, {4}}, {{2, 3, 4}, {3, 3}}, {{0}, {2}}};
  for (const auto& [sa, sb] : bad) {
    Tensor a = ones(sa), b = ones(sb);
    for (const auto& op : std::vector<std::function<Tensor()>>{
             [&] { return a + b; }, [&] { return a - b; }, [&] { return a * b; }, [&] { return a / b; },
             [&] { return a.pow(b); }, [&] { return a.maximum(b); }, [&] { return minimum(a, b); }}) {
      const std::string msg = message_of([&] { op(); });
      EXPECT_NE(msg.find(detail::str(sa)), std::string::npos) << msg;
      EXPECT_NE(msg.find(detail::str(sb)), std::string::npos) << msg;
    }
  }
  EXPECT_NE(message_of([] { ones({2, 3}) + ones({2}); }).find("add"), std::string::npos);
}

TEST(ElementwiseBroadcast, ValuesMatchHandWrittenLoops) {
  manual_seed(1);
  Tensor a = randn({3, 1, 4}, float64);  // broadcast to (3, 2, 4)
  Tensor b = away_from({2, 1}, 0.0);
  const auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> sum, diff, prod, quot, mx, mn;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 4; ++k) {
        const double x = av[i * 4 + k], y = bv[j];
        sum.push_back(x + y);
        diff.push_back(x - y);
        prod.push_back(x * y);
        quot.push_back(x / y);
        mx.push_back(std::max(x, y));
        mn.push_back(std::min(x, y));
      }
  expect_values(a + b, sum);
  expect_values(a - b, diff);
  expect_values(a * b, prod);
  expect_values(a / b, quot);
  expect_values(a.maximum(b), mx);
  expect_values(minimum(a, b), mn);
  EXPECT_EQ((a + b).shape(), (Shape{3, 2, 4}));
}

TEST(ElementwiseBroadcast, NonContiguousOperands) {
  Tensor x = arange(6.0, float64).reshape({2, 3});
  Tensor t = x.t();  // (3, 2), strides (1, 3)
  expect_values(t + ones({3, 2}, float64), {1, 4, 2, 5, 3, 6});
  expect_values(t * arange(2.0, float64), {0, 3, 0, 4, 0, 5});
  expect_values(t.exp(), {std::exp(0.0), std::exp(3.0), std::exp(1.0), std::exp(4.0), std::exp(2.0), std::exp(5.0)});
  Tensor col = x.narrow(1, 1, 1);  // (2, 1) with stride 3
  expect_values(col - x, {1, 0, -1, 1, 0, -1});
}

// Large enough for the kernels to split rows across threads: the values must match a plain loop
// and must not depend on the thread count.
TEST(ElementwiseBroadcast, LargeTensorsSplitAcrossThreadsGiveTheSameValues) {
  manual_seed(5);
  Tensor a = randn({400, 300}).t();  // (300, 400), non-contiguous
  Tensor b = randn({400});
  const auto av = a.contiguous().to_vector<float>(), bv = b.to_vector<float>();
  const int threads = get_num_threads();
  std::vector<std::vector<float>> runs;
  for (int n : {1, 3}) {
    set_num_threads(n);
    Tensor c = zeros({400, 300});
    c.t().add_(a, 2.0).addcmul_(a, b);  // writes through a transposed view
    for (const Tensor& r : {a + b, a.maximum(b), a.sigmoid(), c.t().contiguous()}) runs.push_back(r.to_vector<float>());
  }
  set_num_threads(threads);
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(runs[k], runs[k + 4]) << "result " << k << " depends on the thread count";
  for (size_t i = 0; i < av.size(); ++i) {
    const float x = av[i], y = bv[i % 400];
    ASSERT_EQ(runs[0][i], x + y) << i;
    ASSERT_EQ(runs[1][i], std::max(x, y)) << i;
    ASSERT_NEAR(runs[2][i], 1.0 / (1.0 + std::exp(-double(x))), 1e-6) << i;
    ASSERT_NEAR(runs[3][i], 2.0 * x + double(x) * y, 1e-5 * (1 + std::abs(2.0 * x + double(x) * y))) << i;
  }
}

// ---- gradients -------------------------------------------------------------------------------

TEST(ElementwiseGrad, BinaryOpsOnBroadcastPairs) {
  manual_seed(2);
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"add", [](const auto& in) { return in[0] + in[1]; }},
      {"sub", [](const auto& in) { return in[0] - in[1]; }},
      {"mul", [](const auto& in) { return in[0] * in[1]; }},
      {"div", [](const auto& in) { return in[0] / in[1]; }},
      {"pow", [](const auto& in) { return in[0].abs().add(0.5).pow(in[1]); }},
      {"maximum", [](const auto& in) { return in[0].maximum(in[1]); }},
      {"minimum", [](const auto& in) { return minimum(in[0], in[1]); }},
  };
  for (const auto& [name, fn] : ops) {
    for (const auto& [sa, sb] : kBroadcastPairs) {
      SCOPED_TRACE(detail::str(name, " ", sa, " x ", sb));
      // Divisors and |base| stay away from 0; operands differ by far more than eps (no ties).
      Tensor a = away_from(sa, 0.0);
      Tensor b = away_from(sb, 0.0, 0.3);
      GradcheckResult r = gradcheck(fn, {a, b}, {.raise = false});
      EXPECT_TRUE(r.ok) << r.message;
    }
  }
}

TEST(ElementwiseGrad, ScalarFormsAndOperators) {
  manual_seed(3);
  Tensor x = away_from({2, 3}, 0.0);
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"x + 3", [](const auto& in) { return in[0] + 3.0; }},
      {"3 + x", [](const auto& in) { return 3.0 + in[0]; }},
      {"x - 3", [](const auto& in) { return in[0] - 3.0; }},
      {"2 - x", [](const auto& in) { return 2.0 - in[0]; }},
      {"x * 3", [](const auto& in) { return in[0] * 3.0; }},
      {"-2 * x", [](const auto& in) { return -2.0 * in[0]; }},
      {"x / 4", [](const auto& in) { return in[0] / 4.0; }},
      {"1 / x", [](const auto& in) { return 1.0 / in[0]; }},
      {"-x", [](const auto& in) { return -in[0]; }},
      {"x^3", [](const auto& in) { return in[0].pow(3.0); }},
      {"x^2", [](const auto& in) { return in[0].pow(2.0); }},
      {"x^-1", [](const auto& in) { return in[0].pow(-1.0); }},
      {"|x|^0.5", [](const auto& in) { return in[0].abs().pow(0.5); }},
      {"|x|^-1.5", [](const auto& in) { return in[0].abs().pow(-1.5); }},
  };
  for (const auto& [name, fn] : ops) {
    SCOPED_TRACE(name);
    GradcheckResult r = gradcheck(fn, {x}, {.raise = false});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(ElementwiseGrad, UnaryOpsAwayFromKinks) {
  manual_seed(4);
  const std::vector<std::tuple<const char*, Fn, Tensor>> ops = {
      {"neg", [](const auto& in) { return in[0].neg(); }, randn({2, 3}, float64)},
      {"exp", [](const auto& in) { return in[0].exp(); }, randn({2, 3}, float64)},
      {"log", [](const auto& in) { return in[0].log(); }, uniform({2, 3}, 0.3, 3.0)},
      {"sqrt", [](const auto& in) { return in[0].sqrt(); }, uniform({4}, 0.3, 3.0)},
      {"abs", [](const auto& in) { return in[0].abs(); }, away_from({2, 3}, 0.0)},
      {"square", [](const auto& in) { return in[0].square(); }, randn({3, 2}, float64)},
      {"sigmoid", [](const auto& in) { return in[0].sigmoid(); }, randn({2, 3}, float64) * 3.0},
      {"tanh", [](const auto& in) { return in[0].tanh(); }, randn({2, 3}, float64) * 2.0},
      {"relu", [](const auto& in) { return in[0].relu(); }, away_from({2, 3}, 0.0)},
      {"clamp", [](const auto& in) { return in[0].clamp(-0.5, 0.7); }, away_from({3, 4}, 0.0, 0.0)},
      {"clamp_min", [](const auto& in) { return in[0].clamp_min(0.25); }, away_from({6}, 0.25)},
      {"clamp_max", [](const auto& in) { return in[0].clamp_max(-0.25); }, away_from({6}, -0.25)},
      {"sign", [](const auto& in) { return in[0].sign() * in[0]; }, away_from({5}, 0.0)},
      {"scalar tensor", [](const auto& in) { return in[0].exp().sigmoid(); }, randn({}, float64)},
  };
  for (const auto& [name, fn, input] : ops) {
    SCOPED_TRACE(name);
    Tensor x = input;
    if (std::string(name) == "clamp") {
      // Keep every element at least 0.1 from both bounds.
      std::vector<double> v = x.to_vector<double>();
      for (double& e : v)
        for (double bound : {-0.5, 0.7})
          if (std::abs(e - bound) < 0.1) e = bound + (e < bound ? -0.1 : 0.1);
      x = tensor(v, x.shape());
    }
    GradcheckResult r = gradcheck(fn, {x}, {.raise = false});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

// Gradients at the kinks, as PyTorch 1.13 defines them.
TEST(ElementwiseGrad, KinkConventionsMatchPyTorch) {
  Tensor x = tensor(std::vector<double>{-1, 0, 1, 2, 3}, {5}).requires_grad_();
  x.abs().sum().backward();
  expect_values(x.grad(), {-1, 0, 1, 1, 1});  // abs'(0) = 0
  x.set_grad(Tensor());
  x.relu().sum().backward();
  expect_values(x.grad(), {0, 0, 1, 1, 1});  // relu'(0) = 0
  x.set_grad(Tensor());
  x.sign().sum().backward();
  expect_values(x.grad(), {0, 0, 0, 0, 0});
  x.set_grad(Tensor());
  x.clamp(0.0, 2.0).sum().backward();
  expect_values(x.grad(), {0, 1, 1, 1, 0});  // both bounds inclusive
  x.set_grad(Tensor());
  x.clamp_min(0.0).sum().backward();
  expect_values(x.grad(), {0, 1, 1, 1, 1});
  x.set_grad(Tensor());
  x.clamp_max(2.0).sum().backward();
  expect_values(x.grad(), {1, 1, 1, 1, 0});
}

TEST(ElementwiseGrad, MaximumMinimumSplitTiesEvenly) {
  Tensor a = tensor(std::vector<double>{1, 2, 3}, {3}).requires_grad_();
  Tensor b = tensor(std::vector<double>{1, 3, 2}, {3}).requires_grad_();
  maximum(a, b).sum().backward();
  expect_values(a.grad(), {0.5, 0, 1});
  expect_values(b.grad(), {0.5, 1, 0});
  a.set_grad(Tensor());
  b.set_grad(Tensor());
  a.minimum(b).sum().backward();
  expect_values(a.grad(), {0.5, 1, 0});
  expect_values(b.grad(), {0.5, 0, 1});
  // A broadcast operand collects the gradient of every element it was compared with.
  Tensor c = tensor(std::vector<double>{2}, {1}).requires_grad_();
  Tensor d = tensor(std::vector<double>{1, 2, 3}, {3});
  c.maximum(d).sum().backward();
  expect_values(c.grad(), {1.5});
}

TEST(ElementwiseGrad, PowAtZeroBaseMatchesPyTorch) {
  Tensor base = tensor(std::vector<double>{0, 0, 0, 2}, {4}).requires_grad_();
  Tensor e = tensor(std::vector<double>{0, 2, -1, 3}, {4}).requires_grad_();
  base.pow(e).sum().backward();
  const double inf = INFINITY;
  expect_values(base.grad(), {0, 0, -inf, 12});
  expect_values(e.grad(), {0, 0, -inf, 8 * std::log(2.0)});
  Tensor z = tensor(std::vector<double>{0, 1, 2}, {3}).requires_grad_();
  z.pow(0.0).sum().backward();
  expect_values(z.grad(), {0, 0, 0});
  z.set_grad(Tensor());
  z.pow(0.5).sum().backward();
  expect_values(z.grad(), {inf, 0.5, 0.5 / std::sqrt(2.0)});
}

TEST(ElementwiseGrad, OnlyRequestedInputsGetGradients) {
  Tensor a = randn({2, 3}, float64).requires_grad_();
  Tensor b = randn({3}, float64);
  (a * b).sum().backward();
  EXPECT_TRUE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  expect_values(a.grad(), [&] {
    std::vector<double> v;
    for (int i = 0; i < 2; ++i)
      for (double x : b.to_vector<double>()) v.push_back(x);
    return v;
  }());
  EXPECT_FALSE((b * b).requires_grad());
  EXPECT_EQ((a + b).grad_fn()->name, "AddBackward");
}

// ---- the lectures' worked examples -----------------------------------------------------------

TEST(ElementwiseLectures, SigmoidDerivativeIsSigmaTimesOneMinusSigma) {
  for (double z0 : {-4.0, -1.0, 0.0, 0.5, 2.0, 6.0}) {
    Tensor z = scalar_tensor(z0, float64).requires_grad_();
    Tensor s = z.sigmoid();
    s.backward();
    const double sigma = 1.0 / (1.0 + std::exp(-z0));
    EXPECT_NEAR(s.item(), sigma, 1e-15);
    EXPECT_NEAR(z.grad().item(), sigma * (1.0 - sigma), 1e-15) << "z = " << z0;
  }
}

TEST(ElementwiseLectures, CrossEntropyOfSigmoidHasGradientSigmaMinusY) {
  for (double y : {0.0, 1.0}) {
    for (double z0 : {-3.0, -0.5, 0.0, 1.0, 2.5}) {
      Tensor z = scalar_tensor(z0, float64).requires_grad_();
      Tensor s = z.sigmoid();
      Tensor loss = -(y * s.log() + (1.0 - y) * (1.0 - s).log());
      loss.backward();
      const double sigma = 1.0 / (1.0 + std::exp(-z0));
      EXPECT_NEAR(z.grad().item(), sigma - y, 1e-12) << "y = " << y << ", z = " << z0;
    }
  }
}

// ---- unary values ------------------------------------------------------------------------------

TEST(ElementwiseUnary, ValuesIncludingEdgeCases) {
  const double nan = NAN, inf = INFINITY;
  Tensor x = tensor(std::vector<double>{-2, -0.5, 0, 0.5, 3, nan}, {6});
  expect_values(x.neg(), {2, 0.5, 0, -0.5, -3, nan});
  expect_values(x.abs(), {2, 0.5, 0, 0.5, 3, nan});
  expect_values(x.sign(), {-1, -1, 0, 1, 1, 0});  // sign(NaN) = 0, as PyTorch 1.13
  expect_values(x.square(), {4, 0.25, 0, 0.25, 9, nan});
  expect_values(x.relu(), {0, 0, 0, 0.5, 3, nan});  // relu keeps NaN
  expect_values(x.clamp(-1.0, 1.0), {-1, -0.5, 0, 0.5, 1, nan});
  expect_values(x.clamp(2.0, 1.0), {1, 1, 1, 1, 1, nan});  // min > max gives max
  expect_values(x.exp(), {std::exp(-2.0), std::exp(-0.5), 1, std::exp(0.5), std::exp(3.0), nan});
  expect_values(x.tanh(), {std::tanh(-2.0), std::tanh(-0.5), 0, std::tanh(0.5), std::tanh(3.0), nan});
  expect_values(x.sigmoid(), {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(0.5)), 0.5, 1 / (1 + std::exp(-0.5)),
                              1 / (1 + std::exp(-3.0)), nan});
  Tensor p = tensor(std::vector<double>{0, 0.25, 4, -1}, {4});
  expect_values(p.sqrt(), {0, 0.5, 2, nan});
  expect_values(p.log(), {-inf, std::log(0.25), std::log(4.0), nan});
  expect_values(p.pow(2.0), {0, 0.0625, 16, 1});
  expect_values(p.pow(-1.0), {inf, 4, 0.25, -1});
  // Saturation: no NaN from exp overflow.
  expect_values(tensor({-200.0f, 200.0f}).sigmoid(), {0, 1});
  EXPECT_THROW(x.clamp(std::nullopt, std::nullopt), Error);
}

TEST(ElementwiseUnary, Float32MathStaysFloat32) {
  Tensor x = tensor({0.1f, 1.7f, -2.3f});
  for (const Tensor& y : {x.exp(), x.tanh(), x.sigmoid(), x.abs().sqrt(), x * 2.0, x / 3.0, 1.0 / x, x.pow(3.0)})
    EXPECT_EQ(y.dtype(), float32);
  const std::vector<float> xs = x.to_vector<float>();
  const std::vector<float> e = x.exp().to_vector<float>();
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(e[i], std::exp(xs[i]));
  const std::vector<float> q = (x / 3.0).to_vector<float>();
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(q[i], xs[i] / 3.0f);
}

// ---- scalar overloads --------------------------------------------------------------------------

TEST(ElementwiseScalar, ReversedOperatorsValuesAndGradients) {
  Tensor x = tensor(std::vector<double>{-2, 0.5, 4}, {3}).requires_grad_();
  Tensor r = 2.0 - x;
  expect_values(r, {4, 1.5, -2});
  r.sum().backward();
  expect_values(x.grad(), {-1, -1, -1});
  x.set_grad(Tensor());
  Tensor q = 1.0 / x;
  expect_values(q, {-0.5, 2, 0.25});
  q.sum().backward();
  expect_values(x.grad(), {-0.25, -4, -1.0 / 16});
  x.set_grad(Tensor());
  Tensor q3 = 3.0 / x;
  q3.sum().backward();
  expect_values(x.grad(), {-0.75, -12, -3.0 / 16});
  expect_values(3.0 * x + 1.0, {-5, 2.5, 13});
  expect_values(x / 2.0 - 1.0, {-2, -0.75, 1});
}

TEST(ElementwiseScalar, ScalarKeepsTheTensorsDtype) {
  Tensor f = tensor({1.0f, 2.0f});
  EXPECT_EQ((f + 1.5).dtype(), float32);
  EXPECT_EQ((2.0 - f).dtype(), float32);
  Tensor i = tensor(std::vector<int64_t>{1, 2, 3}, {3});
  EXPECT_EQ((i * 2.0).dtype(), int64);
  EXPECT_EQ((i * 2.0).to_vector<int64_t>(), (std::vector<int64_t>{2, 4, 6}));
  EXPECT_EQ((10.0 - i).to_vector<int64_t>(), (std::vector<int64_t>{9, 8, 7}));
  // A fractional scalar would be truncated: refused, naming the op and the dtype.
  const std::string msg = message_of([&] { i + 2.5; });
  EXPECT_NE(msg.find("add"), std::string::npos) << msg;
  EXPECT_NE(msg.find("int64"), std::string::npos) << msg;
}

// ---- dtypes --------------------------------------------------------------------------------------

TEST(ElementwiseDType, MismatchNamesBothDtypesAndShapes) {
  Tensor a = ones({2, 3}, float32), b = ones({3}, float64);
  for (const auto& op : std::vector<std::function<void()>>{[&] { a + b; }, [&] { a * b; }, [&] { a.pow(b); },
                                                           [&] { a.maximum(b); }, [&] { b / a; }}) {
    const std::string msg = message_of(op);
    EXPECT_NE(msg.find("float32"), std::string::npos) << msg;
    EXPECT_NE(msg.find("float64"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
  }
}

TEST(ElementwiseDType, IntegerArithmetic) {
  Tensor a = tensor(std::vector<int64_t>{-3, 0, 5}, {3});
  Tensor b = tensor(std::vector<int64_t>{2, -1, 5}, {3});
  EXPECT_EQ((a + b).to_vector<int64_t>(), (std::vector<int64_t>{-1, -1, 10}));
  EXPECT_EQ((a - b).to_vector<int64_t>(), (std::vector<int64_t>{-5, 1, 0}));
  EXPECT_EQ((a * b).to_vector<int64_t>(), (std::vector<int64_t>{-6, 0, 25}));
  EXPECT_EQ((-a).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, -5}));
  EXPECT_EQ(a.abs().to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 5}));
  EXPECT_EQ(a.sign().to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(a.maximum(b).to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 5}));
  EXPECT_EQ(a.minimum(b).to_vector<int64_t>(), (std::vector<int64_t>{-3, -1, 5}));
  EXPECT_EQ(a.relu().to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 5}));
  EXPECT_EQ(a.clamp(-1.0, 2.0).to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 2}));
  EXPECT_EQ((a + b).dtype(), int64);
  Tensor u = tensor(std::vector<int64_t>{200, 3, 0}, {3}, uint8);
  Tensor v = tensor(std::vector<int64_t>{100, 5, 0}, {3}, uint8);
  EXPECT_EQ((u + v).to_vector<int64_t>(), (std::vector<int64_t>{44, 8, 0}));  // wraps modulo 256
  EXPECT_EQ((u - v).to_vector<int64_t>(), (std::vector<int64_t>{100, 254, 0}));
  EXPECT_EQ(u.neg().to_vector<int64_t>(), (std::vector<int64_t>{56, 253, 0}));
  EXPECT_EQ(u.sign().to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(u.maximum(v).to_vector<int64_t>(), (std::vector<int64_t>{200, 5, 0}));
  EXPECT_EQ((u * v).dtype(), uint8);
}

TEST(ElementwiseDType, FloatOnlyOpsRefuseIntegersNamingTheOp) {
  Tensor i = tensor(std::vector<int64_t>{1, 2}, {2});
  const std::vector<std::pair<std::string, std::function<void()>>> ops = {
      {"div", [&] { i / i; }},        {"div", [&] { i / 2.0; }},      {"div", [&] { 1.0 / i; }},
      {"pow", [&] { i.pow(i); }},     {"pow", [&] { i.pow(2.0); }},   {"exp", [&] { i.exp(); }},
      {"log", [&] { i.log(); }},      {"sqrt", [&] { i.sqrt(); }},    {"sigmoid", [&] { i.sigmoid(); }},
      {"tanh", [&] { i.tanh(); }}};
  for (const auto& [name, op] : ops) {
    const std::string msg = message_of(op);
    EXPECT_NE(msg.find(name), std::string::npos) << msg;
    EXPECT_NE(msg.find("int64"), std::string::npos) << msg;
  }
}

TEST(ElementwiseDType, UndefinedOperandIsAnError) {
  EXPECT_THROW(ones({2}) + Tensor(), Error);
  EXPECT_THROW(Tensor().exp(), Error);
}
