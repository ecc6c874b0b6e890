// GEMM through OpenBLAS. Validates what BLAS would otherwise reject by printing to stderr
// (or by reading out of bounds), and handles the empty cases BLAS treats inconsistently.
#include "kernels/gemm.hpp"

#include "kernels/parallel.hpp"

#include <nabla/error.hpp>

#include <cblas.h>

#include <algorithm>
#include <climits>

namespace nabla::kernels {
namespace {

void check_args(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc) {
  NABLA_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size (m=", m, ", n=", n, ", k=", k, ")");
  const int64_t min_lda = std::max<int64_t>(1, trans_a ? m : k);
  const int64_t min_ldb = std::max<int64_t>(1, trans_b ? k : n);
  const int64_t min_ldc = std::max<int64_t>(1, n);
  NABLA_CHECK(lda >= min_lda && ldb >= min_ldb && ldc >= min_ldc, "gemm: leading dimensions (lda=", lda, ", ldb=", ldb,
              ", ldc=", ldc, ") too small for m=", m, ", n=", n, ", k=", k, " (need at least ", min_lda, ", ",
              min_ldb, ", ", min_ldc, ")");
  const int64_t largest = std::max({m, n, k, lda, ldb, ldc});
  NABLA_CHECK(largest <= INT_MAX, "gemm: size ", largest, " exceeds BLAS's 32-bit int (m=", m, ", n=", n, ", k=", k,
              ")");
}

// k == 0: op(A) * op(B) is an (m, n) matrix of zeros, so C = beta * C (BLAS may reject lda here).
template <typename T>
void scale(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + n, T(0));  // not 0 * row: C may hold NaN
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

CBLAS_TRANSPOSE op(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  check_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0) return scale(m, n, beta, c, ldc);
  ensure_blas_threads();
  cblas_sgemm(CblasRowMajor, op(trans_a), op(trans_b), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
              alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  check_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0) return scale(m, n, beta, c, ldc);
  ensure_blas_threads();
  cblas_dgemm(CblasRowMajor, op(trans_a), op(trans_b), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
              alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

}  // namespace nabla::kernels
