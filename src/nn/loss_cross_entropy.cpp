// cross_entropy and nll_loss. With class indices each is one fused op: the forward takes a stable
// log_softmax per row and gathers the target's term; the backward writes softmax - one_hot (with
// weights, ignore_index and label smoothing) straight into the gradient.
// cross_entropy with class probabilities is composed from log_softmax and reductions.
#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/parallel.hpp"
#include "kernels/reduce.hpp"
#include "nn/loss_common.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nabla::nn::functional {

using autograd::SavedTensor;
using autograd::TensorList;
using namespace loss_detail;

namespace {

// ---- kernels --------------------------------------------------------------------------------
// Logits are (outer, C, inner) contiguous; row r = (o, i) holds x[o*C*inner + c*inner + i], c < C.
// y (rows) are validated class indices; w (C) or null for unit weights. The stable (log-)softmax
// itself is kernels::softmax_forward (max subtracted first, vectorised exp); the kernels here add
// the per-row loss terms and gradient. Rows are independent and each writes only its own outputs,
// so splitting them over threads cannot change any result.

// Samples per parallel chunk: enough elements (about 32k) to be worth a thread.
int64_t grain(const ClassLayout& L) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, L.classes * L.inner)); }

// From ls = log_softmax(x), per row r: nll[r] = -w[y] ls[y] and, when smooth is non-null,
// smooth[r] = -sum_c w[c] ls[c]; both 0 in rows whose target is ignore_index.
template <typename T>
void cross_entropy_forward(const T* ls, const int64_t* y, const T* w, const ClassLayout& L, int64_t ignore_index,
                           double* nll, double* smooth) {
  const int64_t s = L.inner;
  kernels::parallel_for(0, L.outer, grain(L), [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      for (int64_t i = 0; i < L.inner; ++i) {
        const int64_t r = o * L.inner + i;
        const T* row = ls + o * L.classes * L.inner + i;
        const bool ignored = y[r] == ignore_index;
        nll[r] = ignored ? 0.0 : -(w ? static_cast<double>(w[y[r]]) : 1.0) * static_cast<double>(row[y[r] * s]);
        if (!smooth) continue;
        double acc = 0;
        if (!ignored)
          for (int64_t c = 0; c < L.classes; ++c) acc -= (w ? static_cast<double>(w[c]) : 1.0) * row[c * s];
        smooth[r] = acc;
      }
    }
  });
}

// gx holds p = softmax(x) on entry and the gradient on exit, with upstream gradient
// g[r * g_stride] (g_stride 0 for a scalar) and a, b the nll and smoothing coefficients after
// reduction:  gx[c] = g (a w[y] (p_c - [c == y]) + b (W p_c - w[c])),  W = sum_c w[c].
// Ignored rows get 0.
template <typename T>
void cross_entropy_backward(const int64_t* y, const T* w, const T* g, int64_t g_stride, const ClassLayout& L,
                            int64_t ignore_index, double a, double b, T* gx) {
  const int64_t C = L.classes;
  const int64_t s = L.inner;
  double W = 0;
  for (int64_t c = 0; c < C; ++c) W += w ? static_cast<double>(w[c]) : 1.0;
  kernels::parallel_for(0, L.outer, grain(L), [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      for (int64_t i = 0; i < L.inner; ++i) {
        const int64_t r = o * L.inner + i;
        T* row = gx + o * C * L.inner + i;
        if (y[r] == ignore_index) {
          for (int64_t c = 0; c < C; ++c) row[c * s] = T(0);
          continue;
        }
        const double gr = static_cast<double>(g[r * g_stride]);
        const double ga = gr * a * (w ? static_cast<double>(w[y[r]]) : 1.0);
        const double gb = gr * b;
        // gx[c] = (ga + gb W) p_c - gb w[c], then the one-hot term at y.
        const T k = static_cast<T>(ga + gb * W);
        if (b == 0.0) {
          for (int64_t c = 0; c < C; ++c) row[c * s] *= k;
        } else if (!w) {
          const T shift = static_cast<T>(gb);
          for (int64_t c = 0; c < C; ++c) row[c * s] = k * row[c * s] - shift;
        } else {
          for (int64_t c = 0; c < C; ++c) row[c * s] = static_cast<T>(k * row[c * s] - gb * w[c]);
        }
        row[y[r] * s] -= static_cast<T>(ga);
      }
    }
  });
}

// nll[r] = -w[y] x[y] per row (0 where ignored); x laid out as above.
template <typename T>
void nll_forward(const T* x, const int64_t* y, const T* w, const ClassLayout& L, int64_t ignore_index, double* nll) {
  for (int64_t o = 0; o < L.outer; ++o) {
    for (int64_t i = 0; i < L.inner; ++i) {
      const int64_t r = o * L.inner + i;
      if (y[r] == ignore_index) continue;
      nll[r] = -(w ? static_cast<double>(w[y[r]]) : 1.0) * static_cast<double>(x[(o * L.classes + y[r]) * L.inner + i]);
    }
  }
}

