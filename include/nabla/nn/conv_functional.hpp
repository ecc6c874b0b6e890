// nabla::nn::functional's convolution and pooling ops (torch.nn.functional's conv1d ...
// adaptive_avg_pool3d), and the small size types their arguments use. The layers in
// nn/conv.hpp and nn/pooling.hpp call these.
//
//   namespace F = nabla::nn::functional;
//   Tensor y = F::conv2d(x, w, b, /*stride=*/1, /*padding=*/2);   // x (N, 1, 28, 28), w (6, 1, 5, 5)
//   Tensor z = F::max_pool2d(y.relu(), 2);                        // (N, 6, 14, 14)
//   Tensor s = F::conv1d(x1, w1, {}, 1, "same");                  // output length == input length
//
// A size argument is one number for every spatial dim or one per dim (`3` or `{3, 5}`), as
// PyTorch's int-or-tuple arguments. Inputs are batched (N, C, spatial...) or unbatched
// (C, spatial...); float32 or float64, with weight and bias of the same dtype. Every op is one
// recorded op with a hand-written backward; kernels thread over images or planes and give the
// same bits for any thread count.
#pragma once

#include <nabla/tensor.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nabla::nn {

/// D sizes, given as one number for all (`3`) or one per spatial dim (`{3, 5}`); PyTorch's
/// int-or-tuple arguments (torch::ExpandingArray in its C++ API). `scalar` records which form
/// was used, because PyTorch prints pooling layers' sizes in the form they were given.
template <size_t D>
class ExpandingArray {
public:
  template <std::integral I>
  ExpandingArray(I value) : scalar(true) {
    values.fill(static_cast<int64_t>(value));
  }
  ExpandingArray(std::initializer_list<int64_t> list);
  ExpandingArray(const std::array<int64_t, D>& array) : values(array) {}

  int64_t operator[](size_t i) const { return values[i]; }
  bool operator==(const ExpandingArray& other) const { return values == other.values; }

  std::array<int64_t, D> values{};
  bool scalar = false;
};

/// An optional ExpandingArray: absent (`{}` or std::nullopt) means a default chosen by the op,
/// as PyTorch's stride=None for pooling (the kernel size).
template <size_t D>
class OptionalExpandingArray {
public:
  OptionalExpandingArray() = default;
  OptionalExpandingArray(std::nullopt_t) {}
  template <std::integral I>
  OptionalExpandingArray(I value) : value_(ExpandingArray<D>(value)) {}
  OptionalExpandingArray(std::initializer_list<int64_t> list) : value_(ExpandingArray<D>(list)) {}
  OptionalExpandingArray(const ExpandingArray<D>& value) : value_(value) {}

  bool has_value() const { return value_.has_value(); }
  const ExpandingArray<D>& operator*() const { return *value_; }
  ExpandingArray<D> value_or(const ExpandingArray<D>& fallback) const { return value_.value_or(fallback); }

private:
  std::optional<ExpandingArray<D>> value_;
};

/// How a convolution's padding is given: as sizes, or PyTorch's "valid" or "same".
enum class ConvPaddingMode { Explicit, Valid, Same };

/// A convolution's padding: numbers as ExpandingArray, or "valid" (none) or "same" (output size
/// equals input size; stride 1 only; an odd total puts the extra zero at the end, as PyTorch).
template <size_t D>
class ConvPadding {
public:
  template <std::integral I>
  ConvPadding(I value) : sizes(value) {}
  ConvPadding(std::initializer_list<int64_t> list) : sizes(list) {}
  ConvPadding(const ExpandingArray<D>& value) : sizes(value) {}
  /// "valid" or "same"; anything else is an error naming the string.
  ConvPadding(const char* mode);
  ConvPadding(const std::string& mode) : ConvPadding(mode.c_str()) {}

  ConvPaddingMode mode = ConvPaddingMode::Explicit;
  ExpandingArray<D> sizes = 0;  // for ConvPaddingMode::Explicit
};

/// Adaptive pooling's output size: one number, or one per dim where std::nullopt keeps that dim's
/// input size (PyTorch's None; torch::ExpandingArrayWithOptionalElem).
template <size_t D>
class ExpandingArrayWithOptionalElem {
public:
  template <std::integral I>
  ExpandingArrayWithOptionalElem(I value) : scalar(true) {
    values.fill(static_cast<int64_t>(value));
  }
  ExpandingArrayWithOptionalElem(std::initializer_list<std::optional<int64_t>> list);
  ExpandingArrayWithOptionalElem(const std::array<std::optional<int64_t>, D>& array) : values(array) {}

  std::array<std::optional<int64_t>, D> values{};
  bool scalar = false;
};

// ---- out-of-line members ---------------------------------------------------------------------

template <size_t D>
ExpandingArray<D>::ExpandingArray(std::initializer_list<int64_t> list) {
  NABLA_CHECK(list.size() == D, "expected ", D, D == 1 ? " size" : " sizes", " (one per spatial dim), got ",
              std::vector<int64_t>(list));
  std::copy(list.begin(), list.end(), values.begin());
}

template <size_t D>
ConvPadding<D>::ConvPadding(const char* mode) {
  const std::string m = mode ? mode : "";
  NABLA_CHECK(m == "valid" || m == "same", "padding must be \"valid\", \"same\" or sizes, got \"", m, "\"");
  this->mode = m == "same" ? ConvPaddingMode::Same : ConvPaddingMode::Valid;
}

