// Pooling layers: options checked at construction (the bad value in the message), forward
// through nn::functional, and PyTorch's printed form, which keeps each size in the form it
// was given (`2` or `(2, 2)`).
#include <nabla/nn/pooling.hpp>

namespace nabla::nn {
namespace {

namespace F = functional;

// Python's repr of an int or of a tuple of ints.
template <size_t D>
std::string python(const ExpandingArray<D>& a, bool force_tuple = false) {
  if (a.scalar && !force_tuple) return std::to_string(a[0]);
  std::string s = "(";
  for (size_t i = 0; i < D; ++i) s += (i ? ", " : "") + std::to_string(a[i]);
  return s + (D == 1 ? ",)" : ")");
}

template <size_t D>
ExpandingArray<D> from_list(std::initializer_list<int64_t> list) {
  return ExpandingArray<D>(list);
}

// Checks shared by max and average pooling; `type` names the layer.
template <size_t D>
void check_pool(const std::string& type, const ExpandingArray<D>& kernel, const OptionalExpandingArray<D>& stride,
                const ExpandingArray<D>& padding) {
  const ExpandingArray<D> s = stride.value_or(kernel);
  for (size_t i = 0; i < D; ++i) {
    NABLA_CHECK(kernel[i] > 0, type, ": kernel_size must be positive, got ", python(kernel));
    NABLA_CHECK(s[i] > 0, type, ": stride must be positive, got ", python(s));
    NABLA_CHECK(padding[i] >= 0 && padding[i] <= kernel[i] / 2, type,
                ": padding must be at most half the kernel size, got padding ", python(padding), " and kernel_size ",
                python(kernel));
  }
}

}  // namespace

// ---- MaxPoolNd --------------------------------------------------------------------------------

template <size_t D>
MaxPoolNd<D>::MaxPoolNd(const MaxPoolOptions<D>& options) : options(options) {
  check_pool<D>(type_name(), options.kernel_size, options.stride, options.padding);
  for (size_t i = 0; i < D; ++i)
    NABLA_CHECK(options.dilation[i] > 0, type_name(), ": dilation must be positive, got ", python(options.dilation));
}

template <size_t D>
MaxPoolNd<D>::MaxPoolNd(ExpandingArray<D> kernel_size, OptionalExpandingArray<D> stride, ExpandingArray<D> padding,
                        ExpandingArray<D> dilation, bool ceil_mode)
    : MaxPoolNd(MaxPoolOptions<D>{kernel_size, stride, padding, dilation, ceil_mode}) {}

template <size_t D>
MaxPoolNd<D>::MaxPoolNd(std::initializer_list<int64_t> kernel_size, OptionalExpandingArray<D> stride,
                        ExpandingArray<D> padding, ExpandingArray<D> dilation, bool ceil_mode)
    : MaxPoolNd(from_list<D>(kernel_size), stride, padding, dilation, ceil_mode) {}

template <size_t D>
std::pair<Tensor, Tensor> MaxPoolNd<D>::forward_with_indices(const Tensor& input) {
  const MaxPoolOptions<D>& o = options;
  if constexpr (D == 1)
    return F::max_pool1d_with_indices(input, o.kernel_size, o.stride, o.padding, o.dilation, o.ceil_mode);
  if constexpr (D == 2)
    return F::max_pool2d_with_indices(input, o.kernel_size, o.stride, o.padding, o.dilation, o.ceil_mode);
  if constexpr (D == 3)
    return F::max_pool3d_with_indices(input, o.kernel_size, o.stride, o.padding, o.dilation, o.ceil_mode);
}

template <size_t D>
Tensor MaxPoolNd<D>::forward(const Tensor& input) {
  return forward_with_indices(input).first;
}

template <size_t D>
std::string MaxPoolNd<D>::type_name() const {
  return "MaxPool" + std::to_string(D) + "d";
}

template <size_t D>
std::string MaxPoolNd<D>::extra_repr() const {
  const MaxPoolOptions<D>& o = options;
  return "kernel_size=" + python(o.kernel_size) + ", stride=" + python(o.stride.value_or(o.kernel_size)) +
         ", padding=" + python(o.padding) + ", dilation=" + python(o.dilation) +
         ", ceil_mode=" + (o.ceil_mode ? "True" : "False");
}

// ---- AvgPoolNd --------------------------------------------------------------------------------

template <size_t D>
AvgPoolNd<D>::AvgPoolNd(const AvgPoolOptions<D>& options) : options(options) {
  check_pool<D>(type_name(), options.kernel_size, options.stride, options.padding);
  NABLA_CHECK(!options.divisor_override || *options.divisor_override > 0, type_name(),
              ": divisor_override must be positive, got ", options.divisor_override.value_or(0));
}

template <size_t D>
AvgPoolNd<D>::AvgPoolNd(ExpandingArray<D> kernel_size, OptionalExpandingArray<D> stride, ExpandingArray<D> padding,
                        bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override)
    : AvgPoolNd(AvgPoolOptions<D>{kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override}) {}

template <size_t D>
AvgPoolNd<D>::AvgPoolNd(std::initializer_list<int64_t> kernel_size, OptionalExpandingArray<D> stride,
                        ExpandingArray<D> padding, bool ceil_mode, bool count_include_pad,
                        std::optional<int64_t> divisor_override)
    : AvgPoolNd(from_list<D>(kernel_size), stride, padding, ceil_mode, count_include_pad, divisor_override) {}

template <size_t D>
Tensor AvgPoolNd<D>::forward(const Tensor& input) {
  const AvgPoolOptions<D>& o = options;
  if constexpr (D == 1)
    return F::avg_pool1d(input, o.kernel_size, o.stride, o.padding, o.ceil_mode, o.count_include_pad,
                         o.divisor_override);
  if constexpr (D == 2)
    return F::avg_pool2d(input, o.kernel_size, o.stride, o.padding, o.ceil_mode, o.count_include_pad,
                         o.divisor_override);
  if constexpr (D == 3)
    return F::avg_pool3d(input, o.kernel_size, o.stride, o.padding, o.ceil_mode, o.count_include_pad,
                         o.divisor_override);
}

template <size_t D>
std::string AvgPoolNd<D>::type_name() const {
  return "AvgPool" + std::to_string(D) + "d";
}

template <size_t D>
std::string AvgPoolNd<D>::extra_repr() const {
  const AvgPoolOptions<D>& o = options;
  const bool tuples = D == 1;  // torch's AvgPool1d stores _single(...) tuples
  return "kernel_size=" + python(o.kernel_size, tuples) +
         ", stride=" + python(o.stride.value_or(o.kernel_size), tuples) + ", padding=" + python(o.padding, tuples);
}

// ---- AdaptiveAvgPoolNd ------------------------------------------------------------------------

template <size_t D>
AdaptiveAvgPoolNd<D>::AdaptiveAvgPoolNd(ExpandingArrayWithOptionalElem<D> output_size) : output_size(output_size) {
  for (size_t i = 0; i < D; ++i)
    NABLA_CHECK(!output_size.values[i] || *output_size.values[i] >= 0, type_name(),
                ": output sizes must be non-negative, got ", extra_repr());
}

template <size_t D>
Tensor AdaptiveAvgPoolNd<D>::forward(const Tensor& input) {
  if constexpr (D == 1) return F::adaptive_avg_pool1d(input, output_size);
  if constexpr (D == 2) return F::adaptive_avg_pool2d(input, output_size);
  if constexpr (D == 3) return F::adaptive_avg_pool3d(input, output_size);
}

template <size_t D>
std::string AdaptiveAvgPoolNd<D>::type_name() const {
  return "AdaptiveAvgPool" + std::to_string(D) + "d";
}

template <size_t D>
std::string AdaptiveAvgPoolNd<D>::extra_repr() const {
  const auto& v = output_size.values;
  if (output_size.scalar) return "output_size=" + std::to_string(*v[0]);
  std::string s = "output_size=(";
  for (size_t i = 0; i < D; ++i) s += (i ? ", " : "") + (v[i] ? std::to_string(*v[i]) : std::string("None"));
  return s + (D == 1 ? ",)" : ")");
}

template class MaxPoolNd<1>;
template class MaxPoolNd<2>;
template class MaxPoolNd<3>;
template class AvgPoolNd<1>;
template class AvgPoolNd<2>;
template class AvgPoolNd<3>;
template class AdaptiveAvgPoolNd<1>;
template class AdaptiveAvgPoolNd<2>;
template class AdaptiveAvgPoolNd<3>;

}  // namespace nabla::nn