// gx (zero-filled by the caller) gets -w[y] g[r * g_stride] scale at each row's target.
template <typename T>
void nll_backward(const int64_t* y, const T* w, const T* g, int64_t g_stride, const ClassLayout& L,
                  int64_t ignore_index, double scale, T* gx) {
  for (int64_t o = 0; o < L.outer; ++o) {
    for (int64_t i = 0; i < L.inner; ++i) {
      const int64_t r = o * L.inner + i;
      if (y[r] == ignore_index) continue;
      const double wy = w ? static_cast<double>(w[y[r]]) : 1.0;
      gx[(o * L.classes + y[r]) * L.inner + i] = static_cast<T>(-wy * scale * static_cast<double>(g[r * g_stride]));
    }
  }
}

// ---- shared by both fused ops ---------------------------------------------------------------

// Sum of w[y] (or the count) over non-ignored targets: the Mean denominator of nll_loss.
template <typename T>
double target_weight(const int64_t* y, const T* w, int64_t rows, int64_t ignore_index) {
  double total = 0;
  for (int64_t r = 0; r < rows; ++r)
    if (y[r] != ignore_index) total += w ? static_cast<double>(w[y[r]]) : 1.0;
  return total;
}

// The loss tensor from per-row terms: a * nll + b * smooth per row (None), or their sums, divided
// by `div` (the summed target weights) for Mean.
Tensor combine(const std::vector<double>& nll, const std::vector<double>& smooth, double a, double b,
               Reduction reduction, double div, const Shape& shape, DType dtype) {
  const bool smoothing = !smooth.empty();
  if (reduction == Reduction::None) {
    Tensor out = empty(shape, dtype);
    kernels::dispatch_floating(dtype, "loss", [&]<typename T>() {
      T* o = out.data_ptr<T>();
      for (size_t r = 0; r < nll.size(); ++r) o[r] = static_cast<T>(a * nll[r] + (smoothing ? b * smooth[r] : 0.0));
    });
    return out;
  }
  double nll_sum = 0, smooth_sum = 0;
  for (double v : nll) nll_sum += v;
  for (double v : smooth) smooth_sum += v;
  if (reduction == Reduction::Mean) {
    nll_sum /= div;
    smooth_sum /= div;
  }
  return scalar_tensor(a * nll_sum + (smoothing ? b * smooth_sum : 0.0), dtype);
}

// Upstream gradient as a pointer and a stride per row (0 when reduced to a scalar).
template <typename T>
std::pair<const T*, int64_t> upstream(const Tensor& g, Reduction reduction) {
  return {g.data_ptr<T>(), reduction == Reduction::None ? 1 : 0};
}

Tensor cross_entropy_indices(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& opt) {
  const char* op = "cross_entropy";
  const ClassLayout L = class_layout(op, logits, target);
  check_class_weight(op, opt.weight, L.classes, logits);
  check_class_targets(op, target, L.classes, opt.ignore_index);
  const Tensor x = logits.detach().contiguous();
  const Tensor y = target.contiguous();
  const Tensor w = opt.weight.defined() ? opt.weight.detach().contiguous() : Tensor();
  const bool smoothing = opt.label_smoothing > 0.0;
  const double a = 1.0 - opt.label_smoothing;
  const double b = opt.label_smoothing / static_cast<double>(L.classes);
  std::vector<double> nll(L.rows()), smooth(smoothing ? L.rows() : 0);
  double nll_div = 0;
  kernels::dispatch_floating(logits.dtype(), op, [&]<typename T>() {
    const T* wp = w.defined() ? w.data_ptr<T>() : nullptr;
    std::vector<T> log_probs(static_cast<size_t>(x.numel()));
    kernels::softmax_forward(x.data_ptr<T>(), log_probs.data(), L.outer, L.classes, L.inner, /*log=*/true);
    cross_entropy_forward(log_probs.data(), y.data_ptr<int64_t>(), wp, L, opt.ignore_index, nll.data(),
                          smoothing ? smooth.data() : nullptr);
    nll_div = target_weight(y.data_ptr<int64_t>(), wp, L.rows(), opt.ignore_index);
  });
  Tensor out = combine(nll, smooth, a, b, opt.reduction, nll_div, L.target_shape, logits.dtype());
  if (!autograd::needs_grad({logits})) return out;
  const bool mean = opt.reduction == Reduction::Mean;
  const double ga = mean ? a / nll_div : a;
  const double gb = smoothing ? (mean ? b / nll_div : b) : 0.0;
  return autograd::record(
      "CrossEntropyBackward", out, {logits},
      [sx = SavedTensor(x), sy = SavedTensor(y), sw = SavedTensor(w), L, ignore = opt.ignore_index,
       reduction = opt.reduction, ga, gb](const Tensor& g) -> TensorList {
        const Tensor& xv = sx.get();
        const Tensor gc = g.contiguous();
        Tensor gx = empty(xv.shape(), xv.dtype());
        kernels::dispatch_floating(xv.dtype(), "cross_entropy backward", [&]<typename T>() {
          const auto [gp, gs] = upstream<T>(gc, reduction);
          T* out = gx.data_ptr<T>();
          kernels::softmax_forward(xv.data_ptr<T>(), out, L.outer, L.classes, L.inner, /*log=*/false);
          cross_entropy_backward(sy.get().data_ptr<int64_t>(), sw.defined() ? sw.get().data_ptr<T>() : nullptr, gp,
                                 gs, L, ignore, ga, gb, out);
        });
        return {gx};
      });
}

