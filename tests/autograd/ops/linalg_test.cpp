// matmul against a naive triple loop for every torch.matmul case (1-D, 2-D, batched, broadcast),
// with contiguous, transposed, padded (ld > cols), strided and expanded operands in float32 and
// float64; errors; gradients by finite differences.
#include <nabla/autograd.hpp>
#include <nabla/gradcheck.hpp>
#include <nabla/tensor.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nabla {
namespace {

// torch.matmul's result computed the slow way: promote 1-D operands, broadcast the batch
// dims, triple loop in double, then drop the promoted dims.
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
  Shape sa = a.shape(), sb = b.shape();
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  const int64_t n = sa[sa.size() - 2], k = sa.back(), m = sb.back();
  const Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  const Shape batch = broadcast_shapes(ba, bb);
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  const int64_t count = shape_numel(batch);
  std::vector<double> out(static_cast<size_t>(count * n * m), 0.0);
  // Flat batch index -> flat index into an operand's own (possibly size-1) batch dims.
  auto operand_batch = [&](int64_t flat, const Shape& own) {
    int64_t index = 0, scale = 1;
    for (size_t d = batch.size(); d-- > 0;) {
      const int64_t coord = flat % batch[d];
      flat /= batch[d];
      const size_t lead = batch.size() - own.size();
      if (d < lead) continue;
      const int64_t size = own[d - lead];
      index += (size == 1 ? 0 : coord) * scale;
      scale *= size;
    }
    return index;
  };
  for (int64_t t = 0; t < count; ++t) {
    const int64_t ia = operand_batch(t, ba), ib = operand_batch(t, bb);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < k; ++p) acc += va[(ia * n + i) * k + p] * vb[(ib * k + p) * m + j];
        out[static_cast<size_t>((t * n + i) * m + j)] = acc;
      }
  }
  Shape shape = batch;
  if (a.ndim() > 1) shape.push_back(n);
  if (b.ndim() > 1) shape.push_back(m);
  return tensor(out, shape, a.dtype());
}

void expect_matches_naive(const Tensor& a, const Tensor& b, const std::string& what) {
  const Tensor got = a.matmul(b);
  const Tensor want = naive_matmul(a, b);
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), a.dtype()) << what;
  if (got.numel() > 0) {
    EXPECT_TRUE(got.is_contiguous()) << what;  // is_contiguous() is false for some empty shapes
  }
  const int64_t k = a.shape().back();
  const double tol = (a.dtype() == float32 ? 1e-5 : 1e-13) * static_cast<double>(k + 1);
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], tol) << what << ", element " << i;
}

// How an operand's last two dims are laid out in memory.
enum class Layout { Contiguous, Transposed, Padded, PaddedTransposed, Strided, ExpandedBatch };
const char* name(Layout l) {
  const char* names[] = {"contiguous", "transposed", "padded", "padded+transposed", "strided", "expanded-batch"};
  return names[static_cast<int>(l)];
}

// A tensor of `shape` whose elements sit in memory as `layout` says (values are random).
Tensor make_operand(const Shape& shape, Layout layout, DType dtype) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  if (nd < 2 && layout != Layout::Strided && layout != Layout::Padded) return randn(shape, dtype);
  Shape sh = shape;
  switch (layout) {
    case Layout::Contiguous: return randn(shape, dtype);
    case Layout::Transposed:
      std::swap(sh[nd - 1], sh[nd - 2]);
      return randn(sh, dtype).transpose(-1, -2);
    case Layout::Padded:  // rows longer than the matrix: ld > cols, and an offset
      sh.back() += 3;
      if (nd >= 2) sh[nd - 2] += 1;
      return nd >= 2 ? randn(sh, dtype).narrow(-1, 2, shape.back()).narrow(-2, 1, shape[nd - 2])
                     : randn(sh, dtype).narrow(-1, 2, shape.back());
    case Layout::PaddedTransposed:
      std::swap(sh[nd - 1], sh[nd - 2]);
      sh.back() += 2;
      return randn(sh, dtype).narrow(-1, 1, shape[nd - 2]).transpose(-1, -2);
    case Layout::Strided:  // every other column: no unit stride, BLAS cannot read it in place
      sh.back() *= 2;
      return randn(sh, dtype).slice(-1, 0, sh.back(), 2);
    case Layout::ExpandedBatch: {
      if (nd < 3) return randn(shape, dtype);
      sh[0] = 1;
      return randn(sh, dtype).expand(shape);
    }
  }
  return Tensor();
}

struct Case {
  Shape a, b;
};

const std::vector<Case> kCases = {
    {{3}, {3}},                    // dot -> 0-D
    {{2, 3}, {3, 4}},              // mm
    {{3}, {3, 4}},                 // vector @ matrix
    {{2, 3}, {3}},                 // matrix @ vector
    {{5, 2, 3}, {3}},              // batched matrix @ vector
    {{3}, {5, 3, 4}},              // vector @ batched
    {{2, 1, 3, 4}, {5, 4, 6}},     // broadcast batch -> (2, 5, 3, 6)
    {{4, 2, 3}, {3, 5}},           // batch folded into rows
    {{2, 2, 3, 2}, {1, 2, 5}},     // folded, right operand with a size-1 batch dim
    {{2, 3}, {4, 3, 5}},           // matrix @ batched
    {{2, 3, 4}, {2, 4, 5}},        // bmm
    {{1, 2, 3}, {4, 3, 2}},        // size-1 batch on the left
    {{1, 3}, {3, 1}},              // size-1 rows and columns
    {{3, 1}, {1, 4}},              // outer product
    {{1, 1}, {1, 1}},
    {{17, 33}, {33, 9}},
};

