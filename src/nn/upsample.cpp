// functional::interpolate and nn::Upsample. Each output axis gets a table mapping output to
// input indices (and, for bilinear, the two neighbours' weights), computed with PyTorch's CPU
// formulas in the input's precision (UpSample.h: area_pixel_compute_scale / _source_index,
// nearest's floorf); the kernels then gather for the forward and scatter the gradient back
// through the same tables, so the backward is the exact adjoint of the forward.
//
// Determinism: the forward writes each output element from one thread; the backward scatters
// one (n, c) plane per thread, in output order.
#include <nabla/nn/upsample.hpp>

#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/parallel.hpp"
#include "nn/repr.hpp"
#include "tensor/internal.hpp"

#include <algorithm>
#include <cmath>

namespace nabla::nn {
namespace functional {
namespace {

using autograd::SavedTensor;
using autograd::TensorList;

constexpr int64_t kGrain = int64_t{1} << 14;
int64_t grain_for(int64_t per_unit) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, per_unit)); }

// One output axis of length `out` over an input axis of length `in`: output index o reads
// input i0[o] with weight l0[o] and i1[o] with weight l1[o] (nearest: l0 = 1, l1 = 0, i1 = i0).
template <typename T>
struct AxisMap {
  std::vector<int64_t> i0, i1;
  std::vector<T> l0, l1;
};

// PyTorch's area_pixel_compute_scale: input units per output unit.
template <typename T>
T axis_scale(int64_t in, int64_t out, bool align_corners, std::optional<double> scale) {
  if (align_corners) return out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  return scale && *scale > 0.0 ? static_cast<T>(1.0 / *scale) : static_cast<T>(in) / static_cast<T>(out);
}

template <typename T>
AxisMap<T> nearest_axis(int64_t in, int64_t out, std::optional<double> scale) {
  AxisMap<T> m{std::vector<int64_t>(static_cast<size_t>(out)), {}, std::vector<T>(static_cast<size_t>(out), T(1)),
               std::vector<T>(static_cast<size_t>(out), T(0))};
  const T s = axis_scale<T>(in, out, false, scale);
  for (int64_t o = 0; o < out; ++o) {
    // PyTorch floors the source coordinate in float precision (floorf) for every dtype.
    const T real = s * static_cast<T>(o);
    m.i0[static_cast<size_t>(o)] = std::min(static_cast<int64_t>(std::floor(static_cast<float>(real))), in - 1);
  }
  m.i1 = m.i0;
  return m;
}

template <typename T>
AxisMap<T> linear_axis(int64_t in, int64_t out, bool align_corners, std::optional<double> scale) {
  const size_t n = static_cast<size_t>(out);
  AxisMap<T> m{std::vector<int64_t>(n), std::vector<int64_t>(n), std::vector<T>(n), std::vector<T>(n)};
  const T s = axis_scale<T>(in, out, align_corners, scale);
  for (int64_t o = 0; o < out; ++o) {
    const size_t k = static_cast<size_t>(o);
    if (out == in) {  // PyTorch copies an axis whose size does not change
      m.i0[k] = m.i1[k] = o;
      m.l0[k] = T(1);
      m.l1[k] = T(0);
      continue;
    }
    // align_corners: o * s; otherwise (o + 0.5) * s - 0.5 (in double, as PyTorch), clamped at 0.
    T real = align_corners ? s * static_cast<T>(o)
                           : static_cast<T>(static_cast<double>(s) * (static_cast<double>(o) + 0.5) - 0.5);
    if (!align_corners && real < T(0)) real = T(0);
    const int64_t i0 = static_cast<int64_t>(real);
    m.i0[k] = i0;
    m.i1[k] = i0 + (i0 < in - 1 ? 1 : 0);
    m.l1[k] = std::min(std::max(real - static_cast<T>(i0), T(0)), T(1));
    m.l0[k] = T(1) - m.l1[k];
  }
  return m;
}

