// softmax and log_softmax: values against exp(x) / sum by hand along every dim and layout,
// normalisation (rows sum to 1, log-rows logsumexp to 0), stability at extreme logits, PyTorch's
// results for -inf rows, the fused backward by finite differences, and errors.
#include <nabla/nabla.hpp>

#include "../../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

using nabla::testing::message_of;

using namespace nabla;

namespace {

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

// Softmax by hand: for every element, exp(x) / sum of exp over its line along `dim`
// (no max subtraction, so only for moderate inputs).
std::vector<double> reference_softmax(const Tensor& x, int64_t dim, bool log) {
  const Shape& shape = x.shape();
  const int64_t d = dim < 0 ? dim + x.ndim() : dim;
  const std::vector<double> v = x.to(float64).to_vector<double>();
  int64_t inner = 1;
  for (int64_t k = d + 1; k < x.ndim(); ++k) inner *= shape[k];
  const int64_t n = shape[d];
  std::vector<double> out(v.size());
  for (size_t flat = 0; flat < v.size(); ++flat) {
    const int64_t i = static_cast<int64_t>(flat);
    const int64_t base = i - ((i / inner) % n) * inner;  // the line's first element
    double total = 0;
    for (int64_t r = 0; r < n; ++r) total += std::exp(v[static_cast<size_t>(base + r * inner)]);
    out[flat] = log ? v[flat] - std::log(total) : std::exp(v[flat]) / total;
  }
  return out;
}

}  // namespace

TEST(Softmax, MatchesHandComputationAlongEveryDim) {
  manual_seed(1);
  const Tensor x = randn({3, 4, 5}, float64) * 3.0;
  for (int64_t dim : {0, 1, 2, -1, -2, -3}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    expect_values(x.softmax(dim), reference_softmax(x, dim, false));
    expect_values(x.log_softmax(dim), reference_softmax(x, dim, true));
    expect_values(x.to(float32).softmax(dim), reference_softmax(x, dim, false), 1e-6);
    expect_values(x.to(float32).log_softmax(dim), reference_softmax(x, dim, true), 1e-5);
    EXPECT_EQ(x.softmax(dim).shape(), x.shape());
    EXPECT_EQ(x.to(float32).softmax(dim).dtype(), float32);
  }
  // A wide last dim (more than one kernel block when it is the inner dim of another softmax).
  const Tensor wide = randn({2, 3, 600}, float64);
  expect_values(wide.softmax(1), reference_softmax(wide, 1, false));
  expect_values(wide.log_softmax(-1), reference_softmax(wide, -1, true));
}

TEST(Softmax, StridedInputsGiveTheSameValuesAsTheirContiguousCopies) {
  manual_seed(2);
  const Tensor x = randn({5, 3, 4}, float64).permute({1, 2, 0});
  ASSERT_FALSE(x.is_contiguous());
  for (int64_t dim : {0, 1, 2}) {
    expect_values(x.softmax(dim), x.contiguous().softmax(dim).to_vector<double>());
    expect_values(x.log_softmax(dim), reference_softmax(x.contiguous(), dim, true));
  }
}

TEST(Softmax, RowsSumToOneAndLogRowsLogsumexpToZero) {
  manual_seed(3);
  const Tensor x = randn({4, 6, 7}, float64) * 10.0;
  for (int64_t dim : {0, 1, 2}) {
    expect_values(x.softmax(dim).sum(dim), std::vector<double>(static_cast<size_t>(x.numel() / x.size(dim)), 1.0));
    expect_values(x.log_softmax(dim).logsumexp(dim),
                  std::vector<double>(static_cast<size_t>(x.numel() / x.size(dim)), 0.0));
    expect_values(x.to(float32).softmax(dim).sum(dim),
                  std::vector<double>(static_cast<size_t>(x.numel() / x.size(dim)), 1.0), 1e-5);
  }
}

TEST(Softmax, IsStableAtExtremeLogits) {
  const Tensor big = f64({1000.0, 0.0, -1000.0}, {3});
  expect_values(big.log_softmax(0), {0.0, -1000.0, -2000.0});
  expect_values(big.softmax(0), {1.0, 0.0, 0.0});
  expect_values(big.to(float32).log_softmax(0), {0.0, -1000.0, -2000.0});
  expect_values(f64({1e4, 1e4}, {2}).softmax(0), {0.5, 0.5});
  expect_values(f64({1e4, 1e4}, {2}).to(float32).softmax(0), {0.5, 0.5});
  expect_values(f64({-1e4, -1e4}, {1, 2}).log_softmax(1), {-std::log(2.0), -std::log(2.0)});
  // Small log-sums are not rounded away by large logits.
  const double tiny = std::exp(-30.0);
  expect_values(f64({1000.0, 970.0}, {2}).log_softmax(0), {-std::log1p(tiny), -30.0 - std::log1p(tiny)}, 1e-14);
}

