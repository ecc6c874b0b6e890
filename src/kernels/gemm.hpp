// Row-major GEMM, C = alpha * op(A) * op(B) + beta * C, for float and double: a thin wrapper
// over OpenBLAS's cblas_?gemm (used by matmul and by conv's im2col), plus the naive triple
// loop it is tested against. Knows nothing of tensors or autograd.
#pragma once

#include <cstdint>

namespace nabla::kernels {

/// C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C, all row-major.
/// op(A) is A when !trans_a (A stored (m, k), lda >= max(1, k)) and A^T when trans_a (A stored
/// (k, m), lda >= max(1, m)); likewise B is stored (k, n) or, with trans_b, (n, k); ldc >= max(1, n).
/// With beta == 0, C is only written (it may hold garbage or NaN). k == 0 scales C by beta;
/// m == 0 or n == 0 does nothing. Sizes and leading dimensions must fit in an int (BLAS's).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

/// The same contract as gemm, as a plain triple loop: the oracle the BLAS path is checked against.
template <typename T>
void gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                    const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      T acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        const T x = trans_a ? a[p * lda + i] : a[i * lda + p];
        const T y = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += x * y;
      }
      T& out = c[i * ldc + j];
      out = beta == T(0) ? alpha * acc : alpha * acc + beta * out;
    }
  }
}

}  // namespace nabla::kernels