// x is (P, H, W), y is (P, OH, OW): y[p, oh, ow] = sum over the two neighbours along each axis of
// x[p, h, w] * weight_h * weight_w (nearest: the one pixel (h0, w0)). Parallel over output rows.
template <typename T>
void resample_forward(const T* x, int64_t P, int64_t H, int64_t W, const AxisMap<T>& mh, const AxisMap<T>& mw,
                      bool linear, T* y) {
  const int64_t OH = static_cast<int64_t>(mh.i0.size()), OW = static_cast<int64_t>(mw.i0.size());
  kernels::parallel_for(0, P * OH, grain_for(OW), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t p = row / OH, oh = row % OH;
      const T* r0 = x + (p * H + mh.i0[static_cast<size_t>(oh)]) * W;
      const T* r1 = x + (p * H + mh.i1[static_cast<size_t>(oh)]) * W;
      const T h0 = mh.l0[static_cast<size_t>(oh)], h1 = mh.l1[static_cast<size_t>(oh)];
      T* out = y + row * OW;
      if (!linear) {
        for (int64_t ow = 0; ow < OW; ++ow) out[ow] = r0[mw.i0[static_cast<size_t>(ow)]];
        continue;
      }
      for (int64_t ow = 0; ow < OW; ++ow) {
        const size_t k = static_cast<size_t>(ow);
        const int64_t a = mw.i0[k], b = mw.i1[k];
        const T w0 = mw.l0[k], w1 = mw.l1[k];
        out[ow] = (r0[a] * w0 + r0[b] * w1) * h0 + (r1[a] * w0 + r1[b] * w1) * h1;
      }
    }
  });
}

// The adjoint of resample_forward: g is (P, OH, OW), gx (P, H, W) receives each g[p, oh, ow]
// times the weights at the pixels it was read from. One plane per thread, in output order.
template <typename T>
void resample_backward(const T* g, int64_t P, int64_t H, int64_t W, const AxisMap<T>& mh, const AxisMap<T>& mw,
                       bool linear, T* gx) {
  const int64_t OH = static_cast<int64_t>(mh.i0.size()), OW = static_cast<int64_t>(mw.i0.size());
  kernels::parallel_for(0, P, grain_for(OH * OW), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      T* plane = gx + p * H * W;
      std::fill(plane, plane + H * W, T(0));
      for (int64_t oh = 0; oh < OH; ++oh) {
        const size_t kh = static_cast<size_t>(oh);
        T* r0 = plane + mh.i0[kh] * W;
        T* r1 = plane + mh.i1[kh] * W;
        const T h0 = mh.l0[kh], h1 = mh.l1[kh];
        const T* grow = g + (p * OH + oh) * OW;
        for (int64_t ow = 0; ow < OW; ++ow) {
          const size_t k = static_cast<size_t>(ow);
          if (!linear) {
            r0[mw.i0[k]] += grow[ow];
            continue;
          }
          const int64_t a = mw.i0[k], b = mw.i1[k];
          const T w0 = mw.l0[k], w1 = mw.l1[k], gv = grow[ow];
          r0[a] += h0 * w0 * gv;
          r0[b] += h0 * w1 * gv;
          r1[a] += h1 * w0 * gv;
          r1[b] += h1 * w1 * gv;
        }
      }
    }
  });
}

// Checks what can be checked without an input; `who` names the caller in errors.
void check_options(const char* who, const InterpolateOptions& o) {
  NABLA_CHECK(o.mode == "nearest" || o.mode == "bilinear", who, ": mode must be 'nearest' or 'bilinear', got '", o.mode,
              "'");
  NABLA_CHECK(o.mode != "nearest" || !o.align_corners.has_value(), who,
              ": align_corners can only be set with mode 'bilinear', got mode '", o.mode, "'");
  NABLA_CHECK(o.size.empty() != o.scale_factor.empty(), who,
              ": give exactly one of size and scale_factor, got size ", o.size, " and scale_factor ", o.scale_factor);
  NABLA_CHECK(o.size.size() <= 2 && o.scale_factor.size() <= 2, who,
              ": size and scale_factor take one value or two (H, W), got size ", o.size, " and scale_factor ",
              o.scale_factor);
  for (int64_t s : o.size) NABLA_CHECK(s > 0, who, ": output size must be positive, got ", o.size);
  for (double s : o.scale_factor)
    NABLA_CHECK(std::isfinite(s) && s > 0.0, who, ": scale_factor must be positive and finite, got ", o.scale_factor);
}

}  // namespace

