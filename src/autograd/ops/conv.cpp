// Convolution ops of nn::functional: conv1d/2d/3d and conv_transpose1d/2d/3d, each one recorded
// op whose forward and backward run the kernels of kernels/conv (vol2col + GEMM). Shape rules
// and argument checks live here too. A transposed convolution is the gradient of a convolution
// w.r.t. its input, so both are written in terms of one "equivalent convolution" geometry:
//
//                   forward                 grad input              grad weight
//   conv            conv_forward(x)         conv_backward_input(gy) conv_backward_weight(x, gy)
//   conv_transpose  conv_backward_input(x)  conv_forward(gy)        conv_backward_weight(gy, x)
#include <nabla/nn/conv_functional.hpp>

#include "autograd/record.hpp"
#include "kernels/conv.hpp"
#include "kernels/dispatch.hpp"
#include "tensor/internal.hpp"

namespace nabla::nn::functional {
namespace {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;

// Per-dim arguments of one call (`dims` entries each), as the user gave them.
struct ConvArgs {
  Shape stride, padding, dilation, output_padding;
  ConvPaddingMode mode = ConvPaddingMode::Explicit;
  int64_t groups = 1;
};

template <size_t D>
Shape to_shape(const ExpandingArray<D>& a) {
  return Shape(a.values.begin(), a.values.end());
}

// `t` detached and contiguous (a copy only when it is not contiguous already).
Tensor contiguous_data(const Tensor& t) { return t.defined() ? t.detach().contiguous() : Tensor(); }

template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? detail::base<T>(t) : nullptr;
}

void check_operands(const char* op, size_t dims, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  detail::check_defined(op, input);
  detail::check_defined(op, weight);
  const int64_t d = static_cast<int64_t>(dims);
  NABLA_CHECK(input.ndim() == d + 1 || input.ndim() == d + 2, op, ": expected a ", d + 1, "-D (unbatched) or ", d + 2,
              "-D (batched) input, got shape ", input.shape());
  NABLA_CHECK(weight.ndim() == d + 2, op, ": expected a ", d + 2, "-D weight, got shape ", weight.shape());
  NABLA_CHECK(is_floating(input.dtype()), op, ": expected a float32 or float64 input, got ", input.dtype(),
              " of shape ", input.shape());
  detail::check_same_dtype(op, input, weight);
  if (bias.defined()) detail::check_same_dtype(op, input, bias);
}

void check_args(const char* op, const ConvArgs& a) {
  for (size_t i = 0; i < a.stride.size(); ++i) {
    NABLA_CHECK(a.stride[i] > 0, op, ": stride must be positive, got ", a.stride);
    NABLA_CHECK(a.dilation[i] > 0, op, ": dilation must be positive, got ", a.dilation);
    NABLA_CHECK(a.padding[i] >= 0, op, ": padding must be non-negative, got ", a.padding);
  }
  NABLA_CHECK(a.groups > 0, op, ": groups must be positive, got ", a.groups);
}

// The geometry of a batched call; spatial vectors hold `dims` entries, right-aligned into 3.
kernels::ConvShape make_shape(int64_t batch, int64_t in_channels, int64_t out_channels, int64_t groups,
                              const Shape& input, const Shape& output, const Shape& kernel, const ConvArgs& a,
                              const Shape& pad_before) {
  kernels::ConvShape s;
  s.batch = batch;
  s.in_channels = in_channels;
  s.out_channels = out_channels;
  s.groups = groups;
  const size_t lead = 3 - input.size();
  for (size_t i = 0; i < input.size(); ++i) {
    s.input[lead + i] = input[i];
    s.output[lead + i] = output[i];
    s.kernel[lead + i] = kernel[i];
    s.stride[lead + i] = a.stride[i];
    s.padding[lead + i] = pad_before[i];
    s.dilation[lead + i] = a.dilation[i];
  }
  return s;
}

Shape spatial(const Shape& shape) { return Shape(shape.begin() + 2, shape.end()); }

Shape with_spatial(int64_t n, int64_t c, const Shape& sizes) {
  Shape out{n, c};
  out.insert(out.end(), sizes.begin(), sizes.end());
  return out;
}

// Runs `batched_op` on input (N, C, ...) as is, or on (C, ...) with a batch of one added and
// removed again, as PyTorch accepts unbatched inputs.
template <typename F>
Tensor with_batch(size_t dims, const Tensor& input, F&& batched_op) {
  if (input.ndim() == static_cast<int64_t>(dims) + 2) return batched_op(input);
  return batched_op(input.unsqueeze(0)).squeeze(0);
}

// ---- convolution ------------------------------------------------------------------------------

Tensor conv_batched(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvArgs& a) {
  const int64_t in_channels = x.size(1), out_channels = weight.size(0);
  NABLA_CHECK(in_channels % a.groups == 0 && out_channels % a.groups == 0, op, ": input channels (", in_channels,
              ") and output channels (", out_channels, ") must both be divisible by groups (", a.groups,
              "); input shape ", x.shape(), ", weight shape ", weight.shape());
  NABLA_CHECK(weight.size(1) * a.groups == in_channels, op, ": weight of shape ", weight.shape(), " with groups=",
              a.groups, " expects ", weight.size(1) * a.groups, " input channels, but the input of shape ", x.shape(),
              " has ", in_channels);
  NABLA_CHECK(!bias.defined() || bias.shape() == Shape{out_channels}, op, ": bias of shape ", bias.shape(),
              " does not match weight of shape ", weight.shape(), " (expected [", out_channels, "])");
  const Shape in = spatial(x.shape()), kernel = spatial(weight.shape());
  const size_t dims = in.size();
  Shape out(dims), pad_before(dims), padded(dims), extent(dims);
  for (size_t i = 0; i < dims; ++i) {
    NABLA_CHECK(a.mode != ConvPaddingMode::Same || a.stride[i] == 1, op,
                ": padding=\"same\" needs stride 1, got stride ", a.stride);
    extent[i] = a.dilation[i] * (kernel[i] - 1) + 1;
    if (a.mode == ConvPaddingMode::Same) {
      pad_before[i] = (extent[i] - 1) / 2;  // the odd zero goes after the input
      padded[i] = in[i] + extent[i] - 1;
      out[i] = in[i];
    } else {
      pad_before[i] = a.mode == ConvPaddingMode::Valid ? 0 : a.padding[i];
      padded[i] = in[i] + 2 * pad_before[i];
      out[i] = padded[i] >= extent[i] ? (padded[i] - extent[i]) / a.stride[i] + 1 : 0;
    }
  }
  for (size_t i = 0; i < dims; ++i)
    NABLA_CHECK(padded[i] >= extent[i], op, ": kernel of size ", kernel, " (", extent, " with dilation ", a.dilation,
                ") is larger than the padded input of size ", padded, "; input shape ", x.shape(), ", weight shape ",
                weight.shape(), ", padding ", pad_before);
  const kernels::ConvShape s =
      make_shape(x.size(0), in_channels, out_channels, a.groups, in, out, kernel, a, pad_before);

  const Tensor xc = contiguous_data(x), wc = contiguous_data(weight), bc = contiguous_data(bias);
  Tensor y = empty(with_spatial(x.size(0), out_channels, out), x.dtype());
  kernels::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    kernels::conv_forward<T>(s, detail::base<T>(xc), detail::base<T>(wc), data_or_null<T>(bc), detail::base<T>(y));
  });
  if (!autograd::needs_grad({x, weight, bias})) return y;
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  return record("ConvolutionBackward", y, {x, weight, bias},
                [s, need_b, saved_x = need_w ? SavedTensor(xc) : SavedTensor(),
                 saved_w = need_x ? SavedTensor(wc) : SavedTensor(), x_shape = x.shape(),
                 w_shape = weight.shape()](const Tensor& g) -> TensorList {
                  const Tensor gy = g.contiguous();
                  Tensor gx, gw, gb;
                  kernels::dispatch_floating(gy.dtype(), "conv backward", [&]<typename T>() {
                    const T* pg = detail::base<T>(gy);
                    if (saved_w.defined()) {
                      gx = empty(x_shape, gy.dtype());
                      kernels::conv_backward_input<T>(s, pg, detail::base<T>(saved_w.get()), detail::base<T>(gx));
                    }
                    if (saved_x.defined()) {
                      gw = empty(w_shape, gy.dtype());
                      kernels::conv_backward_weight<T>(s, detail::base<T>(saved_x.get()), pg, detail::base<T>(gw));
                    }
                    if (need_b) {
                      gb = empty({s.out_channels}, gy.dtype());
                      kernels::channel_sums<T>(s.batch, s.out_channels, s.output_volume(), pg, detail::base<T>(gb));
                    }
                  });
                  return {gx, gw, gb};
                });
}

