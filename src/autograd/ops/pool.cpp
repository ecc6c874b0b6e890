// Pooling ops of nn::functional: max_pool1d/2d/3d (with or without indices), avg_pool1d/2d/3d
// and adaptive_avg_pool1d/2d/3d, each one recorded op over the kernels of kernels/pool. The
// output-size rules (ceil_mode, padding limits) and argument checks are PyTorch's.
//
// Pooling treats every leading (N, C) or (C) plane alike, so batched and unbatched inputs are
// the same call: the leading dims fold into kernels::PoolShape::planes.
#include <nabla/nn/conv_functional.hpp>

#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/pool.hpp"
#include "tensor/internal.hpp"

namespace nabla::nn::functional {
namespace {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;

struct PoolArgs {
  Shape kernel, stride, padding, dilation;
  bool ceil_mode = false;
  kernels::AvgPoolDivisor divisor;  // average pooling only
};

template <size_t D>
Shape to_shape(const ExpandingArray<D>& a) {
  return Shape(a.values.begin(), a.values.end());
}

template <size_t D>
PoolArgs pool_args(ExpandingArray<D> kernel, const OptionalExpandingArray<D>& stride, ExpandingArray<D> padding,
                   ExpandingArray<D> dilation, bool ceil_mode) {
  return {to_shape(kernel), to_shape(stride.value_or(kernel)), to_shape(padding), to_shape(dilation), ceil_mode, {}};
}

// The input's spatial sizes after checking rank and dtype; leading dims are (N, C) or (C).
Shape check_input(const char* op, size_t dims, const Tensor& input) {
  detail::check_defined(op, input);
  const int64_t d = static_cast<int64_t>(dims);
  NABLA_CHECK(input.ndim() == d + 1 || input.ndim() == d + 2, op, ": expected a ", d + 1, "-D (unbatched) or ", d + 2,
              "-D (batched) input, got shape ", input.shape());
  NABLA_CHECK(is_floating(input.dtype()), op, ": expected a float32 or float64 input, got ", input.dtype(),
              " of shape ", input.shape());
  const Shape in(input.shape().end() - d, input.shape().end());
  for (int64_t size : in)
    NABLA_CHECK(size > 0, op, ": expected non-empty spatial dims, got input shape ", input.shape());
  return in;
}

// PyTorch's pooling_output_shape: floor (or ceil) division, and in ceil mode no window may start
// in the right padding.
int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

// Output spatial sizes of max (dilated) or average pooling, after checking the arguments.
Shape pooled_sizes(const char* op, const Tensor& input, const Shape& in, const PoolArgs& a, bool max) {
  const size_t dims = in.size();
  Shape out(dims), padded(dims), extent(dims);
  for (size_t i = 0; i < dims; ++i) {
    NABLA_CHECK(a.kernel[i] > 0, op, ": kernel_size must be positive, got ", a.kernel);
    NABLA_CHECK(a.stride[i] > 0, op, ": stride must be positive, got ", a.stride);
    NABLA_CHECK(a.dilation[i] > 0, op, ": dilation must be positive, got ", a.dilation);
    NABLA_CHECK(a.padding[i] >= 0 && a.padding[i] <= a.kernel[i] / 2, op,
                ": padding must be at most half the kernel size, got padding ", a.padding, " and kernel_size ",
                a.kernel);
    padded[i] = in[i] + 2 * a.padding[i];
    extent[i] = a.dilation[i] * (a.kernel[i] - 1) + 1;
  }
  for (size_t i = 0; i < dims; ++i) {
    NABLA_CHECK(padded[i] >= extent[i], op, ": kernel of size ", a.kernel, max ? " (dilated " : " (", extent,
                ") is larger than the padded input of size ", padded, "; input shape ", input.shape(), ", padding ",
                a.padding);
    out[i] = pooled_size(in[i], a.kernel[i], a.stride[i], a.padding[i], a.dilation[i], a.ceil_mode);
  }
  if (max) {
    // A dilated window can straddle the input without touching it; PyTorch would then route
    // gradients outside the window, so such geometries are refused.
    for (size_t i = 0; i < dims; ++i)
      for (int64_t o = 0; o < out[i]; ++o) {
        bool touches = false;
        for (int64_t j = 0; j < a.kernel[i] && !touches; ++j) {
          const int64_t pos = o * a.stride[i] - a.padding[i] + j * a.dilation[i];
          touches = pos >= 0 && pos < in[i];
        }
        NABLA_CHECK(touches, op, ": window ", o, " of spatial dim ", i, " covers only padding; input shape ",
                    input.shape(), ", kernel_size ", a.kernel, ", padding ", a.padding, ", dilation ", a.dilation);
      }
  }
  return out;
}

// The kernel geometry: leading dims folded into planes, spatial dims right-aligned into 3.
kernels::PoolShape pool_shape(const Tensor& input, const Shape& in, const Shape& out, const PoolArgs* a) {
  kernels::PoolShape s;
  s.planes = 1;
  for (int64_t d = 0; d < input.ndim() - static_cast<int64_t>(in.size()); ++d) s.planes *= input.size(d);
  const size_t lead = 3 - in.size();
  for (size_t i = 0; i < in.size(); ++i) {
    s.input[lead + i] = in[i];
    s.output[lead + i] = out[i];
    if (!a) continue;
    s.kernel[lead + i] = a->kernel[i];
    s.stride[lead + i] = a->stride[i];
    s.padding[lead + i] = a->padding[i];
    s.dilation[lead + i] = a->dilation[i];
  }
  return s;
}

// input's shape with the spatial dims replaced by `out`.
Shape output_shape(const Tensor& input, const Shape& out) {
  Shape shape(input.shape().begin(), input.shape().end() - static_cast<int64_t>(out.size()));
  shape.insert(shape.end(), out.begin(), out.end());
  return shape;
}

// ---- the ops ----------------------------------------------------------------------------------

std::pair<Tensor, Tensor> max_pool(const char* op, size_t dims, const Tensor& input, const PoolArgs& a) {
  const Shape in = check_input(op, dims, input);
  const Shape out = pooled_sizes(op, input, in, a, true);
  const kernels::PoolShape s = pool_shape(input, in, out, &a);
  const Tensor x = input.detach().contiguous();
  Tensor y = empty(output_shape(input, out), input.dtype());
  Tensor indices = empty(y.shape(), int64);
  kernels::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    kernels::max_pool_forward<T>(s, detail::base<T>(x), detail::base<T>(y), detail::base<int64_t>(indices));
  });
  y = record("MaxPoolBackward", y, {input}, [s, indices, in_shape = input.shape()](const Tensor& g) -> TensorList {
    const Tensor gy = g.contiguous();
    Tensor gx = empty(in_shape, gy.dtype());
    kernels::dispatch_floating(gy.dtype(), "max_pool backward", [&]<typename T>() {
      kernels::max_pool_backward<T>(s, detail::base<T>(gy), detail::base<int64_t>(indices), detail::base<T>(gx));
    });
    return {gx};
  });
  return {y, indices};
}

