// Reductions: values against a brute-force reference (every input element grouped by the output
// it reduces into), on contiguous and strided inputs; dims/keepdim rules and their errors; dtype
// rules; ties and NaN as PyTorch; var/std by hand; logsumexp stability; gradients by finite
// differences; float32 sums that are accurate and independent of the thread count.
#include <nabla/nabla.hpp>

#include "../../support/message_of.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

using nabla::testing::message_of;

using namespace nabla;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
const double kInf = std::numeric_limits<double>::infinity();

Tensor f64(const std::vector<double>& values, const Shape& shape) { return tensor(values, shape, float64); }

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

// The input's elements grouped by the output element they reduce into (row-major within each
// group), and the keepdim=false output shape. Brute force over multi-indices.
struct Groups {
  std::vector<std::vector<double>> values;
  Shape out_shape;
};

Groups group(const Tensor& x, Shape dims) {
  const int64_t nd = x.ndim();
  std::vector<bool> reduced(static_cast<size_t>(nd), dims.empty());
  for (int64_t d : dims) reduced[static_cast<size_t>(d < 0 ? d + nd : d)] = true;
  Groups g;
  for (int64_t d = 0; d < nd; ++d)
    if (!reduced[d]) g.out_shape.push_back(x.shape()[d]);
  g.values.resize(static_cast<size_t>(shape_numel(g.out_shape)));
  const std::vector<double> v = x.to(float64).to_vector<double>();
  for (int64_t flat = 0; flat < x.numel(); ++flat) {
    int64_t rest = flat, out = 0, scale = 1;
    for (int64_t d = nd - 1; d >= 0; --d) {
      const int64_t i = rest % x.shape()[d];
      rest /= x.shape()[d];
      if (!reduced[d]) {
        out += i * scale;
        scale *= x.shape()[d];
      }
    }
    g.values[static_cast<size_t>(out)].push_back(v[static_cast<size_t>(flat)]);
  }
  return g;
}

std::vector<double> each(const Groups& g, const std::function<double(const std::vector<double>&)>& f) {
  std::vector<double> out;
  for (const auto& values : g.values) out.push_back(f(values));
  return out;
}

double ref_sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}
double ref_mean(const std::vector<double>& v) { return ref_sum(v) / static_cast<double>(v.size()); }
double ref_var(const std::vector<double>& v, int64_t correction) {
  const double m = ref_mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / std::max(static_cast<double>(v.size()) - static_cast<double>(correction), 0.0);
}
double ref_logsumexp(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::exp(x);
  return std::log(s);
}
double ref_argmax(const std::vector<double>& v) {
  return static_cast<double>(std::max_element(v.begin(), v.end()) - v.begin());
}

// Inputs with different layouts, all of shape (3, 4, 5): contiguous, permuted, sliced with a
// step, and expanded (stride 0) -- so every path of the kernel planner is exercised.
std::vector<std::pair<std::string, Tensor>> layouts() {
  manual_seed(7);
  return {{"contiguous", randn({3, 4, 5}, float64)},
          {"permuted", randn({5, 3, 4}, float64).permute({1, 2, 0})},
          {"transposed", randn({3, 5, 4}, float64).transpose(1, 2)},
          {"stepped", randn({3, 8, 5}, float64).slice(1, 0, 8, 2)},
          {"expanded", randn({3, 1, 5}, float64).expand({3, 4, 5})}};
}

const std::vector<Shape> kDimLists = {{}, {0}, {1}, {2}, {-1}, {0, 1}, {0, 2}, {-1, 0}, {1, 2}, {0, 1, 2}};

Tensor reshape_keepdim(const Shape& in_shape, const Shape& dims) {
  Shape s = in_shape;
  for (int64_t d : dims) s[static_cast<size_t>(d < 0 ? d + static_cast<int64_t>(s.size()) : d)] = 1;
  if (dims.empty()) std::fill(s.begin(), s.end(), 1);
  return zeros(s);
}

}  // namespace

// ---- values ----------------------------------------------------------------------------------