template <size_t D>
ExpandingArrayWithOptionalElem<D>::ExpandingArrayWithOptionalElem(
    std::initializer_list<std::optional<int64_t>> list) {
  NABLA_CHECK(list.size() == D, "expected ", D, D == 1 ? " output size" : " output sizes",
              " (one per spatial dim), got ", list.size());
  std::copy(list.begin(), list.end(), values.begin());
}

}  // namespace nabla::nn

namespace nabla::nn::functional {

// ---- convolution -----------------------------------------------------------------------------

/// torch.nn.functional.conv1d / conv2d / conv3d. input (N, C_in, spatial...) or unbatched
/// (C_in, spatial...); weight (C_out, C_in / groups, k...); bias (C_out) or undefined. Output
/// size per dim: (in + 2 padding - dilation (k - 1) - 1) / stride + 1 (rounded down).
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(), ExpandingArray<1> stride = 1,
              ConvPadding<1> padding = 0, ExpandingArray<1> dilation = 1, int64_t groups = 1);
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(), ExpandingArray<2> stride = 1,
              ConvPadding<2> padding = 0, ExpandingArray<2> dilation = 1, int64_t groups = 1);
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(), ExpandingArray<3> stride = 1,
              ConvPadding<3> padding = 0, ExpandingArray<3> dilation = 1, int64_t groups = 1);

/// torch.nn.functional.conv_transpose1d / 2d / 3d (note PyTorch's order: groups before
/// dilation). input (N, C_in, spatial...) or unbatched; weight (C_in, C_out / groups, k...);
/// bias (C_out). Output size per dim: (in - 1) stride - 2 padding + dilation (k - 1) +
/// output_padding + 1, with output_padding smaller than stride or dilation. It is the gradient
/// of conv w.r.t. its input.
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        ExpandingArray<1> stride = 1, ExpandingArray<1> padding = 0,
                        ExpandingArray<1> output_padding = 0, int64_t groups = 1, ExpandingArray<1> dilation = 1);
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        ExpandingArray<2> stride = 1, ExpandingArray<2> padding = 0,
                        ExpandingArray<2> output_padding = 0, int64_t groups = 1, ExpandingArray<2> dilation = 1);
Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        ExpandingArray<3> stride = 1, ExpandingArray<3> padding = 0,
                        ExpandingArray<3> output_padding = 0, int64_t groups = 1, ExpandingArray<3> dilation = 1);

// ---- pooling ---------------------------------------------------------------------------------

/// torch.nn.functional.max_pool1d / 2d / 3d. stride defaults to kernel_size; padding (implicit
/// -inf) at most half the dilated kernel; ceil_mode rounds the output size up, but a window may
/// not start in the right padding. On ties the first maximum in the window wins the gradient.
Tensor max_pool1d(const Tensor& input, ExpandingArray<1> kernel_size, OptionalExpandingArray<1> stride = {},
                  ExpandingArray<1> padding = 0, ExpandingArray<1> dilation = 1, bool ceil_mode = false);
Tensor max_pool2d(const Tensor& input, ExpandingArray<2> kernel_size, OptionalExpandingArray<2> stride = {},
                  ExpandingArray<2> padding = 0, ExpandingArray<2> dilation = 1, bool ceil_mode = false);
Tensor max_pool3d(const Tensor& input, ExpandingArray<3> kernel_size, OptionalExpandingArray<3> stride = {},
                  ExpandingArray<3> padding = 0, ExpandingArray<3> dilation = 1, bool ceil_mode = false);
/// The same, also returning the int64 indices of the maxima (flat within each input plane),
/// as PyTorch's return_indices=True.
std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, ExpandingArray<1> kernel_size,
                                                  OptionalExpandingArray<1> stride = {}, ExpandingArray<1> padding = 0,
                                                  ExpandingArray<1> dilation = 1, bool ceil_mode = false);
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, ExpandingArray<2> kernel_size,
                                                  OptionalExpandingArray<2> stride = {}, ExpandingArray<2> padding = 0,
                                                  ExpandingArray<2> dilation = 1, bool ceil_mode = false);
std::pair<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, ExpandingArray<3> kernel_size,
                                                  OptionalExpandingArray<3> stride = {}, ExpandingArray<3> padding = 0,
                                                  ExpandingArray<3> dilation = 1, bool ceil_mode = false);

/// torch.nn.functional.avg_pool1d / 2d / 3d. stride defaults to kernel_size; padding (zeros) at
/// most half the kernel. Each window's sum is divided by divisor_override when given, else by
/// its size counting padding (count_include_pad) or not. (avg_pool1d takes divisor_override too,
/// which PyTorch's does not.)
Tensor avg_pool1d(const Tensor& input, ExpandingArray<1> kernel_size, OptionalExpandingArray<1> stride = {},
                  ExpandingArray<1> padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor avg_pool2d(const Tensor& input, ExpandingArray<2> kernel_size, OptionalExpandingArray<2> stride = {},
                  ExpandingArray<2> padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor avg_pool3d(const Tensor& input, ExpandingArray<3> kernel_size, OptionalExpandingArray<3> stride = {},
                  ExpandingArray<3> padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);

/// torch.nn.functional.adaptive_avg_pool1d / 2d / 3d: output o of a dim with input size n and
/// output size m averages inputs [floor(o n / m), ceil((o + 1) n / m)), so windows overlap when
/// m does not divide n.
Tensor adaptive_avg_pool1d(const Tensor& input, ExpandingArrayWithOptionalElem<1> output_size);
Tensor adaptive_avg_pool2d(const Tensor& input, ExpandingArrayWithOptionalElem<2> output_size);
Tensor adaptive_avg_pool3d(const Tensor& input, ExpandingArrayWithOptionalElem<3> output_size);

}  // namespace nabla::nn::functional
