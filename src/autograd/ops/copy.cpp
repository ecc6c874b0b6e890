// Copies and conversions: clone, contiguous, to(dtype), and the in-place fills.
// Gradients of copies pass straight through (converted back to the input's dtype).
#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/loops.hpp"
#include "tensor/internal.hpp"

namespace nabla {

using autograd::record;
using autograd::TensorList;

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype());
  detail::copy_into(out, *this);
  return record("CloneBackward", out, {*this}, [](const Tensor& g) -> TensorList { return {g}; });
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::to(DType target) const {
  if (dtype() == target) return *this;
  Tensor out = empty(shape(), target);
  detail::copy_into(out, *this);
  if (!is_floating(target)) return out;  // integer results carry no gradient
  const DType source = dtype();
  return record("ToBackward", out, {*this}, [source](const Tensor& g) -> TensorList { return {g.to(source)}; });
}

Tensor& Tensor::copy_(const Tensor& src) {
  detail::check_defined("copy_", src);
  autograd::check_inplace(*this, {src});
  if (src.shares_storage(*this) && !src.is_same(*this)) {
    detail::copy_into(*this, src.clone());  // overlapping views: read everything before writing
  } else {
    detail::copy_into(*this, src);
  }
  return *this;
}

Tensor& Tensor::fill_(double value) {
  autograd::check_inplace(*this);
  kernels::dispatch(dtype(), [&]<typename T>() {
    const T v = static_cast<T>(value);
    T* p = data_ptr<T>();
    kernels::map1(shape(), p, strides(), p, strides(), [v](T) { return v; });
  });
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0.0); }

}  // namespace nabla
