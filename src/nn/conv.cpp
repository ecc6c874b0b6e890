// Conv1d/2d/3d and ConvTranspose1d/2d/3d: options checked at construction (the bad value in
// the message), parameters registered as "weight" and "bias", PyTorch's initialisation and
// printed form, forward through nn::functional.
#include <nabla/nn/conv.hpp>
#include <nabla/nn/init.hpp>

#include <cmath>

namespace nabla::nn {
namespace {

namespace F = functional;

template <size_t D>
std::string tuple(const ExpandingArray<D>& a) {
  std::string s = "(";
  for (size_t i = 0; i < D; ++i) s += (i ? ", " : "") + std::to_string(a[i]);
  return s + (D == 1 ? ",)" : ")");
}

template <size_t D>
bool all_equal(const ExpandingArray<D>& a, int64_t v) {
  for (size_t i = 0; i < D; ++i)
    if (a[i] != v) return false;
  return true;
}

template <size_t D>
Shape weight_shape(int64_t first, int64_t second, const ExpandingArray<D>& kernel) {
  Shape shape{first, second};
  shape.insert(shape.end(), kernel.values.begin(), kernel.values.end());
  return shape;
}

// Checks shared by both layer kinds; `type` names the layer in messages.
template <size_t D>
void check_common(const std::string& type, int64_t in, int64_t out, const ExpandingArray<D>& kernel,
                  const ExpandingArray<D>& stride, const ExpandingArray<D>& dilation, int64_t groups,
                  const std::string& padding_mode) {
  NABLA_CHECK(in >= 0 && out >= 0, type, ": in_channels and out_channels must be non-negative, got (", in, ", ", out,
              ")");
  NABLA_CHECK(groups > 0, type, ": groups must be positive, got ", groups);
  NABLA_CHECK(in % groups == 0, type, ": in_channels (", in, ") must be divisible by groups (", groups, ")");
  NABLA_CHECK(out % groups == 0, type, ": out_channels (", out, ") must be divisible by groups (", groups, ")");
  for (size_t i = 0; i < D; ++i) {
    NABLA_CHECK(kernel[i] > 0, type, ": kernel_size must be positive, got ", tuple(kernel));
    NABLA_CHECK(stride[i] > 0, type, ": stride must be positive, got ", tuple(stride));
    NABLA_CHECK(dilation[i] > 0, type, ": dilation must be positive, got ", tuple(dilation));
  }
  NABLA_CHECK(padding_mode == "zeros", type, ": padding_mode '", padding_mode,
              "' is not supported (only 'zeros'; pad the input yourself for reflect/replicate/circular)");
}

// PyTorch's _ConvNd.reset_parameters.
void init_conv(Tensor& weight, Tensor& bias, Generator* generator) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::FanIn, "leaky_relu", generator);
  if (!bias.defined()) return;
  const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).fan_in;
  if (fan_in == 0) return;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  init::uniform_(bias, -bound, bound, generator);
}

}  // namespace

// ---- ConvNd -----------------------------------------------------------------------------------

template <size_t D>
ConvNd<D>::ConvNd(const ConvOptions<D>& options, Generator* generator) : options(options) {
  const ConvOptions<D>& o = options;
  check_common<D>(type_name(), o.in_channels, o.out_channels, o.kernel_size, o.stride, o.dilation, o.groups,
                  o.padding_mode);
  if (o.padding.mode == ConvPaddingMode::Same)
    NABLA_CHECK(all_equal(o.stride, 1), type_name(), ": padding=\"same\" needs stride 1, got stride ",
                tuple(o.stride));
  if (o.padding.mode == ConvPaddingMode::Explicit)
    for (size_t i = 0; i < D; ++i)
      NABLA_CHECK(o.padding.sizes[i] >= 0, type_name(), ": padding must be non-negative, got ", tuple(o.padding.sizes));
  weight = register_parameter("weight", zeros(weight_shape(o.out_channels, o.in_channels / o.groups, o.kernel_size)));
  if (o.bias) bias = register_parameter("bias", zeros({o.out_channels}));
  reset_parameters(generator);
}

template <size_t D>
ConvNd<D>::ConvNd(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size, ExpandingArray<D> stride,
                  ConvPadding<D> padding, ExpandingArray<D> dilation, int64_t groups, bool bias, Generator* generator)
    : ConvNd(ConvOptions<D>{in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, "zeros"},
             generator) {}

template <size_t D>
void ConvNd<D>::reset_parameters(Generator* generator) {
  init_conv(weight, bias, generator);
}

template <size_t D>
Tensor ConvNd<D>::forward(const Tensor& input) {
  const ConvOptions<D>& o = options;
  if constexpr (D == 1) return F::conv1d(input, weight, bias, o.stride, o.padding, o.dilation, o.groups);
  if constexpr (D == 2) return F::conv2d(input, weight, bias, o.stride, o.padding, o.dilation, o.groups);
  if constexpr (D == 3) return F::conv3d(input, weight, bias, o.stride, o.padding, o.dilation, o.groups);
}

