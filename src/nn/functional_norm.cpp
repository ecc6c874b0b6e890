// nn::functional::batch_norm and layer_norm: each one recorded op over fused kernels, with the
// standard closed-form backward. The kernels below are plain loops over contiguous data (no
// autograd); the ops after them check arguments, run the kernels and record the backward.
//
// Determinism: every statistic (a channel's or a row's mean and variance, a gradient's sums)
// is accumulated by one thread, in double, in a fixed order (eight interleaved partial sums,
// combined in a fixed order), so results are bit-identical for any thread count. Each
// elementwise output is likewise written by one thread. Batch norm reads its input once for the
// statistics and once for the output, and (g, x) once for the sums and once for the gradient.
#include <nabla/autograd.hpp>
#include <nabla/nn/norm_functional.hpp>

#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/parallel.hpp"
#include "tensor/internal.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nabla::nn::functional {
namespace {

using autograd::SavedTensor;
using autograd::TensorList;
using Stats = std::vector<double>;  // one value per channel (batch norm) or per row (layer norm)

// ---- kernels ----------------------------------------------------------------------------------

// About how many elements one parallel task should touch.
constexpr int64_t kGrain = int64_t{1} << 15;
int64_t grain_for(int64_t per_unit) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, per_unit)); }

double combine(const double (&lane)[8]) {
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

// sum(d) and sum(d^2), d = x - shift, over any number of contiguous runs. Subtracting a value
// near the mean (the data's first element) keeps the one-pass variance sum(d^2) - sum(d)^2 / n
// free of cancellation. Eight interleaved partial sums (plus one for the runs' tails), combined
// in a fixed order at the end, let the loop vectorise without reordering any addition.
struct ShiftedSums {
  double a[8] = {}, b[8] = {}, ta = 0, tb = 0;

  template <typename T>
  void add(const T* x, int64_t n, double shift) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
#pragma GCC unroll 1  // kept a loop, so that the loop vectoriser (not SLP, disabled) takes it
      for (int l = 0; l < 8; ++l) {
        const double d = static_cast<double>(x[i + l]) - shift;
        a[l] += d;
        b[l] += d * d;
      }
    }
    for (; i < n; ++i) {
      const double d = static_cast<double>(x[i]) - shift;
      ta += d;
      tb += d * d;
    }
  }
  double sum() const { return combine(a) + ta; }
  double sum_sq() const { return combine(b) + tb; }
};

// sum(g) and sum(g * (x - center)) over contiguous runs of g and x, accumulated as above.
struct GradSums {
  double a[8] = {}, b[8] = {}, ta = 0, tb = 0;

  template <typename T>
  void add(const T* g, const T* x, int64_t n, double center) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
#pragma GCC unroll 1
      for (int l = 0; l < 8; ++l) {
        const double gv = static_cast<double>(g[i + l]);
        a[l] += gv;
        b[l] += gv * (static_cast<double>(x[i + l]) - center);
      }
    }
    for (; i < n; ++i) {
      const double gv = static_cast<double>(g[i]);
      ta += gv;
      tb += gv * (static_cast<double>(x[i]) - center);
    }
  }
  double sum_g() const { return combine(a) + ta; }
  double sum_gx() const { return combine(b) + tb; }
};

// x is (N, C, L). mean[c] and m2[c] = sum((x - mean[c])^2) over channel c's N * L >= 1 values.
template <typename T>
void channel_moments(const T* x, int64_t N, int64_t C, int64_t L, double* mean, double* m2) {
  const double count = static_cast<double>(N * L);
  kernels::parallel_for(0, C, grain_for(N * L), [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const double shift = static_cast<double>(x[c * L]);
      ShiftedSums sums;
      for (int64_t n = 0; n < N; ++n) sums.add(x + (n * C + c) * L, L, shift);
      const double s1 = sums.sum();
      mean[c] = shift + s1 / count;
      m2[c] = std::max(0.0, sums.sum_sq() - s1 * s1 / count);
    }
  });
}