Tensor avg_pool(const char* op, size_t dims, const Tensor& input, const PoolArgs& a) {
  const Shape in = check_input(op, dims, input);
  const Shape out = pooled_sizes(op, input, in, a, false);
  const kernels::PoolShape s = pool_shape(input, in, out, &a);
  const Tensor x = input.detach().contiguous();
  Tensor y = empty(output_shape(input, out), input.dtype());
  kernels::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    kernels::avg_pool_forward<T>(s, a.divisor, detail::base<T>(x), detail::base<T>(y));
  });
  return record("AvgPoolBackward", y, {input},
                [s, divisor = a.divisor, in_shape = input.shape()](const Tensor& g) -> TensorList {
                  const Tensor gy = g.contiguous();
                  Tensor gx = empty(in_shape, gy.dtype());
                  kernels::dispatch_floating(gy.dtype(), "avg_pool backward", [&]<typename T>() {
                    kernels::avg_pool_backward<T>(s, divisor, detail::base<T>(gy), detail::base<T>(gx));
                  });
                  return {gx};
                });
}

template <size_t D>
Tensor adaptive_avg_pool(const char* op, const Tensor& input, const ExpandingArrayWithOptionalElem<D>& output_size) {
  const Shape in = check_input(op, D, input);
  Shape out(D);
  for (size_t i = 0; i < D; ++i) {
    out[i] = output_size.values[i].value_or(in[i]);
    NABLA_CHECK(out[i] >= 0, op, ": output sizes must be non-negative, got ", out, " for input shape ", input.shape());
  }
  const kernels::PoolShape s = pool_shape(input, in, out, nullptr);
  const Tensor x = input.detach().contiguous();
  Tensor y = empty(output_shape(input, out), input.dtype());
  kernels::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    kernels::adaptive_avg_pool_forward<T>(s, detail::base<T>(x), detail::base<T>(y));
  });
  return record("AdaptiveAvgPoolBackward", y, {input}, [s, in_shape = input.shape()](const Tensor& g) -> TensorList {
    const Tensor gy = g.contiguous();
    Tensor gx = empty(in_shape, gy.dtype());
    kernels::dispatch_floating(gy.dtype(), "adaptive_avg_pool backward", [&]<typename T>() {
      kernels::adaptive_avg_pool_backward<T>(s, detail::base<T>(gy), detail::base<T>(gx));
    });
    return {gx};
  });
}

