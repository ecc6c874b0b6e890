// Reductions over all elements or chosen dimensions -- sum, mean, max/min, argmax/argmin,
// var/std, logsumexp -- each with its backward. The loops are in kernels/reduce.
#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/loops.hpp"
#include "kernels/reduce.hpp"
#include "tensor/internal.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace nabla {
namespace {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;
using Mask = std::vector<bool>;

// The dimensions `dims` of `self` as a mask. Negative dims count from the end, a repeated dim is
// an error, and an empty list reduces every dimension (as torch.sum(x, [])).
Mask reduce_mask(const char* op, const Tensor& self, const Shape& dims) {
  const int64_t n = self.ndim();
  Mask mask(static_cast<size_t>(n), dims.empty());
  const int64_t lo = n == 0 ? -1 : -n;
  const int64_t hi = n == 0 ? 0 : n - 1;
  for (int64_t dim : dims) {
    NABLA_CHECK(dim >= lo && dim <= hi, op, ": dimension ", dim, " is out of range for a tensor of shape ",
                self.shape(), " (expected ", lo, " to ", hi, ")");
    if (n == 0) continue;  // a 0-d tensor's only "dimension" is itself
    const int64_t d = wrap_dim(dim, n);
    NABLA_CHECK(!mask[static_cast<size_t>(d)], op, ": dimension ", d, " appears more than once in dims ", dims);
    mask[static_cast<size_t>(d)] = true;
  }
  return mask;
}

// Shape after reducing `mask`: reduced dims dropped, or kept with size 1 when keepdim.
Shape reduced_shape(const Shape& shape, const Mask& mask, bool keepdim) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!mask[d]) {
      out.push_back(shape[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

// Number of input elements reduced into each output.
int64_t reduced_count(const Shape& shape, const Mask& mask) {
  int64_t n = 1;
  for (size_t d = 0; d < shape.size(); ++d)
    if (mask[d]) n *= shape[d];
  return n;
}

// The reduced dims as a list, for calling the Tensor reductions again in a backward.
Shape mask_dims(const Mask& mask) {
  Shape dims;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) dims.push_back(static_cast<int64_t>(d));
  return dims;
}

// Checked before any kernel runs, so that empty inputs are refused too.
void check_floating(const char* op, const Tensor& t) {
  NABLA_CHECK(is_floating(t.dtype()), op, ": expected a floating-point tensor (float32 or float64), got ", t.dtype(),
              " of shape ", t.shape());
}

// A reduction's output gradient reshaped to broadcast against the input (reduced dims as 1).
Tensor keepdim_view(const Tensor& g, const Shape& in_shape, const Mask& mask) {
  return g.reshape(reduced_shape(in_shape, mask, true));
}

// Which reductions may visit their elements in memory order rather than row-major order.
enum class Order { Any, RowMajor };

// A fresh output of `dtype` for reducing self over mask, filled by kernel(plan, out).
template <typename Kernel>
Tensor reduce_into(const Tensor& self, const Mask& mask, bool keepdim, DType dtype, Order order, Kernel&& kernel) {
  Tensor out = empty(reduced_shape(self.shape(), mask, keepdim), dtype);
  if (out.numel() > 0) kernel(kernels::plan_reduce(self.shape(), self.strides(), mask, order == Order::Any), out);
  return out;
}

// Gradient weights of max()/min() over all elements: 1/count on every element equal to the
// result (NaN matching NaN), 0 elsewhere -- PyTorch shares the gradient evenly among ties.
Tensor tie_weights(const Tensor& x, double value) {
  Tensor w = empty(x.shape(), x.dtype());
  kernels::dispatch_floating(x.dtype(), "max", [&]<typename T>() {
    const T v = static_cast<T>(value);
    const bool nan = std::isnan(value);
    int64_t count = 0;
    T* p = w.data_ptr<T>();
    kernels::map1(x.shape(), p, w.strides(), x.data_ptr<T>(), x.strides(), [&](T a) {
      const bool hit = nan ? std::isnan(a) : a == v;
      count += hit;
      return T(hit);
    });
    const T share = T(1) / static_cast<T>(count);
    for (int64_t k = 0, n = w.numel(); k < n; ++k) p[k] *= share;
  });
  return w;
}

// max/min/argmax/argmin over `mask` (one dim, or everything). Fills values and/or indices.
void arg_reduce_into(const Tensor& self, const kernels::ReducePlan& plan, bool is_max, const Tensor& values,
                     const Tensor& indices) {
  kernels::dispatch(self.dtype(), [&]<typename T>() {
    T* v = values.defined() ? values.data_ptr<T>() : nullptr;
    int64_t* i = indices.defined() ? indices.data_ptr<int64_t>() : nullptr;
    if (is_max) {
      kernels::arg_reduce<T, true>(self.data_ptr<T>(), plan, v, i);
    } else {
      kernels::arg_reduce<T, false>(self.data_ptr<T>(), plan, v, i);
    }
  });
}

Tensor extreme_all(const char* op, const Tensor& self, bool is_max) {
  NABLA_CHECK(self.numel() > 0, op, "(): cannot reduce an empty tensor of shape ", self.shape(),
              " without a dim; pass the dim to reduce");
  const Mask mask(static_cast<size_t>(self.ndim()), true);
  Tensor out = reduce_into(
      self, mask, false, self.dtype(), Order::RowMajor,
      [&](const kernels::ReducePlan& plan, const Tensor& o) { arg_reduce_into(self, plan, is_max, o, Tensor()); });
  if (!autograd::needs_grad({self})) return out;
  return record(is_max ? "MaxBackward" : "MinBackward", out, {self},
                [x = SavedTensor(self), value = out.item()](const Tensor& g) -> TensorList {
                  return {g * tie_weights(x.get(), value)};
                });
}

// Checks that `dim` of self can be reduced by an op that needs at least one element.
Mask nonempty_dim_mask(const char* op, const Tensor& self, int64_t dim) {
  Mask mask = reduce_mask(op, self, {dim});
  if (self.ndim() > 0) {
    const int64_t d = wrap_dim(dim, self.ndim());
    NABLA_CHECK(self.shape()[d] > 0, op, ": cannot reduce dimension ", dim, " of size 0 (shape ", self.shape(), ")");
  }
  return mask;
}

Tensor extreme_dim(const char* op, const Tensor& self, int64_t dim, bool keepdim, bool is_max) {
  const Mask mask = nonempty_dim_mask(op, self, dim);
  const Shape keep_shape = reduced_shape(self.shape(), mask, true);
  Tensor indices = empty(keep_shape, DType::Int64);
  Tensor out = reduce_into(
      self, mask, keepdim, self.dtype(), Order::RowMajor,
      [&](const kernels::ReducePlan& plan, const Tensor& o) { arg_reduce_into(self, plan, is_max, o, indices); });
  if (!autograd::needs_grad({self})) return out;
  // The gradient goes to the selected element only (torch.max(dim)'s indices).
  const int64_t d = self.ndim() == 0 ? 0 : wrap_dim(dim, self.ndim());
  return record(is_max ? "MaxBackward" : "MinBackward", out, {self},
                [in_shape = self.shape(), keep_shape, d, indices](const Tensor& g) -> TensorList {
                  return {zeros(in_shape, g.dtype()).scatter_add(d, indices, g.reshape(keep_shape))};
                });
}

Tensor arg_extreme(const char* op, const Tensor& self, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  Mask mask;
  if (dim) {
    mask = nonempty_dim_mask(op, self, *dim);
  } else {
    NABLA_CHECK(self.numel() > 0, op, "(): cannot reduce an empty tensor of shape ", self.shape(),
                " without a dim; pass the dim to reduce");
    mask.assign(static_cast<size_t>(self.ndim()), true);
  }
  return reduce_into(
      self, mask, keepdim && dim, DType::Int64, Order::RowMajor,
      [&](const kernels::ReducePlan& plan, const Tensor& o) { arg_reduce_into(self, plan, is_max, Tensor(), o); });
}

Tensor variance(const char* op, const Tensor& self, const Shape& dims, int64_t correction, bool keepdim, bool root) {
  const Mask mask = reduce_mask(op, self, dims);
  check_floating(op, self);
  Tensor out =
      reduce_into(self, mask, keepdim, self.dtype(), Order::Any, [&](const kernels::ReducePlan& plan, const Tensor& o) {
        kernels::dispatch_floating(self.dtype(), op, [&]<typename T>() {
          T* p = o.data_ptr<T>();
          kernels::var(self.data_ptr<T>(), plan, correction, p);
          if (root)
            for (int64_t k = 0, n = o.numel(); k < n; ++k) p[k] = std::sqrt(p[k]);
        });
      });
  if (!autograd::needs_grad({self})) return out;
  const double divisor =
      std::max(static_cast<double>(reduced_count(self.shape(), mask)) - static_cast<double>(correction), 0.0);
  // d var / dx = 2 (x - mean) / divisor;  d std / dx = (x - mean) / (divisor * std), taken as 0
  // where std is 0 (as PyTorch, instead of 0/0).
  return record(root ? "StdBackward" : "VarBackward", out, {self},
                [x = SavedTensor(self), y = SavedTensor(out), mask, divisor, root](const Tensor& g) -> TensorList {
                  const Tensor& xs = x.get();
                  Tensor scale =
                      root ? where(y.get().eq(0.0), zeros_like(g), g / (y.get() * divisor)) : g * (2.0 / divisor);
                  Tensor centered = xs - xs.mean(mask_dims(mask), true);
                  return {centered * keepdim_view(scale, xs.shape(), mask)};
                });
}

}  // namespace

Tensor Tensor::sum() const { return sum(Shape{}, false); }
Tensor Tensor::sum(int64_t dim, bool keepdim) const { return sum(Shape{dim}, keepdim); }

Tensor Tensor::sum(const Shape& dims, bool keepdim) const {
  const Mask mask = reduce_mask("sum", *this, dims);
  const DType out_dtype = dtype() == DType::UInt8 ? DType::Int64 : dtype();  // as torch.sum
  Tensor out =
      reduce_into(*this, mask, keepdim, out_dtype, Order::Any, [&](const kernels::ReducePlan& plan, const Tensor& o) {
        kernels::dispatch(dtype(), [&]<typename T>() {
          using Out = std::conditional_t<std::is_same_v<T, uint8_t>, int64_t, T>;
          kernels::sum(data_ptr<T>(), plan, o.data_ptr<Out>());
        });
      });
  if (!autograd::needs_grad({*this})) return out;
  return record("SumBackward", out, {*this}, [in_shape = shape(), mask](const Tensor& g) -> TensorList {
    return {keepdim_view(g, in_shape, mask).expand(in_shape)};
  });
}

Tensor Tensor::mean() const { return mean(Shape{}, false); }
Tensor Tensor::mean(int64_t dim, bool keepdim) const { return mean(Shape{dim}, keepdim); }

Tensor Tensor::mean(const Shape& dims, bool keepdim) const {
  const Mask mask = reduce_mask("mean", *this, dims);
  check_floating("mean", *this);
  Tensor out =
      reduce_into(*this, mask, keepdim, dtype(), Order::Any, [&](const kernels::ReducePlan& plan, const Tensor& o) {
        kernels::dispatch_floating(dtype(), "mean",
                                   [&]<typename T>() { kernels::mean(data_ptr<T>(), plan, o.data_ptr<T>()); });
      });
  if (!autograd::needs_grad({*this})) return out;
  const double n = static_cast<double>(reduced_count(shape(), mask));
  return record("MeanBackward", out, {*this}, [in_shape = shape(), mask, n](const Tensor& g) -> TensorList {
    return {keepdim_view(g / n, in_shape, mask).expand(in_shape)};
  });
}

Tensor Tensor::max() const { return extreme_all("max", *this, true); }
Tensor Tensor::min() const { return extreme_all("min", *this, false); }
Tensor Tensor::max(int64_t dim, bool keepdim) const { return extreme_dim("max", *this, dim, keepdim, true); }
Tensor Tensor::min(int64_t dim, bool keepdim) const { return extreme_dim("min", *this, dim, keepdim, false); }

Tensor Tensor::argmax() const { return arg_extreme("argmax", *this, std::nullopt, false, true); }
Tensor Tensor::argmin() const { return arg_extreme("argmin", *this, std::nullopt, false, false); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const { return arg_extreme("argmax", *this, dim, keepdim, true); }
Tensor Tensor::argmin(int64_t dim, bool keepdim) const { return arg_extreme("argmin", *this, dim, keepdim, false); }

Tensor Tensor::var(int64_t correction) const { return variance("var", *this, {}, correction, false, false); }
Tensor Tensor::var(const Shape& dims, int64_t correction, bool keepdim) const {
  return variance("var", *this, dims, correction, keepdim, false);
}
Tensor Tensor::std(int64_t correction) const { return variance("std", *this, {}, correction, false, true); }
Tensor Tensor::std(const Shape& dims, int64_t correction, bool keepdim) const {
  return variance("std", *this, dims, correction, keepdim, true);
}

Tensor Tensor::logsumexp(int64_t dim, bool keepdim) const { return logsumexp(Shape{dim}, keepdim); }

Tensor Tensor::logsumexp(const Shape& dims, bool keepdim) const {
  const Mask mask = reduce_mask("logsumexp", *this, dims);
  check_floating("logsumexp", *this);
  Tensor out =
      reduce_into(*this, mask, keepdim, dtype(), Order::Any, [&](const kernels::ReducePlan& plan, const Tensor& o) {
        kernels::dispatch_floating(dtype(), "logsumexp",
                                   [&]<typename T>() { kernels::logsumexp(data_ptr<T>(), plan, o.data_ptr<T>()); });
      });
  if (!autograd::needs_grad({*this})) return out;
  // d/dx logsumexp = softmax(x) = exp(x - result).
  return record("LogsumexpBackward", out, {*this},
                [x = SavedTensor(*this), y = SavedTensor(out), mask](const Tensor& g) -> TensorList {
                  const Shape& in_shape = x.get().shape();
                  return {keepdim_view(g, in_shape, mask) * (x.get() - keepdim_view(y.get(), in_shape, mask)).exp()};
                });
}

}  // namespace nabla