TEST(Reduce, SumMeanVarLogsumexpMatchReferenceOnEveryLayoutAndDimList) {
  for (const auto& [name, x] : layouts()) {
    for (const Shape& dims : kDimLists) {
      SCOPED_TRACE(name + " dims " + detail::str(dims));
      const Groups g = group(x, dims);
      for (bool keepdim : {false, true}) {
        const Shape want = keepdim ? reshape_keepdim(x.shape(), dims).shape() : g.out_shape;
        EXPECT_EQ(x.sum(dims, keepdim).shape(), want);
        EXPECT_EQ(x.logsumexp(dims, keepdim).shape(), want);
      }
      expect_values(x.sum(dims), each(g, ref_sum), 1e-12);
      expect_values(x.mean(dims), each(g, ref_mean), 1e-12);
      expect_values(x.var(dims), each(g, [](const auto& v) { return ref_var(v, 1); }), 1e-12);
      expect_values(x.var(dims, 0, true), each(g, [](const auto& v) { return ref_var(v, 0); }), 1e-12);
      expect_values(x.std(dims, 0), each(g, [](const auto& v) { return std::sqrt(ref_var(v, 0)); }), 1e-12);
      expect_values(x.logsumexp(dims), each(g, ref_logsumexp), 1e-12);
      // float32 goes through the same kernels with double accumulators.
      expect_values(x.to(float32).sum(dims), each(g, ref_sum), 2e-5);
      expect_values(x.to(float32).var(dims), each(g, [](const auto& v) { return ref_var(v, 1); }), 2e-5);
    }
  }
}

TEST(Reduce, MaxMinArgmaxAlongEachDimMatchReference) {
  for (const auto& [name, x] : layouts()) {
    for (int64_t dim : {0, 1, 2, -1, -3}) {
      SCOPED_TRACE(name + " dim " + std::to_string(dim));
      const Groups g = group(x, {dim});
      const Tensor neg = -x;  // argmin(x) == argmax(-x)
      expect_values(x.max(dim), each(g, [](const auto& v) { return *std::max_element(v.begin(), v.end()); }));
      expect_values(x.min(dim), each(g, [](const auto& v) { return *std::min_element(v.begin(), v.end()); }));
      expect_values(x.argmax(dim), each(g, ref_argmax));
      expect_values(x.argmin(dim), each(group(neg, {dim}), ref_argmax));
      EXPECT_EQ(x.argmax(dim).dtype(), int64);
      EXPECT_EQ(x.argmax(dim, true).shape(), reshape_keepdim(x.shape(), {dim}).shape());
      EXPECT_EQ(x.max(dim, true).shape(), reshape_keepdim(x.shape(), {dim}).shape());
    }
    const Groups all = group(x, {});
    expect_values(x.max(), each(all, [](const auto& v) { return *std::max_element(v.begin(), v.end()); }));
    expect_values(x.min(), each(all, [](const auto& v) { return *std::min_element(v.begin(), v.end()); }));
    expect_values(x.argmax(), each(all, ref_argmax));  // index into the flattened tensor
    EXPECT_EQ(x.argmax().shape(), Shape{});
  }
}

TEST(Reduce, SumOverLeadingDimOfWideMatrixIsBiasGradient) {
  // (64, 700): more columns than one kernel block, accumulated row by row.
  manual_seed(3);
  Tensor x = randn({64, 700}, float64);
  const std::vector<double> v = x.to_vector<double>();
  std::vector<double> want(700, 0.0);
  for (int64_t r = 0; r < 64; ++r)
    for (int64_t c = 0; c < 700; ++c) want[c] += v[r * 700 + c];
  expect_values(x.sum(0), want, 1e-12);
  expect_values(x.to(float32).sum(0), want, 1e-5);
  expect_values(x.to(float32).argmax(0), each(group(x, {0}), ref_argmax));
}

TEST(Reduce, FullReductionsGiveZeroDimensionalResults) {
  Tensor x = f64({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3});
  EXPECT_EQ(x.sum().shape(), Shape{});
  EXPECT_EQ(x.sum().item(), 21.0);
  EXPECT_EQ(x.mean().item(), 3.5);
  EXPECT_EQ(x.sum(Shape{}, true).shape(), (Shape{1, 1}));  // an empty dim list reduces everything
  EXPECT_EQ(x.sum({0, 1}, true).shape(), (Shape{1, 1}));
  // 0-d inputs reduce over dim 0 / -1 to themselves.
  Tensor s = scalar_tensor(2.5, float64);
  EXPECT_EQ(s.sum(0).item(), 2.5);
  EXPECT_EQ(s.max(-1).item(), 2.5);
  EXPECT_EQ(s.argmax(0).item(), 0.0);
  EXPECT_EQ(s.sum(0, true).shape(), Shape{});
}

