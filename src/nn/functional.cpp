// The layer functions of nn::functional: linear (one fused op: a BLAS product that starts from
// the broadcast bias, and a backward of two products and a column sum), inverted dropout, flatten.
#include <nabla/nn/functional.hpp>

#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/gemm.hpp"
#include "tensor/internal.hpp"

#include <algorithm>

namespace nabla::nn::functional {
namespace {

// y (rows, out) = x (rows, in) @ w (out, in)^T + b (out), like torch.addmm(b, x, w.t()). Fused
// rather than composed from matmul, t() and add: the weight's gradient comes out of one GEMM
// directly in w's (out, in) layout (a composed graph yields it transposed, and turning it into
// a contiguous .grad costs a strided copy as large as the weight), and the graph has one node.
Tensor linear_2d(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const Tensor xc = x.contiguous(), wc = weight.contiguous();
  const int64_t rows = x.size(0), in = weight.size(1), out = weight.size(0);
  // clone, not contiguous(): with rows == 1 the expanded bias already counts as contiguous, and
  // the GEMM below would accumulate into the bias itself.
  Tensor y = bias.defined() ? bias.detach().expand({rows, out}).clone() : empty({rows, out}, x.dtype());
  if (rows > 0 && out > 0) {
    kernels::dispatch_floating(x.dtype(), "linear", [&]<typename T>() {
      kernels::gemm(false, true, rows, out, in, T(1), xc.data_ptr<T>(), std::max<int64_t>(in, 1), wc.data_ptr<T>(),
                    std::max<int64_t>(in, 1), bias.defined() ? T(1) : T(0), y.data_ptr<T>(), out);
    });
  }
  if (!autograd::needs_grad({x, weight, bias})) return y;
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
  using autograd::SavedTensor;
  return autograd::record(
      "AddmmBackward", y, {x, weight, bias},
      [sx = need_w ? SavedTensor(xc) : SavedTensor(), sw = need_x ? SavedTensor(wc) : SavedTensor(),
       has_bias = bias.defined(), rows, in, out](const Tensor& g) -> autograd::TensorList {
        const Tensor gc = g.contiguous();
        Tensor gx, gw, gb;
        kernels::dispatch_floating(gc.dtype(), "linear backward", [&]<typename T>() {
          const int64_t ld_in = std::max<int64_t>(in, 1);
          if (sw.defined()) {  // gx (rows, in) = g (rows, out) @ w (out, in)
            gx = empty({rows, in}, gc.dtype());
            kernels::gemm(false, false, rows, in, out, T(1), gc.data_ptr<T>(), std::max<int64_t>(out, 1),
                          sw.get().data_ptr<T>(), ld_in, T(0), gx.data_ptr<T>(), ld_in);
          }
          if (sx.defined()) {  // gw (out, in) = g^T (out, rows) @ x (rows, in)
            gw = empty({out, in}, gc.dtype());
            kernels::gemm(true, false, out, in, rows, T(1), gc.data_ptr<T>(), std::max<int64_t>(out, 1),
                          sx.get().data_ptr<T>(), ld_in, T(0), gw.data_ptr<T>(), ld_in);
          }
        });
        if (has_bias) gb = gc.sum(0);
        return {gx, gw, gb};
      });
}

}  // namespace

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
  // Leading dims are folded into rows so that BLAS sees one (rows, in) x (in, out) product.
  if (x.ndim() == 2) return linear_2d(x, weight, bias);
  Shape out_shape = x.shape();
  out_shape.back() = weight.size(0);
  const int64_t rows = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));
  return linear_2d(x.reshape({rows, weight.size(1)}), weight, bias).reshape(out_shape);
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
