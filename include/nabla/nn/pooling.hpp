// Pooling layers with PyTorch's options, defaults and printed form:
//
//   nn::MaxPool2d pool(2);                                     // MaxPool2d(kernel_size=2, stride=2, ...)
//   nn::MaxPool2d overlap(nn::MaxPool2dOptions{.kernel_size = 3, .stride = 2, .padding = 1});
//   nn::AvgPool2d avg({2, 3}, {1, 2}, 1, /*ceil_mode=*/true, /*count_include_pad=*/false);
//   nn::AdaptiveAvgPool2d gap(1);                              // global average pooling
//
// MaxPool1d/2d/3d, AvgPool1d/2d/3d and AdaptiveAvgPool1d/2d/3d are MaxPoolNd<D>, AvgPoolNd<D>
// and AdaptiveAvgPoolNd<D> for D = 1, 2, 3. They hold no parameters. Sizes print in the form
// they were given (`2` or `(2, 2)`), as PyTorch prints them.
#pragma once

#include <nabla/nn/conv_functional.hpp>
#include <nabla/nn/module.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

namespace nabla::nn {

/// torch.nn.MaxPoolNd's arguments, in its order. stride defaults to kernel_size.
template <size_t D>
struct MaxPoolOptions {
  ExpandingArray<D> kernel_size = 0;      // required (positive)
  OptionalExpandingArray<D> stride = {};  // absent: kernel_size
  ExpandingArray<D> padding = 0;          // at most half the kernel size
  ExpandingArray<D> dilation = 1;
  bool ceil_mode = false;
};
using MaxPool1dOptions = MaxPoolOptions<1>;
using MaxPool2dOptions = MaxPoolOptions<2>;
using MaxPool3dOptions = MaxPoolOptions<3>;

/// torch.nn.MaxPool1d / 2d / 3d: the largest value of each window; input (N, C, spatial...) or
/// (C, spatial...). The gradient goes to the first maximum of each window.
template <size_t D>
class MaxPoolNd : public Module {
public:
  explicit MaxPoolNd(const MaxPoolOptions<D>& options);
  MaxPoolNd(ExpandingArray<D> kernel_size, OptionalExpandingArray<D> stride = {}, ExpandingArray<D> padding = 0,
            ExpandingArray<D> dilation = 1, bool ceil_mode = false);
  /// The same, so that MaxPool2d({2, 2}) is not mistaken for the options struct.
  MaxPoolNd(std::initializer_list<int64_t> kernel_size, OptionalExpandingArray<D> stride = {},
            ExpandingArray<D> padding = 0, ExpandingArray<D> dilation = 1, bool ceil_mode = false);

  Tensor forward(const Tensor& input) override;
  /// The output and the int64 indices of the maxima (PyTorch's return_indices=True).
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& input);

  std::string type_name() const override;
  /// "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"
  std::string extra_repr() const override;

  MaxPoolOptions<D> options;
};
using MaxPool1d = MaxPoolNd<1>;
using MaxPool2d = MaxPoolNd<2>;
using MaxPool3d = MaxPoolNd<3>;

/// torch.nn.AvgPoolNd's arguments, in its order. stride defaults to kernel_size.
template <size_t D>
struct AvgPoolOptions {
  ExpandingArray<D> kernel_size = 0;      // required (positive)
  OptionalExpandingArray<D> stride = {};  // absent: kernel_size
  ExpandingArray<D> padding = 0;          // at most half the kernel size
  bool ceil_mode = false;
  bool count_include_pad = true;
  std::optional<int64_t> divisor_override = {};  // divides every window's sum when given
};
using AvgPool1dOptions = AvgPoolOptions<1>;
using AvgPool2dOptions = AvgPoolOptions<2>;
using AvgPool3dOptions = AvgPoolOptions<3>;

/// torch.nn.AvgPool1d / 2d / 3d: the mean of each window (see functional::avg_pool2d for the
/// divisor rules).
template <size_t D>
class AvgPoolNd : public Module {
public:
  explicit AvgPoolNd(const AvgPoolOptions<D>& options);
  AvgPoolNd(ExpandingArray<D> kernel_size, OptionalExpandingArray<D> stride = {}, ExpandingArray<D> padding = 0,
            bool ceil_mode = false, bool count_include_pad = true,
            std::optional<int64_t> divisor_override = std::nullopt);
  /// The same, so that AvgPool2d({2, 2}) is not mistaken for the options struct.
  AvgPoolNd(std::initializer_list<int64_t> kernel_size, OptionalExpandingArray<D> stride = {},
            ExpandingArray<D> padding = 0, bool ceil_mode = false, bool count_include_pad = true,
            std::optional<int64_t> divisor_override = std::nullopt);

  Tensor forward(const Tensor& input) override;

  std::string type_name() const override;
  /// "kernel_size=2, stride=2, padding=0" (AvgPool1d always prints tuples, as PyTorch's does).
  std::string extra_repr() const override;

  AvgPoolOptions<D> options;
};
using AvgPool1d = AvgPoolNd<1>;
using AvgPool2d = AvgPoolNd<2>;
using AvgPool3d = AvgPoolNd<3>;

/// torch.nn.AdaptiveAvgPool1d / 2d / 3d: averages over windows chosen so that the output has
/// `output_size` (std::nullopt entries keep the input's size).
template <size_t D>
class AdaptiveAvgPoolNd : public Module {
public:
  explicit AdaptiveAvgPoolNd(ExpandingArrayWithOptionalElem<D> output_size);

  Tensor forward(const Tensor& input) override;

  std::string type_name() const override;
  /// "output_size=7", "output_size=(None, 7)"
  std::string extra_repr() const override;

  ExpandingArrayWithOptionalElem<D> output_size;
};
using AdaptiveAvgPool1d = AdaptiveAvgPoolNd<1>;
using AdaptiveAvgPool2d = AdaptiveAvgPoolNd<2>;
using AdaptiveAvgPool3d = AdaptiveAvgPoolNd<3>;

}  // namespace nabla::nn