TEST(Reduce, EmptyReductionsFollowPyTorch) {
  Tensor e = zeros({0, 3}, float64);
  expect_values(e.sum(), {0.0});
  expect_values(e.sum(0), {0.0, 0.0, 0.0});
  expect_values(e.mean(), {NAN});
  expect_values(e.logsumexp(0), {-kInf, -kInf, -kInf});
  EXPECT_EQ(e.sum(1).shape(), Shape{0});
  EXPECT_EQ(e.max(1).shape(), Shape{0});  // reducing a non-empty dim of an empty tensor is fine
  EXPECT_NE(message_of([&] { e.max(); }).find("empty tensor of shape [0, 3]"), std::string::npos);
  EXPECT_NE(message_of([&] { e.min(); }).find("min"), std::string::npos);
  EXPECT_NE(message_of([&] { e.argmax(); }).find("argmax"), std::string::npos);
  EXPECT_NE(message_of([&] { e.max(0); }).find("dimension 0 of size 0 (shape [0, 3])"), std::string::npos);
  EXPECT_NE(message_of([&] { e.argmin(-2); }).find("dimension -2 of size 0"), std::string::npos);
  // No elements however large the other dimensions: nothing is listed or allocated (found by
  // fuzzing safetensors, whose shapes may say (1, 2^40, 0)).
  Tensor huge = zeros({1, int64_t{1} << 40, 0}, float64);
  expect_values(huge.sum(), {0.0});
  expect_values(huge.mean(), {NAN});
}

// ---- dims ------------------------------------------------------------------------------------

TEST(Reduce, BadDimsThrowNamingTheDimAndShape) {
  Tensor x = ones({2, 3});
  const std::string range = message_of([&] { x.sum(2); });
  EXPECT_NE(range.find("sum: dimension 2 is out of range"), std::string::npos) << range;
  EXPECT_NE(range.find("[2, 3]"), std::string::npos) << range;
  EXPECT_NE(message_of([&] { x.mean(-3); }).find("mean: dimension -3"), std::string::npos);
  EXPECT_NE(message_of([&] { x.max(5); }).find("max: dimension 5"), std::string::npos);
  EXPECT_NE(message_of([&] { x.argmin(-4); }).find("argmin: dimension -4"), std::string::npos);
  EXPECT_NE(message_of([&] { x.var(Shape{0, 7}); }).find("var: dimension 7"), std::string::npos);
  EXPECT_NE(message_of([&] { x.logsumexp(2); }).find("logsumexp: dimension 2"), std::string::npos);
  const std::string dup = message_of([&] { x.sum({0, -2}); });
  EXPECT_NE(dup.find("dimension 0 appears more than once in dims [0, -2]"), std::string::npos) << dup;
  EXPECT_NE(message_of([&] { x.std(Shape{1, 1}); }).find("appears more than once"), std::string::npos);
  EXPECT_THROW(scalar_tensor(1.0).sum(1), Error);
}

// ---- dtypes ----------------------------------------------------------------------------------

TEST(Reduce, IntegerSums) {
  // int64 stays int64 and exact beyond float's 24 (and double's 53) bits.
  const int64_t big = (int64_t{1} << 60) + 1;
  Tensor i = tensor(std::vector<int64_t>{big, 1, 2, 3}, {2, 2});
  EXPECT_EQ(i.sum().dtype(), int64);
  EXPECT_EQ(i.sum().to_vector<int64_t>(), std::vector<int64_t>{big + 6});
  EXPECT_EQ(i.sum(0).to_vector<int64_t>(), (std::vector<int64_t>{big + 2, 4}));
  EXPECT_EQ(i.sum(1, true).to_vector<int64_t>(), (std::vector<int64_t>{big + 1, 5}));
  // uint8 sums to int64, so 200 + 100 does not wrap.
  Tensor u = tensor(std::vector<int64_t>{200, 100, 255, 1}, {2, 2}, uint8);
  EXPECT_EQ(u.sum().dtype(), int64);
  EXPECT_EQ(u.sum().to_vector<int64_t>(), std::vector<int64_t>{556});
  EXPECT_EQ(u.sum(1).to_vector<int64_t>(), (std::vector<int64_t>{300, 256}));
  EXPECT_EQ(u.sum(0).to_vector<int64_t>(), (std::vector<int64_t>{455, 101}));
  // max/min/argmax work on integers and keep the dtype.
  EXPECT_EQ(u.max().dtype(), uint8);
  EXPECT_EQ(u.max().item(), 255.0);
  EXPECT_EQ(u.min(1).to_vector<int64_t>(), (std::vector<int64_t>{100, 1}));
  EXPECT_EQ(i.argmin().item(), 1.0);
  EXPECT_EQ(i.max(0).to_vector<int64_t>(), (std::vector<int64_t>{big, 3}));
}

