// softmax and log_softmax along one dimension: stable (the max is subtracted first) with fused
// backward kernels, so neither pass materialises the intermediate exp/sum tensors.
#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/reduce.hpp"
#include "tensor/internal.hpp"

namespace nabla {
namespace {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;

// (outer, n, inner) sizes of a contiguous tensor of `shape` around dimension d.
struct Split {
  int64_t outer = 1, n = 1, inner = 1;
};

Split split_at(const Shape& shape, int64_t d) {
  Split s;
  for (int64_t k = 0; k < static_cast<int64_t>(shape.size()); ++k) {
    if (k < d) s.outer *= shape[k];
    if (k == d) s.n = shape[k];
    if (k > d) s.inner *= shape[k];
  }
  return s;
}

Tensor softmax_impl(const char* op, const Tensor& self, int64_t dim, bool log) {
  const int64_t n = self.ndim();
  const int64_t lo = n == 0 ? -1 : -n;
  const int64_t hi = n == 0 ? 0 : n - 1;
  NABLA_CHECK(dim >= lo && dim <= hi, op, ": dimension ", dim, " is out of range for a tensor of shape ", self.shape(),
              " (expected ", lo, " to ", hi, ")");
  NABLA_CHECK(is_floating(self.dtype()), op, ": expected a floating-point tensor (float32 or float64), got ",
              self.dtype(), " of shape ", self.shape());
  const int64_t d = wrap_dim(dim, n);
  const Split s = split_at(self.shape(), d);
  const Tensor x = self.is_contiguous() ? self : self.detach().contiguous();
  Tensor y = empty(self.shape(), self.dtype());
  kernels::dispatch_floating(self.dtype(), op, [&]<typename T>() {
    kernels::softmax_forward(x.data_ptr<T>(), y.data_ptr<T>(), s.outer, s.n, s.inner, log);
  });
  if (!autograd::needs_grad({self})) return y;
  return record(log ? "LogSoftmaxBackward" : "SoftmaxBackward", y, {self},
                [out = SavedTensor(y), s, log](const Tensor& g) -> TensorList {
                  const Tensor gc = g.contiguous();
                  Tensor gx = empty(gc.shape(), gc.dtype());
                  kernels::dispatch_floating(gc.dtype(), "softmax backward", [&]<typename T>() {
                    kernels::softmax_backward(out.get().data_ptr<T>(), gc.data_ptr<T>(), gx.data_ptr<T>(), s.outer, s.n,
                                              s.inner, log);
                  });
                  return {gx};
                });
}

}  // namespace

Tensor Tensor::softmax(int64_t dim) const { return softmax_impl("softmax", *this, dim, false); }

Tensor Tensor::log_softmax(int64_t dim) const { return softmax_impl("log_softmax", *this, dim, true); }

}  // namespace nabla
