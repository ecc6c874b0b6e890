// Pooling kernels over raw contiguous buffers for 1, 2 and 3 spatial dims: max pooling (with
// the argmax indices its backward routes gradients through), average pooling and adaptive
// average pooling. Knows nothing of tensors or autograd.
//
// As for convolutions, everything is 3-D: 1-D and 2-D pooling use leading spatial sizes of 1.
// Each (image, channel) plane is independent, so the kernels thread over planes and give
// bit-identical results for any thread count. Window rules follow PyTorch's CPU kernels
// exactly (which positions a window covers, its divisor, which maximum wins a tie).
#pragma once

#include <array>
#include <cstdint>

namespace nabla::kernels {

/// Geometry of a pooling op. Spatial arrays are (D, H, W); unused leading dims hold input =
/// output = kernel = stride = dilation = 1, padding = 0.
struct PoolShape {
  int64_t planes = 1;  // batch * channels
  std::array<int64_t, 3> input{1, 1, 1};
  std::array<int64_t, 3> output{1, 1, 1};
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> padding{0, 0, 0};
  std::array<int64_t, 3> dilation{1, 1, 1};  // max pooling only

  int64_t input_volume() const { return input[0] * input[1] * input[2]; }
  int64_t output_volume() const { return output[0] * output[1] * output[2]; }
};

// Layouts: x and gx are (planes, iD, iH, iW); y, gy and indices are (planes, oD, oH, oW).

/// y = the largest input in each window (padding never wins: it is -inf); indices = its flat
/// position (id * iH + ih) * iW + iw within the plane. The first maximum in window order wins
/// a tie, and a NaN wins over everything (the last NaN), as in PyTorch.
/// 1-D and 2-D windows inside the input (LeNet's 2x2 stride 2) take a row-at-a-time fast path;
/// every other shape the window-by-window reference loop.
template <typename T>
void max_pool_forward(const PoolShape& s, const T* x, T* y, int64_t* indices);
/// The window-by-window loop for every shape: the oracle the fast path is tested against.
template <typename T>
void max_pool_forward_reference(const PoolShape& s, const T* x, T* y, int64_t* indices);
/// gx = 0, then gx[plane][indices] += gy, in output order.
template <typename T>
void max_pool_backward(const PoolShape& s, const T* gy, const int64_t* indices, T* gx);

/// How average pooling divides a window's sum: by `divisor_override` when positive, else by
/// the window's size including padding (count_include_pad) or only the input positions in it.
/// A window is clipped to input + padding on each side before its size is taken.
struct AvgPoolDivisor {
  bool count_include_pad = true;
  int64_t divisor_override = 0;  // 0: none
};

/// y = mean of each window, by `divisor`; 0 for a window holding no input position.
template <typename T>
void avg_pool_forward(const PoolShape& s, AvgPoolDivisor divisor, const T* x, T* y);
/// gx = each gy / divisor spread over its window's input positions.
template <typename T>
void avg_pool_backward(const PoolShape& s, AvgPoolDivisor divisor, const T* gy, T* gx);

/// Adaptive average pooling (only planes, input and output of `s` are used): output o along a
/// dim of input size n and output size m averages inputs [floor(o n / m), ceil((o + 1) n / m)).
template <typename T>
void adaptive_avg_pool_forward(const PoolShape& s, const T* x, T* y);
template <typename T>
void adaptive_avg_pool_backward(const PoolShape& s, const T* gy, T* gx);

}  // namespace nabla::kernels