Tensor interpolate(const Tensor& input, const InterpolateOptions& options) {
  check_options("interpolate", options);
  detail::check_defined("interpolate", input);
  NABLA_CHECK(input.ndim() == 4, "interpolate: expected 4-D input (N, C, H, W), got shape ", input.shape());
  NABLA_CHECK(is_floating(input.dtype()), "interpolate: expected a floating-point input, got ", input.dtype());
  const int64_t H = input.size(2), W = input.size(3), P = input.size(0) * input.size(1);
  auto pick = [](const auto& values, size_t axis) { return values.size() == 1 ? values[0] : values[axis]; };
  std::optional<double> sh, sw;
  int64_t OH, OW;
  if (!options.size.empty()) {
    OH = pick(options.size, 0);
    OW = pick(options.size, 1);
  } else {
    sh = pick(options.scale_factor, 0);
    sw = pick(options.scale_factor, 1);
    OH = static_cast<int64_t>(static_cast<double>(H) * *sh);  // truncation, as PyTorch
    OW = static_cast<int64_t>(static_cast<double>(W) * *sw);
  }
  NABLA_CHECK(H > 0 && W > 0 && OH > 0 && OW > 0, "interpolate: input and output sizes must be positive, got input ",
              input.shape(), " and output (H, W) = (", OH, ", ", OW, ")");

  const bool linear = options.mode == "bilinear", align = options.align_corners.value_or(false);
  const Tensor x = input.contiguous();
  Tensor y = empty({input.size(0), input.size(1), OH, OW}, x.dtype());
  return kernels::dispatch_floating(x.dtype(), "interpolate", [&]<typename T>() -> Tensor {
    AxisMap<T> mh = linear ? linear_axis<T>(H, OH, align, sh) : nearest_axis<T>(H, OH, sh);
    AxisMap<T> mw = linear ? linear_axis<T>(W, OW, align, sw) : nearest_axis<T>(W, OW, sw);
    resample_forward(x.data_ptr<T>(), P, H, W, mh, mw, linear, y.data_ptr<T>());
    if (!autograd::needs_grad({input})) return y;
    return autograd::record(linear ? "UpsampleBilinear2DBackward" : "UpsampleNearest2DBackward", y, {input},
                            [mh = std::move(mh), mw = std::move(mw), shape = x.shape(), P, H, W,
                             linear](const Tensor& g) -> TensorList {
                              const Tensor gc = g.contiguous();
                              Tensor gx = empty(shape, gc.dtype());
                              resample_backward(gc.data_ptr<T>(), P, H, W, mh, mw, linear, gx.data_ptr<T>());
                              return {gx};
                            });
  });
}

}  // namespace functional

// ---- Upsample -----------------------------------------------------------------------------------

Upsample::Upsample(UpsampleOptions options) : options(std::move(options)) {
  functional::check_options("Upsample", this->options);
}

Tensor Upsample::forward(const Tensor& input) { return functional::interpolate(input, options); }

std::string Upsample::extra_repr() const {
  // PyTorch keeps one value as a number and two as a tuple; scale factors as floats.
  auto join = [](const auto& values, auto format) {
    if (values.size() == 1) return format(values[0]);
    std::string out = "(";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + format(values[i]);
    return out + ")";
  };
  std::string info =
      options.scale_factor.empty()
          ? "size=" + join(options.size, [](int64_t v) { return std::to_string(v); })
          : "scale_factor=" + join(options.scale_factor, [](double v) { return repr::python_float(v); });
  return info + ", mode=" + options.mode;
}

}  // namespace nabla::nn