Tensor conv(const char* op, size_t dims, const Tensor& input, const Tensor& weight, const Tensor& bias,
            const ConvArgs& a) {
  check_operands(op, dims, input, weight, bias);
  check_args(op, a);
  return with_batch(dims, input, [&](const Tensor& x) { return conv_batched(op, x, weight, bias, a); });
}

template <size_t D>
Tensor conv_nd(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias, ExpandingArray<D> stride,
               ConvPadding<D> padding, ExpandingArray<D> dilation, int64_t groups) {
  ConvArgs a;
  a.stride = to_shape(stride);
  a.padding = to_shape(padding.sizes);
  a.dilation = to_shape(dilation);
  a.mode = padding.mode;
  a.groups = groups;
  return conv(op, D, input, weight, bias, a);
}

// ---- transposed convolution -------------------------------------------------------------------

Tensor conv_transpose_batched(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                              const ConvArgs& a) {
  const int64_t in_channels = x.size(1);
  NABLA_CHECK(weight.size(0) == in_channels, op, ": weight of shape ", weight.shape(), " expects ", weight.size(0),
              " input channels, but the input of shape ", x.shape(), " has ", in_channels);
  NABLA_CHECK(in_channels % a.groups == 0, op, ": input channels (", in_channels, ") must be divisible by groups (",
              a.groups, "); input shape ", x.shape(), ", weight shape ", weight.shape());
  const int64_t out_channels = weight.size(1) * a.groups;
  NABLA_CHECK(!bias.defined() || bias.shape() == Shape{out_channels}, op, ": bias of shape ", bias.shape(),
              " does not match weight of shape ", weight.shape(), " with groups=", a.groups, " (expected [",
              out_channels, "])");
  const Shape in = spatial(x.shape()), kernel = spatial(weight.shape());
  const size_t dims = in.size();
  Shape out(dims);
  for (size_t i = 0; i < dims; ++i) {
    NABLA_CHECK(a.output_padding[i] >= 0 && (a.output_padding[i] < a.stride[i] || a.output_padding[i] < a.dilation[i]),
                op, ": output_padding ", a.output_padding, " must be non-negative and smaller than either stride ",
                a.stride, " or dilation ", a.dilation);
    out[i] = (in[i] - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (kernel[i] - 1) + a.output_padding[i] + 1;
  }
  for (size_t i = 0; i < dims; ++i)
    NABLA_CHECK(out[i] > 0, op, ": output size ", out, " is not positive; input shape ", x.shape(), ", weight shape ",
                weight.shape(), ", stride ", a.stride, ", padding ", a.padding, ", dilation ", a.dilation);
  // The convolution whose input gradient this is: its input is our output and vice versa.
  const kernels::ConvShape s =
      make_shape(x.size(0), out_channels, in_channels, a.groups, out, in, kernel, a, a.padding);

  const Tensor xc = contiguous_data(x), wc = contiguous_data(weight), bc = contiguous_data(bias);
  Tensor y = empty(with_spatial(x.size(0), out_channels, out), x.dtype());
  kernels::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    kernels::conv_backward_input<T>(s, detail::base<T>(xc), detail::base<T>(wc), detail::base<T>(y));
    if (bc.defined()) kernels::add_channel_bias<T>(s.batch, out_channels, s.input_volume(), detail::base<T>(bc),
                                                   detail::base<T>(y));
  });
  if (!autograd::needs_grad({x, weight, bias})) return y;
  const bool need_b = bias.defined() && bias.requires_grad();
  return record("ConvolutionTransposeBackward", y, {x, weight, bias},
                [s, need_b, saved_x = weight.requires_grad() ? SavedTensor(xc) : SavedTensor(),
                 saved_w = x.requires_grad() ? SavedTensor(wc) : SavedTensor(), x_shape = x.shape(),
                 w_shape = weight.shape()](const Tensor& g) -> TensorList {
                  const Tensor gy = g.contiguous();
                  Tensor gx, gw, gb;
                  kernels::dispatch_floating(gy.dtype(), "conv_transpose backward", [&]<typename T>() {
                    const T* pg = detail::base<T>(gy);
                    if (saved_w.defined()) {
                      gx = empty(x_shape, gy.dtype());
                      kernels::conv_forward<T>(s, pg, detail::base<T>(saved_w.get()), nullptr, detail::base<T>(gx));
                    }
                    if (saved_x.defined()) {
                      gw = empty(w_shape, gy.dtype());
                      kernels::conv_backward_weight<T>(s, pg, detail::base<T>(saved_x.get()), detail::base<T>(gw));
                    }
                    if (need_b) {
                      gb = empty({s.in_channels}, gy.dtype());
                      kernels::channel_sums<T>(s.batch, s.in_channels, s.input_volume(), pg, detail::base<T>(gb));
                    }
                  });
                  return {gx, gw, gb};
                });
}

