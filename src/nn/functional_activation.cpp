// Activation functions of nn::functional. leaky_relu, elu, gelu and softplus are each one
// recorded op: a fused forward kernel, and a fused backward kernel over the saved input, with
// PyTorch's formulas (and its conventions at the kinks). The rest forward to Tensor's methods.
#include <nabla/nn/functional.hpp>

#include "autograd/ops/elementwise.hpp"
#include "autograd/record.hpp"

#include <algorithm>
#include <cmath>

namespace nabla::nn::functional {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;

namespace {

// out[i] = f(x[i]) in x's floating dtype; the error names `op`.
template <typename F>
Tensor map_floating(const char* op, const Tensor& x, F&& make_f) {
  detail::check_defined(op, x);
  return kernels::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    return elementwise::map_new<T, T>(x.shape(), x, make_f.template operator()<T>());
  });
}

// grad_in[i] = f(g[i], x[i]): one pass over the upstream gradient and the saved input.
template <typename F>
Tensor map_grad(const char* op, const Tensor& g, const Tensor& x, F&& make_f) {
  return kernels::dispatch_floating(g.dtype(), op, [&]<typename T>() {
    return elementwise::map_new<T, T, T>(g.shape(), g, x, make_f.template operator()<T>());
  });
}

// Records `name` with a backward that applies the fused kernel `make_grad` to (g, x).
template <typename F>
Tensor record_unary(const char* name, const Tensor& out, const Tensor& x, F make_grad) {
  if (!autograd::needs_grad({x})) return out;
  return record(name, out, {x}, [sx = SavedTensor(x), make_grad, name](const Tensor& g) -> TensorList {
    return {map_grad(name, g, sx.get(), make_grad)};
  });
}

constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1/sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1/sqrt(2 pi), the normal density at 0
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2/pi), GELU's tanh approximation
constexpr double kKappa = 0.044715;

// log(1 + exp(z)) without overflow for large z.
template <typename T>
T log1p_exp(T z) {
  return std::max(z, T(0)) + std::log1p(std::exp(-std::abs(z)));
}

}  // namespace

Tensor relu(const Tensor& x) { return x.relu(); }
Tensor sigmoid(const Tensor& x) { return x.sigmoid(); }
Tensor tanh(const Tensor& x) { return x.tanh(); }
Tensor softmax(const Tensor& x, int64_t dim) { return x.softmax(dim); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return x.log_softmax(dim); }

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  Tensor out = map_floating("leaky_relu", x, [&]<typename T>() {
    const T slope = static_cast<T>(negative_slope);
    return [slope](T v) { return v > T(0) ? v : v * slope; };
  });
  // PyTorch's leaky_relu_backward tests x > 0, so the gradient at 0 is the slope.
  return record_unary("LeakyReluBackward", out, x, [negative_slope]<typename T>() {
    const T slope = static_cast<T>(negative_slope);
    return [slope](T g, T v) { return v > T(0) ? g : g * slope; };
  });
}

Tensor elu(const Tensor& x, double alpha) {
  Tensor out = map_floating("elu", x, [&]<typename T>() {
    const T a = static_cast<T>(alpha);
    return [a](T v) { return v > T(0) ? v : a * std::expm1(v); };
  });
  // PyTorch's elu_backward uses the exponential branch for x <= 0: the gradient at 0 is alpha.
  return record_unary("EluBackward", out, x, [alpha]<typename T>() {
    const T a = static_cast<T>(alpha);
    return [a](T g, T v) { return v > T(0) ? g : g * a * std::exp(v); };
  });
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  NABLA_CHECK(approximate == "none" || approximate == "tanh", "gelu: approximate must be 'none' or 'tanh', got '",
              approximate, "'");
  if (approximate == "none") {
    Tensor out = map_floating("gelu", x, []<typename T>() {
      return [](T v) { return T(0.5) * v * (T(1) + std::erf(v * T(kSqrt1_2))); };
    });
    return record_unary("GeluBackward", out, x, []<typename T>() {
      return [](T g, T v) {
        const T cdf = T(0.5) * (T(1) + std::erf(v * T(kSqrt1_2)));
        const T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * v * v);
        return g * (cdf + v * pdf);
      };
    });
  }
  Tensor out = map_floating("gelu", x, []<typename T>() {
    return [](T v) { return T(0.5) * v * (T(1) + std::tanh(T(kSqrt2OverPi) * (v + T(kKappa) * v * v * v))); };
  });
  return record_unary("GeluBackward", out, x, []<typename T>() {
    return [](T g, T v) {
      const T t = std::tanh(T(kSqrt2OverPi) * (v + T(kKappa) * v * v * v));
      const T d_inner = T(kSqrt2OverPi) * (T(1) + T(3 * kKappa) * v * v);
      const T sech2 = (T(1) - t) * (T(1) + t);  // 1 - t², without cancellation near |t| = 1
      return g * (T(0.5) * (T(1) + t) + T(0.5) * v * sech2 * d_inner);
    };
  });
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  // Above the threshold PyTorch returns x itself (and passes the gradient through unchanged);
  // below it, log1p_exp and the sigmoid stay finite where exp(beta x) alone would overflow.
  Tensor out = map_floating("softplus", x, [&]<typename T>() {
    const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
    return [b, th](T v) { return v * b > th ? v : log1p_exp(v * b) / b; };
  });
  return record_unary("SoftplusBackward", out, x, [beta, threshold]<typename T>() {
    const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
    return [b, th](T g, T v) { return v * b > th ? g : g / (T(1) + std::exp(-v * b)); };
  });
}

Tensor step(const Tensor& x) {
  detail::check_defined("step", x);
  Tensor out = x.gt(0.0);
  if (!autograd::needs_grad({x})) return out;
  return record("StepBackward", out, {x}, [](const Tensor& g) -> TensorList { return {zeros(g.shape(), g.dtype())}; });
}

}  // namespace nabla::nn::functional