// Class probabilities: -sum_c w_c t_c log_softmax_c per row, composed so the target is
// differentiated too.
Tensor cross_entropy_probabilities(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& opt) {
  const char* op = "cross_entropy";
  check_floating(op, "input", logits);
  NABLA_CHECK(logits.ndim() >= 1, op, ": expected input of shape (N, C), (N, C, d1, ...) or (C), got a 0-d tensor");
  NABLA_CHECK(target.shape() == logits.shape(), op, ": a floating target holds class probabilities and must have ",
              "the input's shape ", logits.shape(), ", got ", target.shape(), " (class indices must be int64)");
  detail::check_same_dtype(op, logits, target);
  NABLA_CHECK(opt.ignore_index < 0, op, ": ignore_index (", opt.ignore_index,
              ") is not supported for class-probability targets");
  const int64_t class_dim = logits.ndim() == 1 ? 0 : 1;
  const int64_t C = logits.size(class_dim);
  check_class_weight(op, opt.weight, C, logits);
  Tensor t = target;
  if (opt.label_smoothing > 0.0) t = t * (1.0 - opt.label_smoothing) + opt.label_smoothing / static_cast<double>(C);
  Tensor terms = logits.log_softmax(class_dim) * t;
  if (opt.weight.defined()) {
    Shape wshape(logits.ndim(), 1);
    wshape[class_dim] = C;
    terms = terms * opt.weight.detach().reshape(wshape);
  }
  switch (opt.reduction) {
    case Reduction::None: return -terms.sum(class_dim);
    case Reduction::Sum: return -terms.sum();
    default: break;
  }
  // Mean over rows (N * d1 * ...), whatever the weights; an empty batch gives NaN.
  const int64_t rows = C == 0 ? 0 : logits.numel() / C;
  if (rows == 0) return -terms.sum() * std::numeric_limits<double>::quiet_NaN();
  return -terms.sum() / static_cast<double>(rows);
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& options) {
  check_reduction("cross_entropy", options.reduction);
  NABLA_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0,
              "cross_entropy: label_smoothing must be between 0.0 and 1.0, got ", options.label_smoothing);
  NABLA_CHECK(target.defined(), "cross_entropy: target is undefined");
  if (is_floating(target.dtype())) return cross_entropy_probabilities(logits, target, options);
  return cross_entropy_indices(logits, target, options);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                Reduction reduction) {
  const char* op = "nll_loss";
  check_reduction(op, reduction);
  const ClassLayout L = class_layout(op, log_probs, target);
  check_class_weight(op, weight, L.classes, log_probs);
  check_class_targets(op, target, L.classes, ignore_index);
  const Tensor x = log_probs.detach().contiguous();
  const Tensor y = target.contiguous();
  const Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
  std::vector<double> nll(L.rows(), 0.0);
  double div = 0;
  kernels::dispatch_floating(log_probs.dtype(), op, [&]<typename T>() {
    const T* wp = w.defined() ? w.data_ptr<T>() : nullptr;
    nll_forward(x.data_ptr<T>(), y.data_ptr<int64_t>(), wp, L, ignore_index, nll.data());
    div = target_weight(y.data_ptr<int64_t>(), wp, L.rows(), ignore_index);
  });
  Tensor out = combine(nll, {}, 1.0, 0.0, reduction, div, L.target_shape, log_probs.dtype());
  if (!autograd::needs_grad({log_probs})) return out;
  const double scale = reduction == Reduction::Mean ? 1.0 / div : 1.0;
  return autograd::record(
      "NllLossBackward", out, {log_probs},
      [shape = x.shape(), sy = SavedTensor(y), sw = SavedTensor(w), L, ignore_index, reduction,
       scale](const Tensor& g) -> TensorList {
        const Tensor gc = g.contiguous();
        Tensor gx = zeros(shape, gc.dtype());
        kernels::dispatch_floating(gc.dtype(), "nll_loss backward", [&]<typename T>() {
          const auto [gp, gs] = upstream<T>(gc, reduction);
          nll_backward(sy.get().data_ptr<int64_t>(), sw.defined() ? sw.get().data_ptr<T>() : nullptr, gp, gs, L,
                       ignore_index, scale, gx.data_ptr<T>());
        });
        return {gx};
      });
}

}  // namespace nabla::nn::functional