// g and x are (N, C, L). sum_g[c] = sum(g), sum_gx[c] = sum(g * (x - center[c])) over channel c.
// With a ReLU fused after batch norm (y its output, `masked` non-null), g is first masked as
// ReLU's backward does (zero where y <= 0: relu'(0) = 0) into `masked`, plane by plane, and the
// sums are taken of the masked plane while it is still in cache.
template <typename T>
void channel_grad_sums(const T* g, const T* y, T* masked, const T* x, int64_t N, int64_t C, int64_t L,
                       const double* center, double* sum_g, double* sum_gx) {
  kernels::parallel_for(0, C, grain_for(2 * N * L), [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      GradSums sums;
      for (int64_t n = 0; n < N; ++n) {
        const int64_t at = (n * C + c) * L;
        if (masked) {
          const T* __restrict gp = g + at;
          const T* __restrict yp = y + at;
          T* __restrict mp = masked + at;
          for (int64_t l = 0; l < L; ++l) mp[l] = yp[l] <= T(0) ? T(0) : gp[l];
          sums.add(masked + at, x + at, L, center[c]);
        } else {
          sums.add(g + at, x + at, L, center[c]);
        }
      }
      sum_g[c] = sums.sum_g();
      sum_gx[c] = sums.sum_gx();
    }
  });
}

// x, y are (N, C, L): y = (x - mean[c]) * scale[c] + shift[c], then max(y, 0) with a fused ReLU
// (`v < 0 ? 0 : v`, as Tensor::relu), in parallel over the N * C planes.
template <typename T>
void normalize_channels(const T* x, int64_t N, int64_t C, int64_t L, const T* mean, const T* scale, const T* shift,
                        bool relu, T* y) {
  kernels::parallel_for(0, N * C, grain_for(L), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const int64_t c = p % C;
      const T m = mean[c], a = scale[c], b = shift[c];
      const T* xp = x + p * L;
      T* yp = y + p * L;
      for (int64_t l = 0; l < L; ++l) yp[l] = (xp[l] - m) * a + b;
      if (relu)
        for (int64_t l = 0; l < L; ++l) yp[l] = yp[l] < T(0) ? T(0) : yp[l];
    }
  });
}

// g, x, dx are (N, C, L): dx = ((g - mg[c]) - (x - mean[c]) * k[c]) * a[c] (the batch-norm input
// gradient; k = mg = 0 gives the eval-mode g * a). dx may be g itself.
template <typename T>
void channel_input_grad(const T* g, const T* x, int64_t N, int64_t C, int64_t L, const T* mean, const T* mg,
                        const T* k, const T* a, T* dx) {
  kernels::parallel_for(0, N * C, grain_for(2 * L), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const int64_t c = p % C;
      const T m = mean[c], gm = mg[c], kc = k[c], ac = a[c];
      const T* gp = g + p * L;
      const T* xp = x + p * L;
      T* dp = dx + p * L;
      for (int64_t l = 0; l < L; ++l) dp[l] = ((gp[l] - gm) - (xp[l] - m) * kc) * ac;
    }
  });
}

// x is (R, D), D >= 1. mean[r] and rstd[r] = 1 / sqrt(biased variance + eps) of each row.
template <typename T>
void row_moments(const T* x, int64_t R, int64_t D, double eps, double* mean, double* rstd) {
  kernels::parallel_for(0, R, grain_for(D), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* row = x + r * D;
      const double shift = static_cast<double>(row[0]);
      ShiftedSums sums;
      sums.add(row, D, shift);
      const double s1 = sums.sum(), n = static_cast<double>(D);
      mean[r] = shift + s1 / n;
      rstd[r] = 1.0 / std::sqrt(std::max(0.0, sums.sum_sq() - s1 * s1 / n) / n + eps);
    }
  });
}