TEST(Reduce, FloatingOnlyReductionsRefuseIntegers) {
  Tensor i = tensor(std::vector<int64_t>{1, 2, 3}, {3});
  EXPECT_NE(message_of([&] { i.mean(); }).find("mean: expected a floating-point tensor"), std::string::npos);
  EXPECT_NE(message_of([&] { i.var(); }).find("var: expected a floating-point tensor"), std::string::npos);
  EXPECT_NE(message_of([&] { i.std(Shape{0}); }).find("std"), std::string::npos);
  EXPECT_NE(message_of([&] { i.logsumexp(0); }).find("int64"), std::string::npos);
  EXPECT_THROW(zeros({0}, uint8).mean(), Error);  // refused even with nothing to compute
}

TEST(Reduce, Float32SumIsAccurateAndIndependentOfThreadCount) {
  // 1e6 * 0.1f accumulated naively in float drifts by ~1%; a double accumulator does not.
  Tensor x = full({1000000}, 0.1, float32);
  const double exact = 1000000.0 * static_cast<double>(0.1f);
  EXPECT_NEAR(x.sum().item(), exact, exact * 1e-6);
  // Bitwise the same results for any thread count: long sums are cut into fixed pieces, and
  // outputs are split between threads, never the additions of one output.
  manual_seed(11);
  const Tensor y = randn({512, 300});
  const Tensor big = randn({1 << 20});
  auto results = [&] {
    return std::vector<std::vector<float>>{
        y.sum(0).to_vector(),     y.sum(1).to_vector(),        y.sum().to_vector(),         y.t().sum().to_vector(),
        big.sum().to_vector(),    big.mean().to_vector(),      y.var(Shape{0}).to_vector(), y.logsumexp(1).to_vector(),
        y.softmax(0).to_vector(), y.log_softmax(1).to_vector()};
  };
  const int before = get_num_threads();
  set_num_threads(1);
  const auto one = results();
  for (int threads : {2, 3, 8}) {
    set_num_threads(threads);
    EXPECT_EQ(results(), one) << threads << " threads";
  }
  set_num_threads(before);
}

// ---- ties and NaN ----------------------------------------------------------------------------

