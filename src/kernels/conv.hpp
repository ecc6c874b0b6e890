// Convolution kernels over raw contiguous buffers, for 1, 2 and 3 spatial dims: forward,
// backward w.r.t. input and weight, and the bias helpers. Knows nothing of tensors or autograd.
//
// Every kernel works in 3-D: a 1-D or 2-D convolution is the 3-D one with leading spatial
// sizes of 1 (input and kernel 1, stride 1, padding 0, dilation 1), so one code path serves all.
// Output element o along a spatial dim reads input element o * stride - padding + k * dilation
// for kernel tap k; taps that fall outside the input read zero. The output sizes are given
// explicitly rather than derived, so asymmetric ("same") padding and transposed convolutions
// with output_padding are the same kernels.
//
// Each op has a plain REFERENCE loop (the oracle the tests check against) and a FAST path:
// 3-D convolutions vol2col (im2col in 3-D) + GEMM; 1-D and 2-D ones split each image into the
// phase planes of its padded image (one per stride remainder; conv.cpp explains) and either copy
// contiguous column rows out of them + one GEMM, or, with 8 or more input channels per group,
// run one GEMM per kernel tap straight on the planes. The fast paths give bit-identical results
// for any thread count: images are independent work items, and the weight gradient is summed
// over fixed blocks of images (fixed by the shape alone) combined in block order.
#pragma once

#include <array>
#include <cstdint>

namespace nabla::kernels {

/// Geometry of a (grouped) convolution. Spatial arrays are (D, H, W); unused leading dims of a
/// 1-D or 2-D convolution hold input = output = kernel = stride = dilation = 1, padding = 0.
struct ConvShape {
  int64_t batch = 1;
  int64_t in_channels = 1;   // divisible by groups
  int64_t out_channels = 1;  // divisible by groups
  int64_t groups = 1;
  std::array<int64_t, 3> input{1, 1, 1};
  std::array<int64_t, 3> output{1, 1, 1};
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> padding{0, 0, 0};  // zeros before the first input element
  std::array<int64_t, 3> dilation{1, 1, 1};

  int64_t input_volume() const { return input[0] * input[1] * input[2]; }
  int64_t output_volume() const { return output[0] * output[1] * output[2]; }
  int64_t kernel_volume() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// Layouts (all contiguous, row-major):
//   x  is (batch, in_channels, iD, iH, iW)
//   w  is (out_channels, in_channels / groups, kD, kH, kW)
//   b  is (out_channels), or null for no bias
//   y  is (batch, out_channels, oD, oH, oW)
// gx, gw, gy have the shapes of x, w, y. Kernels overwrite their outputs (no accumulation).

// ---- reference loops: every (output, tap, input) triple visited directly ---------------------

template <typename T>
void conv_forward_reference(const ConvShape& s, const T* x, const T* w, const T* b, T* y);
template <typename T>
void conv_backward_input_reference(const ConvShape& s, const T* gy, const T* w, T* gx);
template <typename T>
void conv_backward_weight_reference(const ConvShape& s, const T* x, const T* gy, T* gw);

// ---- fast paths: columns or tap GEMMs ------------------------------------------------------------

/// y = conv(x, w) + b. Threads over images; one column buffer per thread chunk.
template <typename T>
void conv_forward(const ConvShape& s, const T* x, const T* w, const T* b, T* y);
/// gx = d(sum gy * y) / dx: per image, columns = w^T gy, then col2vol. (The forward of a
/// transposed convolution.)
template <typename T>
void conv_backward_input(const ConvShape& s, const T* gy, const T* w, T* gx);
/// gw = sum over images of gy_n (vol2col x_n)^T, summed over fixed blocks of images.
template <typename T>
void conv_backward_weight(const ConvShape& s, const T* x, const T* gy, T* gw);

// ---- bias ----------------------------------------------------------------------------------

/// y (batch, channels, volume) += b (channels), broadcast over batch and volume.
template <typename T>
void add_channel_bias(int64_t batch, int64_t channels, int64_t volume, const T* b, T* y);
/// gb (channels) = sum of gy (batch, channels, volume) over batch and volume, in an order fixed
/// by the shape (kernels::sum).
template <typename T>
void channel_sums(int64_t batch, int64_t channels, int64_t volume, const T* gy, T* gb);

}  // namespace nabla::kernels