// x, y are (R, D): y = (x - mean[r]) * rstd[r] * w + b, w and b (D) each null for none.
template <typename T>
void normalize_rows(const T* x, int64_t R, int64_t D, const double* mean, const double* rstd, const T* w, const T* b,
                    T* y) {
  kernels::parallel_for(0, R, grain_for(D), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T m = static_cast<T>(mean[r]), s = static_cast<T>(rstd[r]);
      const T* xr = x + r * D;
      T* yr = y + r * D;
      for (int64_t j = 0; j < D; ++j) yr[j] = (xr[j] - m) * s;
      if (w)
        for (int64_t j = 0; j < D; ++j) yr[j] *= w[j];
      if (b)
        for (int64_t j = 0; j < D; ++j) yr[j] += b[j];
    }
  });
}

// g, x, dx are (R, D). With h = g * w (or g) and x_hat = (x - mean) * rstd per row:
// dx = (h - mean(h) - x_hat * mean(h * x_hat)) * rstd.
template <typename T>
void rows_input_grad(const T* g, const T* x, int64_t R, int64_t D, const double* mean, const double* rstd, const T* w,
                     T* dx) {
  kernels::parallel_for(0, R, grain_for(3 * D), [&](int64_t lo, int64_t hi) {
    std::vector<T> h(static_cast<size_t>(D)), xhat(static_cast<size_t>(D));
    for (int64_t r = lo; r < hi; ++r) {
      const T m = static_cast<T>(mean[r]), s = static_cast<T>(rstd[r]);
      const T* gr = g + r * D;
      const T* xr = x + r * D;
      for (int64_t j = 0; j < D; ++j) {
        h[j] = w ? gr[j] * w[j] : gr[j];
        xhat[j] = (xr[j] - m) * s;
      }
      GradSums sums;
      sums.add(h.data(), xhat.data(), D, 0.0);
      const T mh = static_cast<T>(sums.sum_g() / static_cast<double>(D));
      const T mhx = static_cast<T>(sums.sum_gx() / static_cast<double>(D));
      T* dr = dx + r * D;
      for (int64_t j = 0; j < D; ++j) dr[j] = ((h[j] - mh) - xhat[j] * mhx) * s;
    }
  });
}

// g, x are (R, D): dw[j] += sum over rows of g * x_hat, db[j] += sum over rows of g (either may
// be null). Parallel over column blocks; each column is summed over rows in order.
template <typename T>
void rows_param_grad(const T* g, const T* x, int64_t R, int64_t D, const double* mean, const double* rstd, double* dw,
                     double* db) {
  kernels::parallel_for(0, D, grain_for(2 * R), [&](int64_t lo, int64_t hi) {
    for (int64_t r = 0; r < R; ++r) {
      const double m = mean[r], s = rstd[r];
      const T* gr = g + r * D;
      const T* xr = x + r * D;
      for (int64_t j = lo; j < hi; ++j) {
        const double gv = static_cast<double>(gr[j]);
        if (dw) dw[j] += gv * ((static_cast<double>(xr[j]) - m) * s);
        if (db) db[j] += gv;
      }
    }
  });
}

template <typename T>
std::vector<T> cast(const Stats& v) {
  return std::vector<T>(v.begin(), v.end());
}

// ---- argument checks ----------------------------------------------------------------------------

// A per-channel tensor (weight, bias, running statistic): undefined, or C elements in 1-D of x's dtype.
void check_per_channel(const char* what, const Tensor& t, const Tensor& x) {
  if (!t.defined()) return;
  NABLA_CHECK(t.ndim() == 1 && t.size(0) == x.size(1), "batch_norm: ", what, " of shape ", t.shape(),
              " does not match input of shape ", x.shape(), " (expected [", x.size(1), "], one per channel in dim 1)");
  NABLA_CHECK(t.dtype() == x.dtype(), "batch_norm: ", what, " is ", t.dtype(), " but input is ", x.dtype());
}