TEST(Reduce, TiesPickTheFirstIndex) {
  Tensor x = f64({1.0, 3.0, 3.0, 2.0, 0.0, 0.0}, {2, 3});
  EXPECT_EQ(x.argmax().item(), 1.0);
  EXPECT_EQ(x.argmin().item(), 4.0);
  EXPECT_EQ(x.argmax(1).to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(x.argmin(1).to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  Tensor c = f64({5.0, 5.0, 5.0, 5.0}, {2, 2});
  EXPECT_EQ(c.argmax(0).to_vector<int64_t>(), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(c.argmin(0).to_vector<int64_t>(), (std::vector<int64_t>{0, 0}));
}

TEST(Reduce, MaxAlongDimSendsGradientToTheSelectedIndexOnly) {
  Tensor x = f64({1.0, 3.0, 3.0, 2.0, 7.0, 7.0}, {2, 3}).requires_grad_();
  x.max(1).sum().backward();
  expect_values(x.grad(), {0, 1, 0, 0, 1, 0});
  Tensor y = f64({1.0, 0.0, 0.0, 4.0, 4.0, 4.0}, {2, 3}).requires_grad_();
  (y.min(1, true) * f64({2.0, 3.0}, {2, 1})).sum().backward();
  expect_values(y.grad(), {0, 2, 0, 3, 0, 0});
}

TEST(Reduce, FullMaxSharesTheGradientEvenlyAmongTies) {
  // PyTorch: x.max().backward() on [1, 3, 3, 2] gives [0, 0.5, 0.5, 0].
  Tensor x = f64({1.0, 3.0, 3.0, 2.0}, {4}).requires_grad_();
  x.max().backward();
  expect_values(x.grad(), {0, 0.5, 0.5, 0});
  Tensor y = f64({0.0, 1.0, 0.0, 0.0}, {2, 2}).requires_grad_();
  (y.min() * 6.0).backward();
  expect_values(y.grad(), {2, 0, 2, 2});
}

TEST(Reduce, NaNPropagatesThroughMaxAndMinAsPyTorch) {
  Tensor x = f64({1.0, NAN, 2.0, NAN}, {4});
  EXPECT_TRUE(std::isnan(x.max().item()));
  EXPECT_TRUE(std::isnan(x.min().item()));
  EXPECT_EQ(x.argmax().item(), 1.0);  // the first NaN
  EXPECT_EQ(x.argmin().item(), 1.0);
  Tensor m = f64({1.0, NAN, 2.0, 3.0}, {2, 2});
  expect_values(m.max(1), {NAN, 3.0});
  expect_values(m.argmax(0), {1, 0});  // column 1 is [NaN, 3]: the NaN wins
  Tensor g = f64({1.0, NAN, 2.0}, {3}).requires_grad_();
  g.max().backward();
  expect_values(g.grad(), {0, 1, 0});
  expect_values(f64({1.0, NAN}, {2}).logsumexp(0), {NAN});
}

// ---- var / std ---------------------------------------------------------------------------------

TEST(Reduce, VarAndStdByHand) {
  Tensor x = f64({1.0, 2.0, 3.0, 4.0}, {4});
  // mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5
  EXPECT_NEAR(x.var().item(), 5.0 / 3.0, 1e-15);
  EXPECT_NEAR(x.var(0).item(), 5.0 / 4.0, 1e-15);
  EXPECT_NEAR(x.std().item(), std::sqrt(5.0 / 3.0), 1e-15);
  EXPECT_NEAR(x.std(0).item(), std::sqrt(1.25), 1e-15);
  EXPECT_NEAR(x.var(2).item(), 5.0 / 2.0, 1e-15);
  Tensor m = f64({1.0, 2.0, 3.0, 5.0, 7.0, 9.0}, {2, 3});
  expect_values(m.var(Shape{1}), {1.0, 4.0});
  expect_values(m.var(Shape{0}, 0), {4.0, 6.25, 9.0});
  expect_values(m.std(Shape{1}, 1, true), {1.0, 2.0});
  EXPECT_EQ(m.std(Shape{1}, 1, true).shape(), (Shape{2, 1}));
  // float32 with large offsets: two passes in double keep the small variance.
  Tensor f = tensor(std::vector<float>{10000.0f, 10001.0f, 10002.0f}, {3});
  EXPECT_NEAR(f.var().item(), 1.0, 1e-6);
}

TEST(Reduce, VarWithCorrectionAtLeastNGivesInfOrNaNAsPyTorch) {
  // PyTorch divides by max(N - correction, 0): var([1, 2], correction=2) = inf, var([1, 1], 2) = nan.
  expect_values(f64({1.0, 2.0}, {2}).var(2), {kInf});
  expect_values(f64({1.0, 2.0}, {2}).var(3), {kInf});
  expect_values(f64({1.0, 1.0}, {2}).var(2), {NAN});
  expect_values(f64({1.0}, {1}).var(), {NAN});
  expect_values(f64({1.0}, {1}).std(0), {0.0});
}

// ---- logsumexp -------------------------------------------------------------------------------

TEST(Reduce, LogsumexpIsStable) {
  Tensor x = f64({1000.0, 1000.0, -1000.0, -1000.0}, {2, 2});
  expect_values(x.logsumexp(1), {1000.0 + std::log(2.0), -1000.0 + std::log(2.0)});
  expect_values(x.to(float32).logsumexp(1), {1000.0 + std::log(2.0), -1000.0 + std::log(2.0)}, 1e-4);
  Tensor inf = f64({-kInf, -kInf, 1.0, kInf, 0.0, -kInf}, {3, 2});
  expect_values(inf.logsumexp(1), {-kInf, kInf, 0.0});
  expect_values(inf.logsumexp(1, true), {-kInf, kInf, 0.0});
  EXPECT_EQ(inf.logsumexp(-1, true).shape(), (Shape{3, 1}));
}

// ---- gradients -------------------------------------------------------------------------------

TEST(ReduceGrad, SumMeanVarStdLogsumexp) {
  manual_seed(5);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{6}, {}},           {{6}, {0}},        {{3, 4}, {0}},       {{3, 4}, {-1}},
      {{2, 3, 4}, {0, 2}}, {{2, 3, 4}, {-2}}, {{2, 3, 4}, {2, 1}}, {{}, {0}}};
  for (const auto& c : cases) {
    const Shape& shape = c.first;
    const Shape& dims = c.second;
    for (bool keepdim : {false, true}) {
      SCOPED_TRACE(detail::str(shape, " dims ", dims, keepdim ? " keepdim" : ""));
      Tensor x = randn(shape, float64);
      auto check = [&](const Fn& f) { EXPECT_TRUE(gradcheck(f, {x}).ok); };
      check([&](const auto& in) { return in[0].sum(dims, keepdim) * 1.5; });
      check([&](const auto& in) { return in[0].mean(dims, keepdim); });
      check([&](const auto& in) { return in[0].logsumexp(dims, keepdim); });
      if (x.numel() > 1) {
        check([&](const auto& in) { return in[0].var(dims, 1, keepdim); });
        check([&](const auto& in) { return in[0].var(dims, 0, keepdim); });
        check([&](const auto& in) { return in[0].std(dims, 1, keepdim); });
        check([&](const auto& in) { return in[0].std(dims, 0, keepdim); });
      }
    }
  }
  Tensor x = randn({3, 4}, float64);
  EXPECT_TRUE(gradcheck([](const auto& in) { return in[0].sum(); }, {x}).ok);
  EXPECT_TRUE(gradcheck([](const auto& in) { return in[0].mean(); }, {x}).ok);
  EXPECT_TRUE(gradcheck([](const auto& in) { return in[0].var(); }, {x}).ok);
  EXPECT_TRUE(gradcheck([](const auto& in) { return in[0].std(0); }, {x}).ok);
  // A strided input: the gradient is laid out like the input, not like its storage.
  EXPECT_TRUE(gradcheck([](const auto& in) { return in[0].t().sum(0) * f64({1.0, 2.0, 3.0}, {3}); }, {x}).ok);
}

TEST(ReduceGrad, MaxMinAwayFromTies) {
  // A permutation scaled by 0.5: distinct values, at least 0.5 apart, so eps-perturbations never
  // change which element is the extreme.
  Generator gen(9);
  const std::vector<Shape> shapes = {{7}, {3, 4}, {2, 3, 4}};
  for (const Shape& shape : shapes) {
    Tensor x = (randperm(shape_numel(shape), gen).to(float64) * 0.5).reshape(shape);
    for (int64_t dim = -static_cast<int64_t>(shape.size()); dim < static_cast<int64_t>(shape.size()); ++dim) {
      for (bool keepdim : {false, true}) {
        SCOPED_TRACE(detail::str(shape, " dim ", dim));
        EXPECT_TRUE(gradcheck([&](const auto& in) { return in[0].max(dim, keepdim); }, {x}).ok);
        EXPECT_TRUE(gradcheck([&](const auto& in) { return in[0].min(dim, keepdim); }, {x}).ok);
      }
    }
    EXPECT_TRUE(gradcheck([](const auto& in) { return in[0].max(); }, {x}).ok);
    EXPECT_TRUE(gradcheck([](const auto& in) { return in[0].min(); }, {x}).ok);
  }
}

TEST(ReduceGrad, StdGradientIsZeroWhereStdIsZero) {
  // PyTorch masks 0/0 to 0: torch.tensor([2., 2.]).std() has gradient [0, 0].
  Tensor x = f64({2.0, 2.0, 1.0, 3.0}, {2, 2}).requires_grad_();
  x.std(Shape{1}).sum().backward();
  const std::vector<double> g = x.grad().to_vector<double>();
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[1], 0.0);
  EXPECT_NEAR(g[2], -1.0 / std::sqrt(2.0), 1e-12);  // (x - mean) / ((N - 1) std) = -1 / sqrt(2)
  EXPECT_NEAR(g[3], 1.0 / std::sqrt(2.0), 1e-12);
}

TEST(ReduceGrad, GradientShapesAndDtypesMatchTheInput) {
  Tensor x = ones({2, 3, 4}).requires_grad_();
  x.sum({0, 2}).sum().backward();
  EXPECT_EQ(x.grad().shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(x.grad().dtype(), float32);
  expect_values(x.grad().sum(), {24.0});
  Tensor y = ones({2, 3}).requires_grad_();
  y.mean(1, true).sum().backward();
  expect_values(y.grad(), std::vector<double>(6, 1.0 / 3.0), 1e-7);
}
