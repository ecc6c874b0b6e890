// The tensor core: storage, metadata, raw data access, autograd accessors and copies.
// Differentiable ops live under autograd/ops; this file holds what they all stand on.
#include "tensor/internal.hpp"

#include <nabla/autograd.hpp>

#include "autograd/engine.hpp"
#include "tensor/allocator.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/loops.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace nabla {

Storage::Storage(size_t bytes) : data(detail::allocate(bytes)), nbytes(bytes) {}

Storage::~Storage() { detail::deallocate(data, nbytes); }

namespace detail {

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  const Shape& ts = t.shape();
  const Shape& st = t.strides();
  NABLA_CHECK(ts.size() <= shape.size(), "cannot broadcast shape ", ts, " to ", shape);
  Shape out(shape.size(), 0);
  const size_t lead = shape.size() - ts.size();
  for (size_t i = 0; i < ts.size(); ++i) {
    NABLA_CHECK(ts[i] == shape[lead + i] || ts[i] == 1, "cannot broadcast shape ", ts, " to ", shape);
    out[lead + i] = ts[i] == 1 && shape[lead + i] != 1 ? 0 : st[i];
  }
  return out;
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch, ", a.dtype(), " ", a.shape(), " vs ", b.dtype(), " ",
              b.shape(), " (convert one with .to(nabla::", a.dtype(), "))");
}

void check_defined(const char* op, const Tensor& t) {
  NABLA_CHECK(t.defined(), op, ": called on an undefined tensor");
}

// A float that does not fit the integer type it is converted to is undefined behaviour in C++.
// Defined here as PyTorch behaves on x86: truncate toward zero, then wrap modulo 2^bits (so 256.0
// becomes uint8 0 and -1.0 becomes 255); NaN becomes 0, and values past int64's range saturate
// there before wrapping.
template <typename TD, typename TS>
TD convert(TS v) {
  if constexpr (std::is_integral_v<TD> && std::is_floating_point_v<TS>) {
    if (v != v) return TD(0);
    constexpr TS lo = static_cast<TS>(std::numeric_limits<int64_t>::min());  // -2^63, exact
    if (v <= lo) return static_cast<TD>(std::numeric_limits<int64_t>::min());
    if (v >= -lo) return static_cast<TD>(std::numeric_limits<int64_t>::max());
    return static_cast<TD>(static_cast<int64_t>(v));
  } else {
    return static_cast<TD>(v);
  }
}

void copy_into(const Tensor& dst, const Tensor& src) {
  const Shape src_strides = broadcast_strides(src, dst.shape());
  kernels::dispatch(dst.dtype(), [&]<typename TD>() {
    kernels::dispatch(src.dtype(), [&]<typename TS>() {
      kernels::map1(dst.shape(), dst.data_ptr<TD>(), dst.strides(), src.data_ptr<TS>(), src_strides,
                    [](TS v) { return convert<TD>(v); });
    });
  });
}

}  // namespace detail

// ---- metadata ---------------------------------------------------------------------------

#define NABLA_IMPL(op) (detail::check_defined(op, *this), impl_.get())

const Shape& Tensor::shape() const { return NABLA_IMPL("shape")->shape; }
const Shape& Tensor::strides() const { return NABLA_IMPL("strides")->strides; }
int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, ndim())]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, ndim())]; }
int64_t Tensor::numel() const { return shape_numel(shape()); }
int64_t Tensor::ndim() const { return static_cast<int64_t>(shape().size()); }
DType Tensor::dtype() const { return NABLA_IMPL("dtype")->dtype; }
int64_t Tensor::storage_offset() const { return NABLA_IMPL("storage_offset")->offset; }

bool Tensor::is_contiguous() const {
  if (numel() == 0) return true;  // as PyTorch: nothing to lay out
  const Shape& sh = shape();
  const Shape& st = strides();
  int64_t expected = 1;
  for (size_t i = sh.size(); i-- > 0;) {
    if (sh[i] == 1) continue;
    if (st[i] != expected) return false;
    expected *= sh[i];
  }
  return true;
}

bool Tensor::shares_storage(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage;
}

template <typename T>
T* Tensor::data_ptr() const {
  TensorImpl* impl = NABLA_IMPL("data_ptr");
  NABLA_CHECK(impl->dtype == dtype_of<T>(), "data_ptr: tensor has dtype ", impl->dtype, ", requested ", dtype_of<T>());
  return static_cast<T*>(impl->storage->data) + impl->offset;
}
template float* Tensor::data_ptr<float>() const;
template double* Tensor::data_ptr<double>() const;
template int64_t* Tensor::data_ptr<int64_t>() const;
template uint8_t* Tensor::data_ptr<uint8_t>() const;

double Tensor::item() const {
  NABLA_CHECK(numel() == 1, "item(): expected a tensor with one element, got shape ", shape(), " (", numel(),
              " elements)");
  return kernels::dispatch(dtype(), [&]<typename T>() { return static_cast<double>(*data_ptr<T>()); });
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out(static_cast<size_t>(numel()));
  if (out.empty()) return out;
  kernels::dispatch(dtype(), [&]<typename TS>() {
    kernels::map1(shape(), out.data(), contiguous_strides(shape()), data_ptr<TS>(), strides(),
                  [](TS v) { return static_cast<T>(v); });
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;

// ---- autograd accessors ---------------------------------------------------------------------

Tensor& Tensor::requires_grad_(bool requires_grad) {
  TensorImpl* impl = NABLA_IMPL("requires_grad_");
  NABLA_CHECK(is_floating(impl->dtype) || !requires_grad,
              "requires_grad_: only floating-point tensors can require gradients, got ", impl->dtype);
  NABLA_CHECK(impl->grad_fn == nullptr || requires_grad,
              "requires_grad_(false) on a non-leaf tensor; use detach() to cut it from the graph");
  impl->requires_grad = requires_grad;
  return *this;
}

bool Tensor::requires_grad() const { return NABLA_IMPL("requires_grad")->requires_grad; }

Tensor Tensor::grad() const {
  TensorImpl* impl = NABLA_IMPL("grad");
  return impl->grad ? Tensor(impl->grad) : Tensor();
}

void Tensor::set_grad(const Tensor& grad) const {
  TensorImpl* impl = NABLA_IMPL("set_grad");
  if (grad.defined()) {
    NABLA_CHECK(grad.shape() == impl->shape, "set_grad: gradient shape ", grad.shape(), " does not match tensor shape ",
                impl->shape);
    NABLA_CHECK(grad.dtype() == impl->dtype, "set_grad: gradient dtype ", grad.dtype(), " does not match tensor dtype ",
                impl->dtype);
  }
  impl->grad = grad.impl_ptr();
}

bool Tensor::is_leaf() const { return NABLA_IMPL("is_leaf")->grad_fn == nullptr; }

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { return NABLA_IMPL("grad_fn")->grad_fn; }

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::run_backward(*this, gradient, retain_graph);
}

Tensor Tensor::detach() const {
  TensorImpl* impl = NABLA_IMPL("detach");
  return detail::make_view(*this, impl->shape, impl->strides, impl->offset);
}

#undef NABLA_IMPL

}  // namespace nabla