TEST(Softmax, Float32IsAccurateOverTheWholeExpRange) {
  // Logits spanning exp's float range: every probability, down to e^-87, within a few ulp of the
  // float64 result for the same inputs.
  const Tensor x = linspace(-87.0, 0.0, 3001, float32).reshape({1, 3001});
  const std::vector<double> want = x.to(float64).softmax(1).to_vector<double>();
  const std::vector<float> got = x.softmax(1).to_vector();
  // (plus 2e-45, a subnormal float's spacing, for the smallest probabilities)
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-6 * want[k] + 2e-45) << "element " << k;
  expect_values(x.log_softmax(1), x.to(float64).log_softmax(1).to_vector<double>(), 2e-5);
  expect_values(x.logsumexp(1), x.to(float64).logsumexp(1).to_vector<double>(), 1e-6);
  // Below exp's range the probabilities underflow to 0, as in float.
  expect_values(tensor({0.0f, -90.0f, -200.0f}).softmax(0), {1.0, 0.0, 0.0}, 1e-38);
}

TEST(Softmax, InfinitiesFollowPyTorch) {
  // -inf entries get probability 0; a row of only -inf gives NaN, as torch.softmax.
  const Tensor x = f64({0.0, -kInf, -kInf, -kInf}, {2, 2});
  expect_values(x.softmax(1), {1.0, 0.0, NAN, NAN});
  expect_values(x.log_softmax(1), {0.0, -kInf, NAN, NAN});
  expect_values(f64({1.0, NAN, 2.0}, {3}).softmax(0), {NAN, NAN, NAN});
}

TEST(Softmax, ZeroDimensionalAndEmptyTensors) {
  expect_values(scalar_tensor(3.0, float64).softmax(0), {1.0});
  expect_values(scalar_tensor(3.0, float64).log_softmax(-1), {0.0});
  EXPECT_EQ(zeros({0, 3}).softmax(1).shape(), (Shape{0, 3}));
  EXPECT_EQ(zeros({3, 0}).log_softmax(1).shape(), (Shape{3, 0}));
}

TEST(Softmax, ErrorsNameTheOpAndTheOffendingValue) {
  const Tensor x = ones({2, 3});
  const std::string range = message_of([&] { x.softmax(2); });
  EXPECT_NE(range.find("softmax: dimension 2 is out of range for a tensor of shape [2, 3]"), std::string::npos)
      << range;
  EXPECT_NE(message_of([&] { x.log_softmax(-3); }).find("log_softmax: dimension -3"), std::string::npos);
  const std::string dtype = message_of([&] { tensor(std::vector<int64_t>{1, 2}, {2}).softmax(0); });
  EXPECT_NE(dtype.find("softmax: expected a floating-point tensor"), std::string::npos) << dtype;
  EXPECT_NE(dtype.find("int64"), std::string::npos) << dtype;
  EXPECT_THROW(zeros({2}, uint8).log_softmax(0), Error);
}

TEST(SoftmaxGrad, FusedBackwardMatchesFiniteDifferences) {
  manual_seed(4);
  const std::vector<Shape> shapes = {{5}, {3, 4}, {2, 3, 4}};
  for (const Shape& shape : shapes) {
    const Tensor x = randn(shape, float64) * 2.0;
    // A weighting makes the scalarised output's gradient non-trivial in every element.
    const Tensor w = randn(shape, float64);
    for (int64_t dim = -static_cast<int64_t>(shape.size()); dim < static_cast<int64_t>(shape.size()); ++dim) {
      SCOPED_TRACE(detail::str(shape, " dim ", dim));
      EXPECT_TRUE(gradcheck([&](const auto& in) { return in[0].softmax(dim); }, {x}).ok);
      EXPECT_TRUE(gradcheck([&](const auto& in) { return in[0].log_softmax(dim); }, {x}).ok);
      EXPECT_TRUE(gradcheck([&](const auto& in) { return (in[0].log_softmax(dim) * w).sum(); }, {x}).ok);
    }
  }
  // A non-contiguous input and a strided incoming gradient (from a transpose after the op).
  const Tensor y = randn({4, 3}, float64);
  EXPECT_TRUE(gradcheck([](const auto& in) { return in[0].t().softmax(1).t(); }, {y}).ok);
  EXPECT_TRUE(gradcheck([](const auto& in) { return in[0].log_softmax(0).sum(1); }, {y}).ok);
}

TEST(SoftmaxGrad, Float32GradientMatchesFloat64) {
  manual_seed(6);
  const Tensor x64 = randn({3, 5}, float64).requires_grad_();
  const Tensor x32 = x64.detach().to(float32).requires_grad_();
  const Tensor w = randn({3, 5}, float64);
  (x64.softmax(1) * w).sum().backward();
  (x32.softmax(1) * w.to(float32)).sum().backward();
  expect_values(x32.grad(), x64.grad().to_vector<double>(), 1e-6);
  EXPECT_EQ(x32.grad().dtype(), float32);
}
