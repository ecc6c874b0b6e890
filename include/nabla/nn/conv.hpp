// Convolution layers with PyTorch's parameter layouts, names, default initialisation and
// printed form, so state dicts move between nabla and PyTorch unchanged:
//
//   nn::Conv2d conv1(nn::Conv2dOptions{.in_channels = 1, .out_channels = 6, .kernel_size = 5, .padding = 2});
//   nn::Conv2d conv2(6, 16, 5);                      // positional, as torch.nn.Conv2d(6, 16, 5)
//   nn::Conv1d depthwise(8, 8, 3, 1, "same", 1, 8);  // groups = in_channels
//   nn::ConvTranspose2d up(nn::ConvTranspose2dOptions{.in_channels = 16, .out_channels = 6,
//                                                     .kernel_size = 2, .stride = 2});
//
// Conv1d/2d/3d and ConvTranspose1d/2d/3d are ConvNd<D> and ConvTransposeNd<D> for D = 1, 2, 3.
// Only padding_mode "zeros" is supported.
#pragma once

#include <nabla/nn/conv_functional.hpp>
#include <nabla/nn/module.hpp>

#include <string>

namespace nabla::nn {

/// torch.nn.ConvNd's arguments, in its order (designated initialisers must follow it).
template <size_t D>
struct ConvOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  ExpandingArray<D> kernel_size = 0;  // required (positive)
  ExpandingArray<D> stride = 1;
  ConvPadding<D> padding = 0;         // sizes, "valid" or "same" (stride 1 only)
  ExpandingArray<D> dilation = 1;
  int64_t groups = 1;                 // divides in_channels and out_channels
  bool bias = true;
  std::string padding_mode = "zeros";
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;
using Conv3dOptions = ConvOptions<3>;

/// torch.nn.Conv1d / Conv2d / Conv3d. weight is (out_channels, in_channels / groups, k...),
/// bias (out_channels); input (N, in_channels, spatial...) or unbatched (in_channels, spatial...).
///
/// Default initialisation (PyTorch's reset_parameters): weight by kaiming_uniform_(a = sqrt(5)),
/// i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups * prod(k), and bias
/// from the same bound; draws from `generator` or the default generator.
template <size_t D>
class ConvNd : public Module {
public:
  explicit ConvNd(const ConvOptions<D>& options, Generator* generator = nullptr);
  ConvNd(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size, ExpandingArray<D> stride = 1,
         ConvPadding<D> padding = 0, ExpandingArray<D> dilation = 1, int64_t groups = 1, bool bias = true,
         Generator* generator = nullptr);

  Tensor forward(const Tensor& input) override;
  /// Redraws weight and bias as described above.
  void reset_parameters(Generator* generator = nullptr);

  /// "Conv2d"
  std::string type_name() const override;
  /// "1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)", PyTorch's text exactly.
  std::string extra_repr() const override;

  ConvOptions<D> options;
  Tensor weight;  // (out_channels, in_channels / groups, k...)
  Tensor bias;    // (out_channels), undefined without bias
};
using Conv1d = ConvNd<1>;
using Conv2d = ConvNd<2>;
using Conv3d = ConvNd<3>;

/// torch.nn.ConvTransposeNd's arguments, in its order (note: groups and bias before dilation).
template <size_t D>
struct ConvTransposeOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  ExpandingArray<D> kernel_size = 0;  // required (positive)
  ExpandingArray<D> stride = 1;
  ExpandingArray<D> padding = 0;
  ExpandingArray<D> output_padding = 0;  // smaller than stride or dilation
  int64_t groups = 1;
  bool bias = true;
  ExpandingArray<D> dilation = 1;
  std::string padding_mode = "zeros";
};
using ConvTranspose1dOptions = ConvTransposeOptions<1>;
using ConvTranspose2dOptions = ConvTransposeOptions<2>;
using ConvTranspose3dOptions = ConvTransposeOptions<3>;

/// torch.nn.ConvTranspose1d / 2d / 3d, the gradient of a convolution w.r.t. its input. weight is
/// (in_channels, out_channels / groups, k...), bias (out_channels). Output size per dim:
/// (in - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1.
///
/// Default initialisation as PyTorch: kaiming_uniform_(a = sqrt(5)) on this weight layout, whose
/// fan_in is out_channels / groups * prod(k); bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
template <size_t D>
class ConvTransposeNd : public Module {
public:
  explicit ConvTransposeNd(const ConvTransposeOptions<D>& options, Generator* generator = nullptr);
  ConvTransposeNd(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size,
                  ExpandingArray<D> stride = 1, ExpandingArray<D> padding = 0, ExpandingArray<D> output_padding = 0,
                  int64_t groups = 1, bool bias = true, ExpandingArray<D> dilation = 1, Generator* generator = nullptr);

  Tensor forward(const Tensor& input) override;
  void reset_parameters(Generator* generator = nullptr);

  /// "ConvTranspose2d"
  std::string type_name() const override;
  /// "16, 6, kernel_size=(2, 2), stride=(2, 2)", PyTorch's text exactly.
  std::string extra_repr() const override;

  ConvTransposeOptions<D> options;
  Tensor weight;  // (in_channels, out_channels / groups, k...)
  Tensor bias;    // (out_channels), undefined without bias
};
using ConvTranspose1d = ConvTransposeNd<1>;
using ConvTranspose2d = ConvTransposeNd<2>;
using ConvTranspose3d = ConvTransposeNd<3>;

}  // namespace nabla::nn
