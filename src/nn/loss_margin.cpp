// multi_margin_loss, the multi-class hinge loss: one fused op whose forward kernel gives each
// sample's loss and whose backward kernel scatters the margin violations' gradients.
#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "nn/loss_common.hpp"

namespace nabla::nn::functional {

using autograd::SavedTensor;
using autograd::TensorList;
using namespace loss_detail;

namespace {

// x (N, C) contiguous, y (N) validated, w (C) or null. loss[n] = sum_{j != y} w[y] h(z_j) / C with
// z_j = margin - x[y] + x[j] and h(z) = z^p for z > 0, else 0.
template <typename T>
void multi_margin_forward(const T* x, const int64_t* y, const T* w, int64_t N, int64_t C, int64_t p, double margin,
                          T* loss) {
  for (int64_t n = 0; n < N; ++n) {
    const T* row = x + n * C;
    const int64_t yn = y[n];
    const double wy = w ? static_cast<double>(w[yn]) : 1.0;
    double sum = 0;
    for (int64_t j = 0; j < C; ++j) {
      if (j == yn) continue;
      const double z = margin - static_cast<double>(row[yn]) + static_cast<double>(row[j]);
      if (z > 0) sum += wy * (p == 1 ? z : z * z);
    }
    loss[n] = static_cast<T>(sum / static_cast<double>(C));
  }
}

// gx (N, C) given the per-sample upstream gradient g (N): for each violated margin z_j > 0,
// gx[j] += g w[y] h'(z_j) / C and gx[y] -= the same (h' = 1 for p = 1, 2 z for p = 2).
template <typename T>
void multi_margin_backward(const T* x, const int64_t* y, const T* w, const T* g, int64_t N, int64_t C, int64_t p,
                           double margin, T* gx) {
  for (int64_t n = 0; n < N; ++n) {
    const T* row = x + n * C;
    T* grow = gx + n * C;
    const int64_t yn = y[n];
    const double scale = static_cast<double>(g[n]) * (w ? static_cast<double>(w[yn]) : 1.0) / static_cast<double>(C);
    double gy = 0;
    for (int64_t j = 0; j < C; ++j) {
      if (j == yn) continue;
      const double z = margin - static_cast<double>(row[yn]) + static_cast<double>(row[j]);
      const double d = z > 0 ? scale * (p == 1 ? 1.0 : 2.0 * z) : 0.0;
      grow[j] = static_cast<T>(d);
      gy -= d;
    }
    if (C > 0) grow[yn] = static_cast<T>(gy);
  }
}

}  // namespace

Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p, double margin, const Tensor& weight,
                         Reduction reduction) {
  const char* op = "multi_margin_loss";
  check_reduction(op, reduction);
  NABLA_CHECK(p == 1 || p == 2, op, ": only p == 1 and p == 2 are supported, got p = ", p);
  check_floating(op, "input", input);
  NABLA_CHECK(target.defined(), op, ": target is undefined");
  NABLA_CHECK(input.ndim() == 1 || input.ndim() == 2, op, ": expected input of shape (N, C) or (C), got ",
              input.shape());
  const int64_t N = input.ndim() == 2 ? input.size(0) : 1;
  const int64_t C = input.size(-1);
  // torch: target (N) for (N, C) input; () or (1) for an unbatched (C) input. The per-sample
  // losses take the target's shape.
  const bool target_ok = input.ndim() == 2 ? target.shape() == Shape{N} : target.numel() == 1 && target.ndim() <= 1;
  NABLA_CHECK(target_ok, op, ": expected a target of shape ", input.ndim() == 2 ? Shape{N} : Shape{},
              " (one class index per sample) for input of shape ", input.shape(), ", got target of shape ",
              target.shape());
  NABLA_CHECK(target.dtype() == DType::Int64, op, ": class-index targets must be int64, got ", target.dtype(),
              " of shape ", target.shape());
  check_class_weight(op, weight, C, input);
  check_class_targets(op, target, C, std::nullopt);
  const Tensor x = input.detach().contiguous();
  const Tensor y = target.contiguous();
  const Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
  Tensor loss = empty(target.shape(), input.dtype());
  kernels::dispatch_floating(input.dtype(), op, [&]<typename T>() {
    multi_margin_forward(x.data_ptr<T>(), y.data_ptr<int64_t>(), w.defined() ? w.data_ptr<T>() : nullptr, N, C, p,
                         margin, loss.data_ptr<T>());
  });
  if (autograd::needs_grad({input})) {
    loss = autograd::record(
        "MultiMarginLossBackward", loss, {input},
        [sx = SavedTensor(x), sy = SavedTensor(y), sw = SavedTensor(w), N, C, p,
         margin](const Tensor& g) -> TensorList {
          const Tensor& xv = sx.get();
          const Tensor gc = g.contiguous();
          Tensor gx = empty(xv.shape(), xv.dtype());
          kernels::dispatch_floating(xv.dtype(), "multi_margin_loss backward", [&]<typename T>() {
            multi_margin_backward(xv.data_ptr<T>(), sy.get().data_ptr<int64_t>(),
                                  sw.defined() ? sw.get().data_ptr<T>() : nullptr, gc.data_ptr<T>(), N, C, p, margin,
                                  gx.data_ptr<T>());
          });
          return {gx};
        });
  }
  return reduce(loss, reduction);
}

}  // namespace nabla::nn::functional