template <size_t D>
Tensor conv_transpose_nd(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                         ExpandingArray<D> stride, ExpandingArray<D> padding, ExpandingArray<D> output_padding,
                         int64_t groups, ExpandingArray<D> dilation) {
  ConvArgs a;
  a.stride = to_shape(stride);
  a.padding = to_shape(padding);
  a.dilation = to_shape(dilation);
  a.output_padding = to_shape(output_padding);
  a.groups = groups;
  check_operands(op, D, input, weight, bias);
  check_args(op, a);
  return with_batch(D, input, [&](const Tensor& x) { return conv_transpose_batched(op, x, weight, bias, a); });
}

}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, ExpandingArray<1> stride,
              ConvPadding<1> padding, ExpandingArray<1> dilation, int64_t groups) {
  return conv_nd<1>("conv1d", input, weight, bias, stride, padding, dilation, groups);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, ExpandingArray<2> stride,
              ConvPadding<2> padding, ExpandingArray<2> dilation, int64_t groups) {
  return conv_nd<2>("conv2d", input, weight, bias, stride, padding, dilation, groups);
}

Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, ExpandingArray<3> stride,
              ConvPadding<3> padding, ExpandingArray<3> dilation, int64_t groups) {
  return conv_nd<3>("conv3d", input, weight, bias, stride, padding, dilation, groups);
}

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias, ExpandingArray<1> stride,
                        ExpandingArray<1> padding, ExpandingArray<1> output_padding, int64_t groups,
                        ExpandingArray<1> dilation) {
  return conv_transpose_nd<1>("conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups,
                              dilation);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, ExpandingArray<2> stride,
                        ExpandingArray<2> padding, ExpandingArray<2> output_padding, int64_t groups,
                        ExpandingArray<2> dilation) {
  return conv_transpose_nd<2>("conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups,
                              dilation);
}

Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias, ExpandingArray<3> stride,
                        ExpandingArray<3> padding, ExpandingArray<3> output_padding, int64_t groups,
                        ExpandingArray<3> dilation) {
  return conv_transpose_nd<3>("conv_transpose3d", input, weight, bias, stride, padding, output_padding, groups,
                              dilation);
}

}  // namespace nabla::nn::functional
