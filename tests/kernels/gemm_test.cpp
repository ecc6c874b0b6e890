// The BLAS gemm wrapper against the reference triple loop (itself pinned by hand-computed
// values): every transpose combination, padded leading dimensions, alpha/beta, empty sizes;
// the tiled multi-threaded path on shapes large enough to be split along rows or columns, and
// its promise of bit-identical results for any thread count.
#include "kernels/gemm.hpp"

#include <nabla/error.hpp>
#include <nabla/tensor.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace nabla::kernels {
namespace {

template <typename T>
std::vector<T> random_values(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

TEST(GemmReference, MatchesHandComputedProducts) {
  // [[1, 2, 3], [4, 5, 6]] @ [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]]
  const std::vector<double> a = {1, 2, 3, 4, 5, 6}, b = {7, 8, 9, 10, 11, 12};
  std::vector<double> c(4, 1.0);
  gemm_reference(false, false, 2, 2, 3, 1.0, a.data(), 3, b.data(), 2, 0.0, c.data(), 2);
  EXPECT_EQ(c, (std::vector<double>{58, 64, 139, 154}));
  // The same A read transposed from its (3, 2) storage [[1, 4], [2, 5], [3, 6]], B^T from
  // [[7, 9, 11], [8, 10, 12]]; alpha = 2 and beta = 1 add 2 * product to C = 1.
  const std::vector<double> at = {1, 4, 2, 5, 3, 6}, bt = {7, 9, 11, 8, 10, 12};
  std::fill(c.begin(), c.end(), 1.0);
  gemm_reference(true, true, 2, 2, 3, 2.0, at.data(), 2, bt.data(), 3, 1.0, c.data(), 2);
  EXPECT_EQ(c, (std::vector<double>{117, 129, 279, 309}));
}

template <typename T>
void check_against_reference(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t pad, T alpha, T beta,
                             std::mt19937& rng) {
  // Stored shapes: A (m, k) or (k, m); B (k, n) or (n, k); every row padded by `pad`.
  const int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
  const std::vector<T> a = random_values<T>(static_cast<size_t>((ta ? k : m) * lda), rng);
  const std::vector<T> b = random_values<T>(static_cast<size_t>((tb ? n : k) * ldb), rng);
  std::vector<T> c = random_values<T>(static_cast<size_t>(m * ldc), rng);
  std::vector<T> expected = c;
  gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  gemm_reference(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, expected.data(), ldc);
  const double tol = (std::is_same_v<T, float> ? 1e-5 : 1e-13) * static_cast<double>(k + 1);
  for (size_t i = 0; i < c.size(); ++i)
    ASSERT_NEAR(c[i], expected[i], tol) << "ta=" << ta << " tb=" << tb << " m=" << m << " n=" << n << " k=" << k
                                        << " pad=" << pad << " element " << i;
}

template <typename T>
void check_all_cases() {
  std::mt19937 rng(42);
  const int64_t sizes[][3] = {{1, 1, 1}, {2, 3, 4}, {7, 5, 3}, {1, 9, 6}, {8, 1, 5}, {6, 7, 1}, {33, 17, 65}};
  for (const auto& s : sizes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (int64_t pad : {0, 3}) {
          check_against_reference<T>(ta, tb, s[0], s[1], s[2], pad, T(1), T(0), rng);
          check_against_reference<T>(ta, tb, s[0], s[1], s[2], pad, T(-0.5), T(2), rng);
        }
}

TEST(Gemm, FloatMatchesReference) { check_all_cases<float>(); }
TEST(Gemm, DoubleMatchesReference) { check_all_cases<double>(); }

// Restores nabla's thread count when a test ends.
struct ThreadCount {
  int saved = get_num_threads();
  ~ThreadCount() { set_num_threads(saved); }
};

// Shapes split into tiles along n (n >= m) and along m (m > n), with ragged last tiles.
const int64_t tiled_sizes[][3] = {{64, 520, 300}, {300, 70, 129}, {517, 131, 40}};

TEST(Gemm, TiledShapesMatchReferenceOnTwoThreads) {
  ThreadCount restore;
  set_num_threads(2);
  std::mt19937 rng(7);
  for (const auto& s : tiled_sizes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        check_against_reference<float>(ta, tb, s[0], s[1], s[2], 5, 1.0f, 0.0f, rng);
        check_against_reference<double>(ta, tb, s[0], s[1], s[2], 0, -0.5, 2.0, rng);
      }
}

TEST(Gemm, ResultsAreBitIdenticalForAnyThreadCount) {
  ThreadCount restore;
  std::mt19937 rng(11);
  for (const auto& s : tiled_sizes)
    for (bool ta : {false, true}) {
      const int64_t m = s[0], n = s[1], k = s[2];
      const std::vector<float> a = random_values<float>(static_cast<size_t>(m * k), rng);
      const std::vector<float> b = random_values<float>(static_cast<size_t>(k * n), rng);
      std::vector<float> first;
      for (int threads : {1, 2, 3, 8}) {
        set_num_threads(threads);
        std::vector<float> c(static_cast<size_t>(m * n));
        gemm(ta, false, m, n, k, 1.0f, a.data(), ta ? m : k, b.data(), n, 0.0f, c.data(), n);
        if (first.empty()) first = c;
        ASSERT_EQ(0, std::memcmp(first.data(), c.data(), c.size() * sizeof(float)))
            << "threads=" << threads << " m=" << m << " n=" << n << " k=" << k << " ta=" << ta;
      }
    }
}

TEST(Gemm, BetaZeroOverwritesNaN) {
  // matmul writes into uninitialised memory: beta = 0 must not propagate what was there.
  const std::vector<float> a = {1, 2, 3, 4}, b = {1, 0, 0, 1};
  std::vector<float> c(4, std::numeric_limits<float>::quiet_NaN());
  gemm(false, false, 2, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{1, 2, 3, 4}));
}

TEST(Gemm, EmptyInnerDimensionScalesC) {
  std::vector<double> c = {1, 2, 3, 4};
  gemm(false, false, 2, 2, 0, 1.0, nullptr, 1, nullptr, 2, 3.0, c.data(), 2);
  EXPECT_EQ(c, (std::vector<double>{3, 6, 9, 12}));
  std::fill(c.begin(), c.end(), std::numeric_limits<double>::quiet_NaN());
  gemm(true, true, 2, 2, 0, 1.0, nullptr, 2, nullptr, 1, 0.0, c.data(), 2);
  EXPECT_EQ(c, (std::vector<double>{0, 0, 0, 0}));
}

TEST(Gemm, EmptyOutputDoesNothing) {
  std::vector<float> c = {5};
  gemm(false, false, 0, 1, 3, 1.0f, nullptr, 3, nullptr, 1, 0.0f, c.data(), 1);
  gemm(false, false, 1, 0, 3, 1.0f, nullptr, 3, nullptr, 1, 0.0f, c.data(), 1);
  EXPECT_EQ(c[0], 5.0f);
}

TEST(Gemm, RejectsBadArguments) {
  std::vector<float> a(16), b(16), c(16);
  // lda must cover a row of op(A)'s storage: (2, 3) stored with lda 2 would overlap rows.
  EXPECT_THROW(gemm(false, false, 2, 2, 3, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2), Error);
  EXPECT_THROW(gemm(true, false, 2, 2, 3, 1.0f, a.data(), 1, b.data(), 2, 0.0f, c.data(), 2), Error);
  EXPECT_THROW(gemm(false, true, 2, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2), Error);
  EXPECT_THROW(gemm(false, false, 2, 4, 3, 1.0f, a.data(), 3, b.data(), 4, 0.0f, c.data(), 3), Error);
  EXPECT_THROW(gemm(false, false, -1, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2), Error);
  try {
    gemm(false, false, 2, 2, int64_t{1} << 32, 1.0f, a.data(), int64_t{1} << 32, b.data(), 2, 0.0f, c.data(), 2);
    FAIL() << "expected nabla::Error for sizes beyond BLAS's int";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("32-bit"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nabla::kernels