template <size_t D>
Tensor avg_pool_nd(const char* op, const Tensor& input, ExpandingArray<D> kernel_size,
                   const OptionalExpandingArray<D>& stride, ExpandingArray<D> padding, bool ceil_mode,
                   bool count_include_pad, std::optional<int64_t> divisor_override) {
  PoolArgs a = pool_args<D>(kernel_size, stride, padding, 1, ceil_mode);
  NABLA_CHECK(!divisor_override || *divisor_override > 0, op, ": divisor_override must be positive, got ",
              divisor_override.value_or(0));
  a.divisor = {count_include_pad, divisor_override.value_or(0)};
  return avg_pool(op, D, input, a);
}

}  // namespace

// ---- max pooling ------------------------------------------------------------------------------

std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, ExpandingArray<1> kernel_size,
                                                  OptionalExpandingArray<1> stride, ExpandingArray<1> padding,
                                                  ExpandingArray<1> dilation, bool ceil_mode) {
  return max_pool("max_pool1d", 1, input, pool_args<1>(kernel_size, stride, padding, dilation, ceil_mode));
}

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, ExpandingArray<2> kernel_size,
                                                  OptionalExpandingArray<2> stride, ExpandingArray<2> padding,
                                                  ExpandingArray<2> dilation, bool ceil_mode) {
  return max_pool("max_pool2d", 2, input, pool_args<2>(kernel_size, stride, padding, dilation, ceil_mode));
}

std::pair<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, ExpandingArray<3> kernel_size,
                                                  OptionalExpandingArray<3> stride, ExpandingArray<3> padding,
                                                  ExpandingArray<3> dilation, bool ceil_mode) {
  return max_pool("max_pool3d", 3, input, pool_args<3>(kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor max_pool1d(const Tensor& input, ExpandingArray<1> kernel_size, OptionalExpandingArray<1> stride,
                  ExpandingArray<1> padding, ExpandingArray<1> dilation, bool ceil_mode) {
  return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode).first;
}

Tensor max_pool2d(const Tensor& input, ExpandingArray<2> kernel_size, OptionalExpandingArray<2> stride,
                  ExpandingArray<2> padding, ExpandingArray<2> dilation, bool ceil_mode) {
  return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode).first;
}

Tensor max_pool3d(const Tensor& input, ExpandingArray<3> kernel_size, OptionalExpandingArray<3> stride,
                  ExpandingArray<3> padding, ExpandingArray<3> dilation, bool ceil_mode) {
  return max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode).first;
}

// ---- average pooling --------------------------------------------------------------------------

Tensor avg_pool1d(const Tensor& input, ExpandingArray<1> kernel_size, OptionalExpandingArray<1> stride,
                  ExpandingArray<1> padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  return avg_pool_nd<1>("avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override);
}

Tensor avg_pool2d(const Tensor& input, ExpandingArray<2> kernel_size, OptionalExpandingArray<2> stride,
                  ExpandingArray<2> padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  return avg_pool_nd<2>("avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override);
}

Tensor avg_pool3d(const Tensor& input, ExpandingArray<3> kernel_size, OptionalExpandingArray<3> stride,
                  ExpandingArray<3> padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  return avg_pool_nd<3>("avg_pool3d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override);
}

// ---- adaptive average pooling -----------------------------------------------------------------

Tensor adaptive_avg_pool1d(const Tensor& input, ExpandingArrayWithOptionalElem<1> output_size) {
  return adaptive_avg_pool<1>("adaptive_avg_pool1d", input, output_size);
}

Tensor adaptive_avg_pool2d(const Tensor& input, ExpandingArrayWithOptionalElem<2> output_size) {
  return adaptive_avg_pool<2>("adaptive_avg_pool2d", input, output_size);
}

Tensor adaptive_avg_pool3d(const Tensor& input, ExpandingArrayWithOptionalElem<3> output_size) {
  return adaptive_avg_pool<3>("adaptive_avg_pool3d", input, output_size);
}

}  // namespace nabla::nn::functional