// running = (1 - momentum) * running + momentum * batch, in place and outside the graph.
void update_running(const Tensor& running, const Stats& batch, double momentum) {
  std::vector<double> v = running.to_vector<double>();
  for (size_t c = 0; c < v.size(); ++c) v[c] = momentum * batch[c] + (1.0 - momentum) * v[c];
  NoGradGuard no_grad;
  Tensor(running).copy_(tensor(v, running.shape(), running.dtype()));
}

std::vector<double> values_or(const Tensor& t, int64_t n, double fill) {
  return t.defined() ? t.to_vector<double>() : std::vector<double>(static_cast<size_t>(n), fill);
}

}  // namespace

// ---- batch_norm ---------------------------------------------------------------------------------

namespace {

// batch_norm, followed by a ReLU in the same passes over the data when `relu`.
Tensor batch_norm_op(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                     const Tensor& bias, bool training, double momentum, double eps, bool relu) {
  detail::check_defined("batch_norm", input);
  NABLA_CHECK(is_floating(input.dtype()), "batch_norm: expected a floating-point input, got ", input.dtype());
  NABLA_CHECK(input.ndim() >= 2, "batch_norm: expected input of shape (N, C, *) with at least 2 dims, got shape ",
              input.shape());
  NABLA_CHECK(running_mean.defined() == running_var.defined(),
              "batch_norm: running_mean and running_var must be both defined or both undefined");
  NABLA_CHECK(training || running_mean.defined(),
              "batch_norm: running_mean and running_var are required when not training");
  NABLA_CHECK(eps >= 0.0, "batch_norm: eps must be non-negative, got ", eps);
  check_per_channel("weight", weight, input);
  check_per_channel("bias", bias, input);
  check_per_channel("running_mean", running_mean, input);
  check_per_channel("running_var", running_var, input);

  const Tensor x = input.contiguous();
  const int64_t N = x.size(0), C = x.size(1), L = shape_numel(Shape(x.shape().begin() + 2, x.shape().end()));
  const int64_t count = N * L;
  NABLA_CHECK(!training || count > 1, "batch_norm: Expected more than 1 value per channel when training, got input of "
              "shape ", x.shape());

  // Per-channel mean and 1 / sqrt(var + eps): the batch's in training, the running ones otherwise.
  Stats mean(static_cast<size_t>(C)), invstd(static_cast<size_t>(C));
  Tensor y = empty(x.shape(), x.dtype());
  const std::vector<double> w = values_or(weight, C, 1.0), b = values_or(bias, C, 0.0);
  kernels::dispatch_floating(x.dtype(), "batch_norm", [&]<typename T>() {
    if (training) {
      Stats m2(static_cast<size_t>(C));
      channel_moments(x.data_ptr<T>(), N, C, L, mean.data(), m2.data());
      Stats unbiased(static_cast<size_t>(C));
      for (size_t c = 0; c < mean.size(); ++c) {
        invstd[c] = 1.0 / std::sqrt(m2[c] / static_cast<double>(count) + eps);
        unbiased[c] = m2[c] / static_cast<double>(count - 1);
      }
      if (running_mean.defined()) {
        update_running(running_mean, mean, momentum);
        update_running(running_var, unbiased, momentum);
      }
    } else {
      mean = running_mean.to_vector<double>();
      const Stats var = running_var.to_vector<double>();
      for (size_t c = 0; c < var.size(); ++c) invstd[c] = 1.0 / std::sqrt(var[c] + eps);
    }
    Stats scale(static_cast<size_t>(C));
    for (size_t c = 0; c < scale.size(); ++c) scale[c] = w[c] * invstd[c];
    const std::vector<T> mt = cast<T>(mean), at = cast<T>(scale), bt = cast<T>(b);
    normalize_channels(x.data_ptr<T>(), N, C, L, mt.data(), at.data(), bt.data(), relu, y.data_ptr<T>());
  });

  if (!autograd::needs_grad({input, weight, bias})) return y;
  // With the ReLU fused, the backward masks the incoming gradient by the output, as ReLU's does.
  const SavedTensor saved_y = relu ? SavedTensor(y) : SavedTensor();
  const bool need_x = input.requires_grad(), need_w = weight.defined() && weight.requires_grad(),
             need_b = bias.defined() && bias.requires_grad();
  return autograd::record(
      relu ? "NativeBatchNormReluBackward" : "NativeBatchNormBackward", y, {input, weight, bias},
      [sx = SavedTensor(x), saved_y, mean, invstd, w, training, N, C, L, need_x, need_w, need_b](const Tensor& g)
          -> TensorList {
        const Tensor gc = g.contiguous();
        const Tensor& xs = sx.get();
        const Tensor ys = saved_y.defined() ? saved_y.get() : Tensor();
        const double count = static_cast<double>(N * L);
        Tensor gx, gw, gb;
        kernels::dispatch_floating(gc.dtype(), "batch_norm backward", [&]<typename T>() {
          // Training needs both sums for the input gradient; eval only for weight and bias. With
          // the ReLU fused, the masked gradient goes into gx's buffer (or a scratch one) and is used
          // from there on; the input gradient then overwrites it in place.
          Stats sum_g(static_cast<size_t>(C)), sum_gx(static_cast<size_t>(C));
          const T* grad = gc.data_ptr<T>();
          if (need_x) gx = empty(xs.shape(), xs.dtype());
          Tensor scratch;
          T* masked = nullptr;
          if (ys.defined()) {
            if (!need_x) scratch = empty(xs.shape(), xs.dtype());
            masked = (need_x ? gx : scratch).data_ptr<T>();
          }
          if (training || need_w || need_b || masked) {
            channel_grad_sums(grad, ys.defined() ? ys.data_ptr<T>() : nullptr, masked, xs.data_ptr<T>(), N, C, L,
                              mean.data(), sum_g.data(), sum_gx.data());
            if (masked) grad = masked;
          }
          if (need_w) {
            Stats dw(static_cast<size_t>(C));
            for (size_t c = 0; c < dw.size(); ++c) dw[c] = sum_gx[c] * invstd[c];  // sum(g * x_hat)
            gw = tensor(dw, {C}, gc.dtype());
          }
          if (need_b) gb = tensor(sum_g, {C}, gc.dtype());
          if (!need_x) return;
          // Training: dx = w * invstd * (g - mean(g) - x_hat * mean(g * x_hat)), written with
          // x_hat = (x - mean) * invstd as ((g - mg) - (x - mean) * k) * a.
          Stats mg(static_cast<size_t>(C), 0.0), k(static_cast<size_t>(C), 0.0), a(static_cast<size_t>(C));
          for (size_t c = 0; c < a.size(); ++c) {
            a[c] = w[c] * invstd[c];
            if (training) {
              mg[c] = sum_g[c] / count;
              k[c] = invstd[c] * invstd[c] * sum_gx[c] / count;
            }
          }
          const std::vector<T> mt = cast<T>(mean), mgt = cast<T>(mg), kt = cast<T>(k), at = cast<T>(a);
          channel_input_grad(grad, xs.data_ptr<T>(), N, C, L, mt.data(), mgt.data(), kt.data(), at.data(),
                             gx.data_ptr<T>());
        });
        return {gx, gw, gb};
      });
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  return batch_norm_op(input, running_mean, running_var, weight, bias, training, momentum, eps, /*relu=*/false);
}

Tensor batch_norm_relu(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                       const Tensor& weight, const Tensor& bias, bool training, double momentum, double eps) {
  return batch_norm_op(input, running_mean, running_var, weight, bias, training, momentum, eps, /*relu=*/true);
}

// ---- layer_norm ---------------------------------------------------------------------------------

Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  detail::check_defined("layer_norm", input);
  NABLA_CHECK(is_floating(input.dtype()), "layer_norm: expected a floating-point input, got ", input.dtype());
  NABLA_CHECK(!normalized_shape.empty(), "layer_norm: normalized_shape must name at least one dim");
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  NABLA_CHECK(input.ndim() >= k && Shape(input.shape().end() - k, input.shape().end()) == normalized_shape,
              "layer_norm: input of shape ", input.shape(), " does not end with normalized_shape ", normalized_shape);
  NABLA_CHECK(eps >= 0.0, "layer_norm: eps must be non-negative, got ", eps);
  auto check_param = [&](const char* what, const Tensor& t) {
    if (!t.defined()) return;
    NABLA_CHECK(t.shape() == normalized_shape, "layer_norm: ", what, " of shape ", t.shape(),
                " does not match normalized_shape ", normalized_shape);
    NABLA_CHECK(t.dtype() == input.dtype(), "layer_norm: ", what, " is ", t.dtype(), " but input is ", input.dtype());
  };
  check_param("weight", weight);
  check_param("bias", bias);
  const int64_t D = shape_numel(normalized_shape);
  NABLA_CHECK(D > 0, "layer_norm: normalized_shape ", normalized_shape, " has no elements");