class MatmulValues : public ::testing::TestWithParam<DType> {};

TEST_P(MatmulValues, MatchNaiveLoopsForEveryCaseAndLayout) {
  manual_seed(0);
  const Layout layouts[] = {Layout::Contiguous, Layout::Transposed,    Layout::Padded,
                            Layout::PaddedTransposed, Layout::Strided, Layout::ExpandedBatch};
  for (const Case& c : kCases)
    for (Layout la : layouts)
      for (Layout lb : layouts) {
        const Tensor a = make_operand(c.a, la, GetParam()), b = make_operand(c.b, lb, GetParam());
        ASSERT_EQ(a.shape(), c.a);
        ASSERT_EQ(b.shape(), c.b);
        expect_matches_naive(a, b, detail::str(c.a, " (", name(la), ") @ ", c.b, " (", name(lb), ")"));
      }
}

TEST_P(MatmulValues, EmptyDimensions) {
  const DType dt = GetParam();
  expect_matches_naive(randn({0, 3}, dt), randn({3, 4}, dt), "rows 0");
  expect_matches_naive(randn({2, 3}, dt), randn({3, 0}, dt), "cols 0");
  expect_matches_naive(randn({0, 2, 3}, dt), randn({3, 4}, dt), "batch 0");
  expect_matches_naive(randn({0}, dt), randn({0}, dt), "empty dot");
  // An empty inner dimension sums nothing: zeros, not uninitialised memory.
  const Tensor z = randn({2, 0}, dt).matmul(randn({0, 4}, dt));
  EXPECT_EQ(z.shape(), (Shape{2, 4}));
  for (double v : z.to_vector<double>()) EXPECT_EQ(v, 0.0);
  EXPECT_EQ(randn({3, 2, 0}, dt).matmul(randn({0}, dt)).shape(), (Shape{3, 2}));
}

TEST_P(MatmulValues, SizeOneDimsWithArbitraryStrides) {
  // Strides of size-1 dims carry no meaning (here 0, from expand); BLAS still needs ld >= 1.
  const DType dt = GetParam();
  const Tensor row = randn({3}, dt).expand({1, 3});             // (1, 3), strides (0, 1)
  const Tensor col = randn({4}, dt).expand({1, 4}).t();         // (4, 1), strides (1, 0)
  const Tensor one = randn({1}, dt).expand({1, 1});             // (1, 1), strides (0, 1)
  ASSERT_EQ(row.stride(0), 0);
  ASSERT_EQ(col.stride(1), 0);
  expect_matches_naive(row, randn({3, 2}, dt), "expanded row @ matrix");
  expect_matches_naive(randn({1, 2}, dt).t(), row, "transposed row @ expanded row");
  expect_matches_naive(randn({5, 4}, dt), col, "matrix @ expanded column");
  expect_matches_naive(col, one, "expanded column @ expanded 1x1");
  expect_matches_naive(randn({6}, dt).slice(0, 0, 6, 2), randn({3, 2}, dt), "strided vector @ matrix");
  expect_matches_naive(randn({2, 3}, dt), randn({6}, dt).slice(0, 1, 6, 2), "matrix @ strided vector");
}

