// GEMM through OpenBLAS. Validates what BLAS would otherwise reject by printing to stderr
// (or by reading out of bounds), and handles the empty cases BLAS treats inconsistently.
//
// Threads: OpenBLAS itself runs single-threaded (its rounding depends on its thread count), and
// nabla splits C into tiles fixed by the shape alone, one single-threaded BLAS call per tile, on
// nabla's pool. Every element of C is therefore computed by the same call whatever the thread
// count, so results are bit-identical for 1, 2 or 16 threads.
#include "kernels/gemm.hpp"

#include "kernels/parallel.hpp"

#include <nabla/error.hpp>

#include <cblas.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <string>

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

// C split into `count` tiles of `size` rows (along m) or columns (along n).
struct Tiling {
  bool along_rows = false;
  int64_t size = 0;
  int64_t count = 1;
};

// Whether OpenBLAS runs small calls through its small-matrix kernels: in 0.3.21 only its AVX-512
// cores do. Elsewhere (Haswell and Zen kernels, e.g. on Zen 3) the narrow tiles below would go
// through the packed kernels and ran up to 3x slower than one call (measured with
// OPENBLAS_CORETYPE=Zen), so they are used only where the kernels exist. Fixed for the process:
// the tiling still never depends on the thread count.
bool has_small_matrix_kernels() {
  static const bool has = [] {
    const char* name = openblas_get_corename();
    std::string core = name ? name : "";
    std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
    return core == "skylakex" || core == "cooperlake" || core == "sapphirerapids";
  }();
  return has;
}

// Narrow tiles, 16 rows or columns of C and at most 10^6 multiply-adds each: OpenBLAS (0.3.21)
// runs calls that small through its unpacked small-matrix kernels, which on 16-wide tiles are as
// fast as one whole call on one thread or faster, and scale to two (measured on the layer shapes
// of the MLP, LeNet-5 and the small ResNet: e.g. the MLP's first weight gradient, 256x784 with
// k = 64, went from 270 us on 1 thread and 377 us on 2 with 64-wide column tiles to 229 and
// 133 us with 16-row tiles). Which side to cut was measured too: columns when B is transposed
// (Linear's forward), rows otherwise; tiles under 2^17 multiply-adds lost to one call (a 7x7
// convolution's weight gradient). Other calls keep the packed kernels: up to 8 tiles of rows when
// C has 64 rows or more, else of columns, each at least 32 wide and worth at least 2^18
// multiply-adds, since re-packing the shared operand for each tile would cost more than a second
// core gains. Rows, because concurrent column tiles of the packed kernels scaled badly or not at
// all on 2 threads (the MLP's first layer on OpenBLAS's Zen kernels: 436 us with 64-wide column
// tiles, 157 us with 32-row tiles, 291 us on one thread). Depends on the shape, the transposes
// and the OpenBLAS core only, never on the thread count.
Tiling tiling(bool trans_b, int64_t m, int64_t n, int64_t k) {
  constexpr int64_t kNarrow = 16, kMaxNarrowMacs = 1'000'000, kMinNarrowMacs = int64_t{1} << 17;
  const bool narrow_rows = !trans_b;
  const int64_t narrow_extent = narrow_rows ? m : n, narrow_macs = kNarrow * (narrow_rows ? n : m) * k;
  if (has_small_matrix_kernels() && narrow_extent >= 2 * kNarrow && narrow_macs <= kMaxNarrowMacs &&
      narrow_macs >= kMinNarrowMacs)
    return {narrow_rows, kNarrow, (narrow_extent + kNarrow - 1) / kNarrow};

  constexpr int64_t kMaxTiles = 8, kMinWidth = 32, kMinMacs = int64_t{1} << 18, kAlign = 16;
  const bool along_rows = m >= 2 * kMinWidth;
  const int64_t extent = along_rows ? m : n;
  int64_t count = 1;
  while (count * 2 <= kMaxTiles && extent / (count * 2) >= kMinWidth && m * n * k / (count * 2) >= kMinMacs)
    count *= 2;
  if (count == 1) return {along_rows, extent, 1};
  const int64_t size = ((extent + count - 1) / count + kAlign - 1) / kAlign * kAlign;
  return {along_rows, size, (extent + size - 1) / size};
}

// Runs blas(m, n, a, b, c) once per tile of C on nabla's threads, with a, b and c offset to the
// tile; op(A)'s rows and op(B)'s columns follow C's.
template <typename T, typename Blas>
void tiled(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
           int64_t ldb, T* c, int64_t ldc, Blas&& blas) {
  const Tiling t = tiling(trans_b, m, n, k);
  if (t.count == 1) return blas(m, n, a, b, c);
  parallel_tasks(t.count, [&](int64_t tile) {
    const int64_t lo = tile * t.size;
    if (t.along_rows) {
      const int64_t rows = std::min(t.size, m - lo);
      blas(rows, n, trans_a ? a + lo : a + lo * lda, b, c + lo * ldc);
    } else {
      const int64_t cols = std::min(t.size, n - lo);
      blas(m, cols, a, trans_b ? b + lo * ldb : b + lo, c + lo);
    }
  });
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  check_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0) return scale(m, n, beta, c, ldc);
  ensure_blas_threads();
  tiled(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, [&](int64_t tm, int64_t tn, const float* ta, const float* tb, float* tc) {
    cblas_sgemm(CblasRowMajor, op(trans_a), op(trans_b), static_cast<int>(tm), static_cast<int>(tn),
                static_cast<int>(k), alpha, ta, static_cast<int>(lda), tb, static_cast<int>(ldb), beta, tc,
                static_cast<int>(ldc));
  });
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  check_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0) return scale(m, n, beta, c, ldc);
  ensure_blas_threads();
  tiled(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, [&](int64_t tm, int64_t tn, const double* ta, const double* tb, double* tc) {
    cblas_dgemm(CblasRowMajor, op(trans_a), op(trans_b), static_cast<int>(tm), static_cast<int>(tn),
                static_cast<int>(k), alpha, ta, static_cast<int>(lda), tb, static_cast<int>(ldb), beta, tc,
                static_cast<int>(ldc));
  });
}

}  // namespace nabla::kernels