  const Tensor x = input.contiguous();
  const Tensor wc = weight.defined() ? weight.contiguous() : Tensor();
  const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  const int64_t R = x.numel() / D;
  Stats mean(static_cast<size_t>(R)), rstd(static_cast<size_t>(R));
  Tensor y = empty(x.shape(), x.dtype());
  kernels::dispatch_floating(x.dtype(), "layer_norm", [&]<typename T>() {
    row_moments(x.data_ptr<T>(), R, D, eps, mean.data(), rstd.data());
    normalize_rows(x.data_ptr<T>(), R, D, mean.data(), rstd.data(), wc.defined() ? wc.data_ptr<T>() : nullptr,
                   bc.defined() ? bc.data_ptr<T>() : nullptr, y.data_ptr<T>());
  });

  if (!autograd::needs_grad({input, weight, bias})) return y;
  const bool need_x = input.requires_grad(), need_w = weight.defined() && weight.requires_grad(),
             need_b = bias.defined() && bias.requires_grad();
  return autograd::record(
      "NativeLayerNormBackward", y, {input, weight, bias},
      [sx = SavedTensor(x), sw = SavedTensor(wc), mean, rstd, normalized_shape, R, D, need_x, need_w,
       need_b](const Tensor& g) -> TensorList {
        const Tensor gc = g.contiguous();
        const Tensor& xs = sx.get();
        const Tensor& ws = sw.get();
        Tensor gx, gw, gb;
        kernels::dispatch_floating(gc.dtype(), "layer_norm backward", [&]<typename T>() {
          if (need_x) {
            gx = empty(xs.shape(), xs.dtype());
            rows_input_grad(gc.data_ptr<T>(), xs.data_ptr<T>(), R, D, mean.data(), rstd.data(),
                            ws.defined() ? ws.data_ptr<T>() : nullptr, gx.data_ptr<T>());
          }
          if (need_w || need_b) {
            Stats dw(need_w ? static_cast<size_t>(D) : 0), db(need_b ? static_cast<size_t>(D) : 0);
            rows_param_grad(gc.data_ptr<T>(), xs.data_ptr<T>(), R, D, mean.data(), rstd.data(),
                            need_w ? dw.data() : nullptr, need_b ? db.data() : nullptr);
            if (need_w) gw = tensor(dw, normalized_shape, gc.dtype());
            if (need_b) gb = tensor(db, normalized_shape, gc.dtype());
          }
        });
        return {gx, gw, gb};
      });
}

}  // namespace nabla::nn::functional