INSTANTIATE_TEST_SUITE_P(Dtypes, MatmulValues, ::testing::Values(float32, float64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(Matmul, HandComputedValues) {
  const Tensor a = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = tensor(std::vector<float>{7, 8, 9, 10, 11, 12}, {3, 2});
  EXPECT_EQ(a.matmul(b).to_vector<float>(), (std::vector<float>{58, 64, 139, 154}));
  EXPECT_EQ(matmul(a, b).to_vector<float>(), (std::vector<float>{58, 64, 139, 154}));
  const Tensor dot = tensor({1, 2, 3}).matmul(tensor({4, 5, 6}));
  EXPECT_EQ(dot.ndim(), 0);
  EXPECT_EQ(dot.item(), 32.0);
  // The Linear pattern: x (2, 3) @ W^T with W (2, 3) stored row-major.
  EXPECT_EQ(a.matmul(a.t()).to_vector<float>(), (std::vector<float>{14, 32, 32, 77}));
}

TEST(Matmul, DoesNotWriteItsOperands) {
  const Tensor a = randn({4, 5}), b = randn({6, 5});
  const std::vector<float> va = a.to_vector<float>(), vb = b.to_vector<float>();
  a.matmul(b.t());
  EXPECT_EQ(a.to_vector<float>(), va);
  EXPECT_EQ(b.to_vector<float>(), vb);
}

std::string error_of(const Tensor& a, const Tensor& b) {
  try {
    a.matmul(b);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Matmul, ShapeErrorsNameBothShapes) {
  const std::string msg = error_of(randn({64, 784}), randn({10, 784}));
  EXPECT_NE(msg.find("matmul: shapes [64, 784] and [10, 784] cannot be multiplied (784 != 10)"), std::string::npos)
      << msg;
  EXPECT_NE(error_of(randn({3}), randn({4})).find("[3] and [4]"), std::string::npos);
  EXPECT_NE(error_of(randn({2, 3}), randn({4})).find("[2, 3] and [4]"), std::string::npos);
  const std::string batch = error_of(randn({2, 3, 4}), randn({5, 4, 6}));
  EXPECT_NE(batch.find("[2, 3, 4] and [5, 4, 6]"), std::string::npos) << batch;
  const std::string scalar = error_of(scalar_tensor(1.0), randn({3}));
  EXPECT_NE(scalar.find("[] and [3]"), std::string::npos) << scalar;
  EXPECT_THROW(Tensor().matmul(randn({2})), Error);
}

TEST(Matmul, DtypeErrors) {
  const std::string mixed = error_of(randn({2, 3}), randn({3, 2}, float64));
  EXPECT_NE(mixed.find("float32"), std::string::npos) << mixed;
  EXPECT_NE(mixed.find("float64"), std::string::npos) << mixed;
  EXPECT_NE(mixed.find("[2, 3]"), std::string::npos) << mixed;
  const std::string integer = error_of(ones({2, 3}, int64), ones({3, 2}, int64));
  EXPECT_NE(integer.find("int64"), std::string::npos) << integer;
  EXPECT_NE(integer.find("[2, 3] and [3, 2]"), std::string::npos) << integer;
}

// ---- gradients ------------------------------------------------------------------------------

void expect_gradcheck(const Shape& sa, const Shape& sb) {
  const Tensor a = randn(sa, float64), b = randn(sb, float64);
  SCOPED_TRACE(detail::str(sa, " @ ", sb));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& x) { return x[0].matmul(x[1]); }, {a, b}).ok);
}

TEST(MatmulGrad, EveryCase) {
  manual_seed(1);
  for (const Case& c : kCases) expect_gradcheck(c.a, c.b);
  expect_gradcheck({2, 1, 2, 3}, {3, 3, 2});
  expect_gradcheck({3}, {2, 1, 3, 2});
  expect_gradcheck({1, 2, 3, 2}, {2});
}

TEST(MatmulGrad, TransposedAndSlicedOperands) {
  manual_seed(2);
  // The Linear layer, x @ W^T, and products of views: gradients flow back through them.
  auto linear = [](const std::vector<Tensor>& x) { return x[0].matmul(x[1].t()); };
  EXPECT_TRUE(gradcheck(linear, {randn({4, 3}, float64), randn({5, 3}, float64)}).ok);
  auto views = [](const std::vector<Tensor>& x) {
    return x[0].narrow(1, 1, 3).transpose(-1, -2).matmul(x[1].slice(-1, 0, 4, 2));
  };
  EXPECT_TRUE(gradcheck(views, {randn({2, 5, 4}, float64), randn({3, 4}, float64)}).ok);
}

TEST(MatmulGrad, EmptyDimensions) {
  // Zero-size inner, row and column dims, folded and not: gradients of the right (empty) shapes.
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 0}, {0, 4}}, {{2, 0}, {0, 3}}, {{2, 0, 3}, {3, 4}}, {{2, 3}, {3, 0}}, {{0}, {0}}, {{2, 3, 4}, {4, 0}}};
  for (const auto& [sa, sb] : cases) {
    const Tensor a = randn(sa, float64).requires_grad_(), b = randn(sb, float64).requires_grad_();
    a.matmul(b).sum().backward();
    EXPECT_EQ(a.grad().shape(), sa);
    EXPECT_EQ(b.grad().shape(), sb);
    for (double v : b.grad().to_vector<double>()) EXPECT_EQ(v, 0.0) << detail::str(sa, " @ ", sb);
  }
}

TEST(MatmulGrad, OnlyTheOperandThatNeedsItGetsAGradient) {
  const Tensor a = randn({3, 4}).requires_grad_(), b = randn({4, 2});
  a.matmul(b).sum().backward();
  ASSERT_TRUE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  // d(sum(a @ b)) / da[i][p] = sum_j b[p][j]
  const std::vector<float> g = a.grad().to_vector<float>(), vb = b.to_vector<float>();
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t p = 0; p < 4; ++p) EXPECT_NEAR(g[static_cast<size_t>(i * 4 + p)], vb[p * 2] + vb[p * 2 + 1], 1e-6);
}

TEST(MatmulGrad, NoGraphWithoutRequiresGradOrUnderNoGrad) {
  const Tensor a = randn({2, 3}).requires_grad_(), b = randn({3, 2});
  EXPECT_FALSE(randn({2, 3}).matmul(b).requires_grad());
  EXPECT_TRUE(a.matmul(b).requires_grad());
  NoGradGuard guard;
  EXPECT_FALSE(a.matmul(b).requires_grad());
}

}  // namespace
}  // namespace nabla