template <size_t D>
std::string ConvNd<D>::type_name() const {
  return "Conv" + std::to_string(D) + "d";
}

template <size_t D>
std::string ConvNd<D>::extra_repr() const {
  const ConvOptions<D>& o = options;
  std::string s = std::to_string(o.in_channels) + ", " + std::to_string(o.out_channels) +
                  ", kernel_size=" + tuple(o.kernel_size) + ", stride=" + tuple(o.stride);
  if (o.padding.mode == ConvPaddingMode::Same) s += ", padding=same";
  if (o.padding.mode == ConvPaddingMode::Valid) s += ", padding=valid";
  if (o.padding.mode == ConvPaddingMode::Explicit && !all_equal(o.padding.sizes, 0))
    s += ", padding=" + tuple(o.padding.sizes);
  if (!all_equal(o.dilation, 1)) s += ", dilation=" + tuple(o.dilation);
  if (o.groups != 1) s += ", groups=" + std::to_string(o.groups);
  if (!bias.defined()) s += ", bias=False";
  return s;
}

// ---- ConvTransposeNd --------------------------------------------------------------------------

template <size_t D>
ConvTransposeNd<D>::ConvTransposeNd(const ConvTransposeOptions<D>& options, Generator* generator) : options(options) {
  const ConvTransposeOptions<D>& o = options;
  check_common<D>(type_name(), o.in_channels, o.out_channels, o.kernel_size, o.stride, o.dilation, o.groups,
                  o.padding_mode);
  for (size_t i = 0; i < D; ++i) {
    NABLA_CHECK(o.padding[i] >= 0, type_name(), ": padding must be non-negative, got ", tuple(o.padding));
    NABLA_CHECK(o.output_padding[i] >= 0 && (o.output_padding[i] < o.stride[i] || o.output_padding[i] < o.dilation[i]),
                type_name(), ": output_padding ", tuple(o.output_padding),
                " must be non-negative and smaller than either stride ", tuple(o.stride), " or dilation ",
                tuple(o.dilation));
  }
  weight = register_parameter("weight", zeros(weight_shape(o.in_channels, o.out_channels / o.groups, o.kernel_size)));
  if (o.bias) bias = register_parameter("bias", zeros({o.out_channels}));
  reset_parameters(generator);
}

template <size_t D>
ConvTransposeNd<D>::ConvTransposeNd(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size,
                                    ExpandingArray<D> stride, ExpandingArray<D> padding,
                                    ExpandingArray<D> output_padding, int64_t groups, bool bias,
                                    ExpandingArray<D> dilation, Generator* generator)
    : ConvTransposeNd(ConvTransposeOptions<D>{in_channels, out_channels, kernel_size, stride, padding, output_padding,
                                              groups, bias, dilation, "zeros"},
                      generator) {}

template <size_t D>
void ConvTransposeNd<D>::reset_parameters(Generator* generator) {
  init_conv(weight, bias, generator);
}

template <size_t D>
Tensor ConvTransposeNd<D>::forward(const Tensor& input) {
  const ConvTransposeOptions<D>& o = options;
  if constexpr (D == 1)
    return F::conv_transpose1d(input, weight, bias, o.stride, o.padding, o.output_padding, o.groups, o.dilation);
  if constexpr (D == 2)
    return F::conv_transpose2d(input, weight, bias, o.stride, o.padding, o.output_padding, o.groups, o.dilation);
  if constexpr (D == 3)
    return F::conv_transpose3d(input, weight, bias, o.stride, o.padding, o.output_padding, o.groups, o.dilation);
}

template <size_t D>
std::string ConvTransposeNd<D>::type_name() const {
  return "ConvTranspose" + std::to_string(D) + "d";
}

template <size_t D>
std::string ConvTransposeNd<D>::extra_repr() const {
  const ConvTransposeOptions<D>& o = options;
  std::string s = std::to_string(o.in_channels) + ", " + std::to_string(o.out_channels) +
                  ", kernel_size=" + tuple(o.kernel_size) + ", stride=" + tuple(o.stride);
  if (!all_equal(o.padding, 0)) s += ", padding=" + tuple(o.padding);
  if (!all_equal(o.dilation, 1)) s += ", dilation=" + tuple(o.dilation);
  if (!all_equal(o.output_padding, 0)) s += ", output_padding=" + tuple(o.output_padding);
  if (o.groups != 1) s += ", groups=" + std::to_string(o.groups);
  if (!bias.defined()) s += ", bias=False";
  return s;
}

template class ConvNd<1>;
template class ConvNd<2>;
template class ConvNd<3>;
template class ConvTransposeNd<1>;
template class ConvTransposeNd<2>;
template class ConvTransposeNd<3>;

}  // namespace nabla::nn
