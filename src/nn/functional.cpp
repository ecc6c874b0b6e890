// The layer functions of nn::functional: linear (one BLAS product plus a broadcast bias),
// inverted dropout, flatten.
#include <nabla/nn/functional.hpp>

#include "kernels/dispatch.hpp"
#include "tensor/internal.hpp"

namespace nabla::nn::functional {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  detail::check_defined("linear", x);
  detail::check_defined("linear", weight);
  NABLA_CHECK(weight.ndim() == 2, "linear: weight must be 2-D (out_features, in_features), got shape ", weight.shape());
  NABLA_CHECK(x.ndim() >= 1 && x.size(-1) == weight.size(1), "linear: input of shape ", x.shape(),
              " does not match weight of shape ", weight.shape(), " (the input's last dim must be in_features = ",
              weight.size(1), ")");
  NABLA_CHECK(x.dtype() == weight.dtype(), "linear: input is ", x.dtype(), " but weight is ", weight.dtype());
  if (bias.defined()) {
    NABLA_CHECK(bias.ndim() == 1 && bias.size(0) == weight.size(0), "linear: bias of shape ", bias.shape(),
                " does not match weight of shape ", weight.shape(), " (expected [", weight.size(0), "])");
    NABLA_CHECK(bias.dtype() == weight.dtype(), "linear: bias is ", bias.dtype(), " but weight is ", weight.dtype());
  }
  // Leading dims are folded into rows so that BLAS sees one (rows, in) x (in, out) product;
  // weight.t() is a transposed view that matmul reads in place.
  Tensor y;
  if (x.ndim() <= 2) {
    y = x.matmul(weight.t());
  } else {
    Shape out_shape = x.shape();
    out_shape.back() = weight.size(0);
    const int64_t rows = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));
    y = x.reshape({rows, weight.size(1)}).matmul(weight.t()).reshape(out_shape);
  }
  return bias.defined() ? y + bias : y;
}

Tensor dropout(const Tensor& x, double p, bool training, Generator* generator) {
  detail::check_defined("dropout", x);
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability has to be between 0 and 1, but got p = ", p);
  NABLA_CHECK(is_floating(x.dtype()), "dropout: expected a floating-point tensor, got ", x.dtype());
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;  // as PyTorch: every element dropped, gradient zero
  // mask is 0 (dropped) or 1/(1-p) (kept), drawn in row-major order from one generator so the
  // same seed gives the same mask on any thread count; MulBackward then scales g by it.
  Generator& gen = generator ? *generator : default_generator();
  Tensor mask = empty(x.shape(), x.dtype());
  kernels::dispatch_floating(x.dtype(), "dropout", [&]<typename T>() {
    const double keep = 1.0 - p;
    const T scale = static_cast<T>(1.0 / keep);
    T* m = mask.data_ptr<T>();
    for (int64_t i = 0, n = mask.numel(); i < n; ++i) m[i] = gen.uniform_double() < keep ? scale : T(0);
  });
  return x * mask;
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  detail::check_defined("flatten", x);
  return x.flatten(start_dim, end_dim);
}

}  // namespace nabla::nn::functional
