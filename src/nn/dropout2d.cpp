// Channel dropout (functional::dropout2d and nn::Dropout2d): a per-channel mask of 0 or
// 1 / (1 - p), broadcast over each feature map by one multiplication (whose backward scales the
// gradient by the same mask).
#include <nabla/nn/dropout2d.hpp>

#include "kernels/dispatch.hpp"
#include "nn/repr.hpp"
#include "tensor/internal.hpp"

namespace nabla::nn {

namespace functional {

Tensor dropout2d(const Tensor& x, double p, bool training, Generator* generator) {
  detail::check_defined("dropout2d", x);
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "dropout2d: probability has to be between 0 and 1, but got p = ", p);
  NABLA_CHECK(x.ndim() == 3 || x.ndim() == 4, "dropout2d: expected (N, C, H, W) or unbatched (C, H, W) input, got shape ",
              x.shape());
  NABLA_CHECK(is_floating(x.dtype()), "dropout2d: expected a floating-point tensor, got ", x.dtype());
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;  // as PyTorch: every channel dropped, gradient zero
  // mask is (N, C, 1, 1) or (C, 1, 1): one draw per channel, in row-major order.
  Shape mask_shape = x.shape();
  mask_shape[mask_shape.size() - 1] = 1;
  mask_shape[mask_shape.size() - 2] = 1;
  Generator& gen = generator ? *generator : default_generator();
  Tensor mask = empty(mask_shape, x.dtype());
  kernels::dispatch_floating(x.dtype(), "dropout2d", [&]<typename T>() {
    const double keep = 1.0 - p;
    const T scale = static_cast<T>(1.0 / keep);
    T* m = mask.data_ptr<T>();
    for (int64_t i = 0, n = mask.numel(); i < n; ++i) m[i] = gen.uniform_double() < keep ? scale : T(0);
  });
  return x * mask;
}

}  // namespace functional

Dropout2d::Dropout2d(double p, Generator* generator) : p(p), generator(generator) {
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "Dropout2d: probability has to be between 0 and 1, but got p = ", p);
}

Tensor Dropout2d::forward(const Tensor& input) {
  return functional::dropout2d(input, p, is_training(), generator);
}

std::string Dropout2d::extra_repr() const { return "p=" + repr::python_float(p) + ", inplace=False"; }

}  // namespace nabla::nn
