// Matrix products: torch.matmul over 1-D, 2-D and batched operands with broadcast batch
// dimensions, through BLAS. Transposed operands reach BLAS as a flag, never as a copy, so the
// Linear pattern X.matmul(W.t()) and the backward's g.matmul(b.t()) run on the stored data.
#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/gemm.hpp"
#include "kernels/loops.hpp"
#include "tensor/internal.hpp"

#include <algorithm>
#include <optional>

namespace nabla {
namespace {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;

// A matmul operand read as a batch of (rows, cols) matrices; strides in elements. A 1-D left
// operand is one row (1, k), a 1-D right operand one column (k, 1), as torch.matmul promotes them.
struct Matrices {
  Shape batch, batch_strides;
  int64_t rows = 1, cols = 1, row_stride = 1, col_stride = 1;
};

Matrices as_matrices(const Tensor& t, bool left) {
  const Shape& sh = t.shape();
  const Shape& st = t.strides();
  const size_t nd = sh.size();
  Matrices m;
  if (nd == 1) {
    (left ? m.cols : m.rows) = sh[0];
    (left ? m.col_stride : m.row_stride) = st[0];
    return m;
  }
  m.batch.assign(sh.begin(), sh.end() - 2);
  m.batch_strides.assign(st.begin(), st.end() - 2);
  m.rows = sh[nd - 2];
  m.cols = sh[nd - 1];
  m.row_stride = st[nd - 2];
  m.col_stride = st[nd - 1];
  return m;
}

// How BLAS reads one matrix in place: row-major with leading dimension ld, or (trans) the
// row-major storage of its transpose.
struct Layout {
  bool trans = false;
  int64_t ld = 1;
};

// nullopt when BLAS cannot read the matrix in place (a non-unit inner stride, expanded rows).
// Strides of size-1 dims are arbitrary, so such a dim never decides the layout.
std::optional<Layout> blas_layout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  if (cols <= 1 || col_stride == 1) {
    const int64_t ld = rows <= 1 ? std::max<int64_t>(cols, 1) : row_stride;
    if (ld >= std::max<int64_t>(cols, 1)) return Layout{false, ld};
  }
  if (rows <= 1 || row_stride == 1) {
    const int64_t ld = cols <= 1 ? std::max<int64_t>(rows, 1) : col_stride;
    if (ld >= std::max<int64_t>(rows, 1)) return Layout{true, ld};
  }
  return std::nullopt;
}

// `t` itself when BLAS can read its matrices in place, otherwise a contiguous copy (made
// without recording: the backward reads the original). Fills in m and layout for the result.
Tensor blas_readable(const Tensor& t, bool left, Matrices& m, Layout& layout) {
  m = as_matrices(t, left);
  if (auto l = blas_layout(m.rows, m.cols, m.row_stride, m.col_stride)) {
    layout = *l;
    return t;
  }
  Tensor copy = empty(t.shape(), t.dtype());
  detail::copy_into(copy, t);
  m = as_matrices(copy, left);
  layout = *blas_layout(m.rows, m.cols, m.row_stride, m.col_stride);  // contiguous, non-empty
  return copy;
}

// Stride between consecutive rows when a's (batch..., rows) dims merge into one dim of
// stacked rows (as a contiguous (B..., n, k) tensor's do); nullopt when they do not.
std::optional<int64_t> stacked_row_stride(const Matrices& a) {
  int64_t stride = a.row_stride, span = a.rows;
  for (size_t d = a.batch.size(); d-- > 0;) {
    const int64_t size = a.batch[d];
    if (size == 1) continue;
    if (span == 1) {
      stride = a.batch_strides[d];
    } else if (a.batch_strides[d] != stride * span) {
      return std::nullopt;
    }
    span *= size;
  }
  return stride;
}

// out (batch..., n, m), contiguous = a (batch..., n, k) @ b (batch..., k, m), batch dims broadcast.
template <typename T>
void run_gemms(const Matrices& a, const T* pa, Layout la, const Matrices& b, const T* pb, Layout lb,
               const Shape& batch, T* out) {
  const int64_t n = a.rows, k = a.cols, m = b.cols;
  const int64_t count = shape_numel(batch);
  // One right-hand matrix for the whole batch: fold a's batch into its rows, one gemm.
  if (shape_numel(b.batch) == 1) {
    if (std::optional<int64_t> stride = stacked_row_stride(a)) {
      if (auto lay = blas_layout(count * n, k, *stride, a.col_stride)) {
        kernels::gemm(lay->trans, lb.trans, count * n, m, k, T(1), pa, lay->ld, pb, lb.ld, T(0), out, m);
        return;
      }
    }
  }
  // Otherwise one gemm per batch element, walking both operands' broadcast batch strides.
  const size_t nd = batch.size();
  Shape so = contiguous_strides(batch), sa(nd, 0), sb(nd, 0);
  for (int64_t& s : so) s *= n * m;
  for (size_t i = 0; i < a.batch.size(); ++i)
    if (a.batch[i] != 1) sa[nd - a.batch.size() + i] = a.batch_strides[i];
  for (size_t i = 0; i < b.batch.size(); ++i)
    if (b.batch[i] != 1) sb[nd - b.batch.size() + i] = b.batch_strides[i];
  kernels::for_each_run<3>(batch, {so, sa, sb}, [&](const auto& off, int64_t len, const auto& step) {
    for (int64_t i = 0; i < len; ++i)
      kernels::gemm(la.trans, lb.trans, n, m, k, T(1), pa + off[1] + i * step[1], la.ld, pb + off[2] + i * step[2],
                    lb.ld, T(0), out + off[0] + i * step[0], m);
  });
}

void check_operands(const Tensor& a, const Tensor& b) {
  detail::check_defined("matmul", a);
  detail::check_defined("matmul", b);
  NABLA_CHECK(a.ndim() >= 1 && b.ndim() >= 1, "matmul: both arguments need at least 1 dimension, got shapes ",
              a.shape(), " and ", b.shape());
  detail::check_same_dtype("matmul", a, b);
  NABLA_CHECK(is_floating(a.dtype()), "matmul: expected float32 or float64 tensors, got ", a.dtype(), " (shapes ",
              a.shape(), " and ", b.shape(), "); convert with .to(nabla::float32)");
}

// The broadcast batch shape, with an error naming both operands' full shapes.
Shape batch_shape(const Tensor& a, const Tensor& b, const Shape& ba, const Shape& bb) {
  const size_t nd = std::max(ba.size(), bb.size());
  Shape out(nd, 1);
  for (size_t i = 0; i < nd; ++i) {
    const int64_t x = i + ba.size() >= nd ? ba[i + ba.size() - nd] : 1;
    const int64_t y = i + bb.size() >= nd ? bb[i + bb.size() - nd] : 1;
    NABLA_CHECK(x == y || x == 1 || y == 1, "matmul: batch dimensions ", ba, " and ", bb, " of shapes ", a.shape(),
                " and ", b.shape(), " cannot be broadcast");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

Tensor matmul_forward(const Tensor& a, const Tensor& b) {
  check_operands(a, b);
  Matrices ma = as_matrices(a, true), mb = as_matrices(b, false);
  NABLA_CHECK(ma.cols == mb.rows, "matmul: shapes ", a.shape(), " and ", b.shape(), " cannot be multiplied (", ma.cols,
              " != ", mb.rows, ")");
  const Shape batch = batch_shape(a, b, ma.batch, mb.batch);
  Shape out_shape = batch;
  if (a.ndim() > 1) out_shape.push_back(ma.rows);
  if (b.ndim() > 1) out_shape.push_back(mb.cols);
  if (shape_numel(out_shape) == 0) return empty(out_shape, a.dtype());
  if (ma.cols == 0) return zeros(out_shape, a.dtype());  // empty sums
  Layout la, lb;
  const Tensor ra = blas_readable(a, true, ma, la);
  const Tensor rb = blas_readable(b, false, mb, lb);
  Tensor out = empty(out_shape, a.dtype());
  kernels::dispatch_floating(a.dtype(), "matmul", [&]<typename T>() {
    run_gemms<T>(ma, detail::base<T>(ra), la, mb, detail::base<T>(rb), lb, batch, detail::base<T>(out));
  });
  return out;
}

// d(a @ b): da = g @ b^T, db = a^T @ g on the operands promoted to >= 2-D, summed over the
// batch dims each operand was broadcast along, then shaped back (undoing 1-D promotion).
TensorList matmul_backward(const Tensor& g, const SavedTensor& saved_a, const SavedTensor& saved_b,
                           const Shape& a_shape, const Shape& b_shape) {
  const bool a_vec = a_shape.size() == 1, b_vec = b_shape.size() == 1;
  const int64_t m = b_vec ? 1 : b_shape.back();
  Shape g_shape = g.shape();
  if (a_vec) g_shape.insert(g_shape.end() - (b_vec ? 0 : 1), 1);
  if (b_vec) g_shape.push_back(1);
  const Tensor g2 = g.reshape(g_shape);
  Tensor grad_a, grad_b;
  if (saved_b.defined()) {  // saved only when a needs a gradient
    const Tensor b2 = b_vec ? saved_b.get().unsqueeze(1) : saved_b.get();
    Shape a2_shape = a_shape;
    if (a_vec) a2_shape.insert(a2_shape.begin(), 1);
    grad_a = g2.matmul(b2.transpose(-1, -2)).sum_to_size(a2_shape).reshape(a_shape);
  }
  if (saved_a.defined()) {
    const Tensor a2 = a_vec ? saved_a.get().unsqueeze(0) : saved_a.get();
    if (b_shape.size() <= 2 && a2.ndim() > 2) {
      // One matrix b for the whole batch: sum over the batch inside one gemm,
      // (B*n, k)^T @ (B*n, m), instead of B gemms and a reduction.
      const int64_t k = a2.size(-1);
      int64_t rows = 1;  // B*n; not numel / k, which fails for k == 0
      for (int64_t d = 0; d + 1 < a2.ndim(); ++d) rows *= a2.size(d);
      grad_b = a2.reshape({rows, k}).t().matmul(g2.reshape({rows, m}));
    } else {
      Shape b2_shape = b_shape;
      if (b_vec) b2_shape.push_back(1);
      grad_b = a2.transpose(-1, -2).matmul(g2).sum_to_size(b2_shape);
    }
    grad_b = grad_b.reshape(b_shape);
  }
  return {grad_a, grad_b};
}

}  // namespace

Tensor Tensor::matmul(const Tensor& other) const {
  Tensor out = matmul_forward(*this, other);
  if (!autograd::needs_grad({*this, other})) return out;
  // Each gradient needs only the other operand: save just what will be used.
  const SavedTensor saved_a = other.requires_grad() ? SavedTensor(*this) : SavedTensor();
  const SavedTensor saved_b = requires_grad() ? SavedTensor(other) : SavedTensor();
  return record("MatmulBackward", out, {*this, other},
                [saved_a, saved_b, a_shape = shape(), b_shape = other.shape()](const Tensor& g) -> TensorList {
                  return matmul_backward(g, saved_a, saved_b, a_shape, b_shape);
                });
}

Tensor matmul(const Tensor& a, const Tensor& b) { return a.matmul(b); }

}  // namespace nabla
