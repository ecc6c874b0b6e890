// Convolution kernels: the reference loops (one loop nest visiting every product the
// convolution is made of) and the vol2col + GEMM fast paths. See conv.hpp for layouts.
//
// Fast-path shapes, per image n and group g (cig = in_channels / groups, cog = out_channels /
// groups, K = cig * kD * kH * kW, L = oD * oH * oW):
//   col   is (in_channels * kD * kH * kW, L): vol2col of x_n; group g's rows are [g K, (g+1) K)
//   w_g   is (cog, K), rows [g cog, (g+1) cog) of the weight read as (out_channels, K)
//   y_n,g is (cog, L)
// forward          y_n,g = w_g col_g
// backward input   col_g = w_g^T gy_n,g, then col2vol adds each column entry back to its input
// backward weight  gw_g += gy_n,g col_g^T
#include "kernels/conv.hpp"

#include "kernels/gemm.hpp"
#include "kernels/parallel.hpp"
#include "kernels/reduce.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

namespace nabla::kernels {
namespace {

// ---- reference ------------------------------------------------------------------------------

// Calls f(y_index, w_index, x_index) for every output element, input channel of its group and
// kernel tap whose input position lies inside the input: the convolution as a list of products.
template <typename F>
void for_each_product(const ConvShape& s, F&& f) {
  const int64_t cig = s.in_channels / s.groups, cog = s.out_channels / s.groups;
  const auto &in = s.input, &out = s.output, &k = s.kernel, &st = s.stride, &p = s.padding, &d = s.dilation;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t o = 0; o < s.out_channels; ++o)
      for (int64_t od = 0; od < out[0]; ++od)
        for (int64_t oh = 0; oh < out[1]; ++oh)
          for (int64_t ow = 0; ow < out[2]; ++ow) {
            const int64_t y_index = (((n * s.out_channels + o) * out[0] + od) * out[1] + oh) * out[2] + ow;
            for (int64_t ci = 0; ci < cig; ++ci) {
              const int64_t c = (o / cog) * cig + ci;
              for (int64_t kd = 0; kd < k[0]; ++kd)
                for (int64_t kh = 0; kh < k[1]; ++kh)
                  for (int64_t kw = 0; kw < k[2]; ++kw) {
                    const int64_t id = od * st[0] - p[0] + kd * d[0];
                    const int64_t ih = oh * st[1] - p[1] + kh * d[1];
                    const int64_t iw = ow * st[2] - p[2] + kw * d[2];
                    if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2]) continue;
                    const int64_t x_index = (((n * s.in_channels + c) * in[0] + id) * in[1] + ih) * in[2] + iw;
                    const int64_t w_index = (((o * cig + ci) * k[0] + kd) * k[1] + kh) * k[2] + kw;
                    f(y_index, w_index, x_index);
                  }
            }
          }
}

// ---- short rows -------------------------------------------------------------------------------

// dst[0, n) = src[0, n) for the short rows of image planes (7 to 30 floats here): a memmove
// call per row cost more than the copying (3% of a ResNet training step). Fixed-size 32-byte
// memcpys compile to vector moves; the last one overlaps the one before it.
template <typename T>
inline void copy_row(const T* __restrict src, int64_t n, T* __restrict dst) {
  constexpr int64_t kVector = 32 / sizeof(T);
  if (n < kVector) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
    return;
  }
  for (int64_t i = 0; i + kVector < n; i += kVector) std::memcpy(dst + i, src + i, 32);
  std::memcpy(dst + n - kVector, src + n - kVector, 32);
}

// ---- vol2col / col2vol ------------------------------------------------------------------------

// Outputs [lo, hi) along one dim whose input index o * stride + offset lies in [0, in).
struct Range {
  int64_t lo = 0, hi = 0, out = 0;  // out: the number of outputs along the dim
  bool contains(int64_t o) const { return o >= lo && o < hi; }
};

Range valid_outputs(int64_t out, int64_t in, int64_t stride, int64_t offset) {
  // Stride 1 without dividing: a 64-bit division costs more than copying a short run.
  const int64_t lo = offset >= 0 ? 0 : stride == 1 ? -offset : (-offset + stride - 1) / stride;
  const int64_t hi = in - offset <= 0 ? 0 : stride == 1 ? in - offset : (in - offset + stride - 1) / stride;
  const int64_t l = std::min(lo, out);
  return {l, std::clamp(hi, l, out), out};
}

// Walks the column matrix `col` of one image (a row per channel and kernel tap, each the
// output's size) in memory order, one output row of W entries at a time:
//   row(col_run, x_index, rw, x_step)  for an output row whose taps read an input row: entries
//                                      ow in [rw.lo, rw.hi) read input x_index + ow * x_step,
//                                      the others padding;
//   pad(col_run, count)                for `count` entries that all read padding.
// Plain nested loops over pointers: the runs are short (a LeNet row is 10 to 28 floats), and
// this form keeps the walk's state in registers (a third faster than per-run index callbacks).
template <typename P, typename Row, typename Pad>
void walk_columns(const ConvShape& s, P col, Row&& row, Pad&& pad) {
  const auto &in = s.input, &out = s.output, &k = s.kernel, &st = s.stride, &p = s.padding, &d = s.dilation;
  const int64_t plane = s.input_volume(), out_w = out[2], out_hw = out[1] * out[2];
  for (int64_t c = 0; c < s.in_channels; ++c)
    for (int64_t kd = 0; kd < k[0]; ++kd)
      for (int64_t kh = 0; kh < k[1]; ++kh)
        for (int64_t kw = 0; kw < k[2]; ++kw) {
          const int64_t off_d = kd * d[0] - p[0], off_h = kh * d[1] - p[1], off_w = kw * d[2] - p[2];
          const Range rd = valid_outputs(out[0], in[0], st[0], off_d);
          const Range rh = valid_outputs(out[1], in[1], st[1], off_h);
          const Range rw = valid_outputs(out[2], in[2], st[2], off_w);
          for (int64_t od = 0; od < out[0]; ++od, col += out_hw) {
            if (!rd.contains(od)) {
              pad(col, out_hw);
              continue;
            }
            const int64_t image = c * plane + (od * st[0] + off_d) * in[1] * in[2];
            pad(col, rh.lo * out_w);
            for (int64_t oh = rh.lo; oh < rh.hi; ++oh)
              row(col + oh * out_w, image + (oh * st[1] + off_h) * in[2] + off_w, rw, st[2]);
            pad(col + rh.hi * out_w, (out[1] - rh.hi) * out_w);
          }
        }
}

// col (in_channels * kD * kH * kW, L) from one image x (in_channels, iD, iH, iW); zero where a
// tap reads padding.
template <typename T>
void vol2col(const ConvShape& s, const T* __restrict x, T* __restrict col) {
  walk_columns(
      s, col,
      [x](T* __restrict dst, int64_t src, const Range& rw, int64_t step) {
        for (int64_t ow = 0; ow < rw.lo; ++ow) dst[ow] = T(0);
        if (step == 1) {
          for (int64_t ow = rw.lo; ow < rw.hi; ++ow) dst[ow] = x[src + ow];
        } else {
          for (int64_t ow = rw.lo; ow < rw.hi; ++ow) dst[ow] = x[src + ow * step];
        }
        for (int64_t ow = rw.hi; ow < rw.out; ++ow) dst[ow] = T(0);
      },
      [](T* dst, int64_t n) { std::fill_n(dst, n, T(0)); });
}

// gx (in_channels, iD, iH, iW) += each entry of col (in_channels * kD * kH * kW, L) at the input
// position it was read from (entries reading padding are dropped). Rows in order: deterministic.
template <typename T>
void col2vol(const ConvShape& s, const T* __restrict col, T* __restrict gx) {
  walk_columns(
      s, col,
      [gx](const T* __restrict from, int64_t dst, const Range& rw, int64_t step) {
        for (int64_t ow = rw.lo; ow < rw.hi; ++ow) gx[dst + ow * step] += from[ow];
      },
      [](const T*, int64_t) {});
}

// True when the column matrix of an image is the image itself (1x1 kernel, stride 1, no
// padding): vol2col and col2vol are skipped.
bool columns_are_input(const ConvShape& s) {
  for (int i = 0; i < 3; ++i)
    if (s.kernel[i] != 1 || s.stride[i] != 1 || s.padding[i] != 0 || s.output[i] != s.input[i]) return false;
  return true;
}

// ---- "wide" columns on phase planes -----------------------------------------------------------
// For 1-D and 2-D convolutions, split each image once into phase planes: the zero-padded image
// (Hp = (oH - 1) sH + dH (kH - 1) + 1 rows, Wp likewise) cut by row and column remainder
// modulo the stride, phase (ph, pw) holding padded pixels (i sH + ph, j sW + pw) in a plane of
// Hq = ceil(Hp / sH) by Wq = ceil(Wp / sW), plus a tail after the last row. Tap (kh, kw) of
// output (oh, ow) reads padded pixel (oh sH + kh dH, ow sW + kw dW): phase
// (kh dH mod sH, kw dW mod sW) at position (oh + kh dH div sH, ow + kw dW div sW). So the
// column-matrix row of tap (c, kh, kw) is one contiguous slice of a phase plane, oH * Wq long,
// at a fixed offset: the output computed on a grid Wq wide instead of oW, whose extra columns
// ow >= oW are discarded (forward) or fed zero gradients (backward). With stride 1 there is one
// phase, the padded image itself. Building the planes copies each input pixel once, where
// vol2col visits it once per tap in short runs with padding decisions; the price is
// (Wq - oW) / oW more GEMM work (40% for LeNet's 10-wide second layer, 14% for its first, 7%
// for a 3x3 stride-2 layer from 28 to 14). Only phases some tap reads are built (a strided 1x1
// convolution has one). Non-finite inputs may turn the discarded products into NaN in the
// weight gradient of filters whose true gradient is already non-finite.
struct Wide {
  int64_t height = 0, width = 0;  // Hq, Wq
  int64_t plane = 0;              // per channel and phase: Hq * Wq plus the tail read past the last row
  int64_t length = 0;             // columns per row: oH * Wq
  std::vector<std::array<int64_t, 2>> phases;  // (row, column) remainder of each phase built
  std::vector<int64_t> tap_offsets;            // of tap kh * kW + kw: its phase's start + its slice's
};

// A depth of one on both sides, read at depth 0 (no depth padding): a 1-D or 2-D convolution.
bool use_wide(const ConvShape& s) {
  return s.input[0] == 1 && s.kernel[0] == 1 && s.output[0] == 1 && s.padding[0] == 0;
}

Wide wide_geometry(const ConvShape& s) {
  Wide w;
  const int64_t sh = s.stride[1], sw = s.stride[2], dh = s.dilation[1], dw = s.dilation[2];
  w.height = ((s.output[1] - 1) * sh + dh * (s.kernel[1] - 1) + 1 + sh - 1) / sh;
  w.width = ((s.output[2] - 1) * sw + dw * (s.kernel[2] - 1) + 1 + sw - 1) / sw;
  w.plane = w.height * w.width + dw * (s.kernel[2] - 1) / sw;
  w.length = s.output[1] * w.width;
  for (int64_t kh = 0; kh < s.kernel[1]; ++kh)
    for (int64_t kw = 0; kw < s.kernel[2]; ++kw) {
      const std::array<int64_t, 2> phase{kh * dh % sh, kw * dw % sw};
      const auto found = std::find(w.phases.begin(), w.phases.end(), phase);
      const int64_t index = found - w.phases.begin();
      if (found == w.phases.end()) w.phases.push_back(phase);
      w.tap_offsets.push_back(index * s.in_channels * w.plane + kh * dh / sh * w.width + kw * dw / sw);
    }
  return w;
}

// Calls f(plane, image_row, rows, cols) for each channel's plane of each phase (laid out
// (phase, channel, plane)), the first input row its row rows.lo reads and, per row, the plane
// entries [cols.lo, cols.hi) that read input pixels: entry j of row i reads input column
// j * sW + pw - left of input row i * sH + ph - top. Everything else in the plane is padding.
template <typename F>
void for_each_phase_plane(const ConvShape& s, const Wide& w, F&& f) {
  const int64_t in_h = s.input[1], in_w = s.input[2];
  for (size_t p = 0; p < w.phases.size(); ++p) {
    Range rows = valid_outputs(w.height, in_h, s.stride[1], w.phases[p][0] - s.padding[1]);
    const Range cols = valid_outputs(w.width, in_w, s.stride[2], w.phases[p][1] - s.padding[2]);
    if (cols.lo == cols.hi) rows.hi = rows.lo;  // no input column: the plane is all padding
    for (int64_t c = 0; c < s.in_channels; ++c)
      f((static_cast<int64_t>(p) * s.in_channels + c) * w.plane,
        c * in_h * in_w + (rows.lo * s.stride[1] + w.phases[p][0] - s.padding[1]) * in_w, rows, cols,
        cols.lo * s.stride[2] + w.phases[p][1] - s.padding[2]);
  }
}

// The phase planes (phases, in_channels, plane) of one image x (in_channels, iH, iW).
template <typename T>
void split_phases(const ConvShape& s, const Wide& w, const T* __restrict x, T* __restrict planes) {
  const int64_t in_w = s.input[2], sh = s.stride[1], sw = s.stride[2];
  for_each_phase_plane(s, w, [&](int64_t plane, int64_t image_row, const Range& rows, const Range& cols, int64_t col0) {
    T* dst = planes + plane;
    std::fill_n(dst, w.plane, T(0));
    for (int64_t i = rows.lo; i < rows.hi; ++i, image_row += sh * in_w) {
      const T* src = x + image_row + col0;
      T* row = dst + i * w.width + cols.lo;
      const int64_t n = cols.hi - cols.lo;
      if (sw == 1) {
        copy_row(src, n, row);
      } else {
        for (int64_t j = 0; j < n; ++j) row[j] = src[j * sw];
      }
    }
  });
}

// gx (in_channels, iH, iW) from the gradient of the phase planes: each input pixel's entry
// (pixels no tap reads get zero).
template <typename T>
void merge_phases(const ConvShape& s, const Wide& w, const T* __restrict gplanes, T* __restrict gx) {
  const int64_t in_w = s.input[2], sh = s.stride[1], sw = s.stride[2];
  std::fill_n(gx, s.in_channels * s.input[1] * in_w, T(0));
  for_each_phase_plane(s, w, [&](int64_t plane, int64_t image_row, const Range& rows, const Range& cols, int64_t col0) {
    const T* src = gplanes + plane;
    for (int64_t i = rows.lo; i < rows.hi; ++i, image_row += sh * in_w) {
      T* dst = gx + image_row + col0;
      const T* row = src + i * w.width + cols.lo;
      const int64_t n = cols.hi - cols.lo;
      if (sw == 1) {
        copy_row(row, n, dst);
      } else {
        for (int64_t j = 0; j < n; ++j) dst[j * sw] = row[j];
      }
    }
  });
}

// Calls f(row, offset) for each column-matrix row (c, kh, kw) and the offset of its slice.
template <typename F>
void for_each_wide_row(const ConvShape& s, const Wide& w, F&& f) {
  const int64_t taps = s.kernel[1] * s.kernel[2];
  for (int64_t c = 0, row = 0; c < s.in_channels; ++c)
    for (int64_t t = 0; t < taps; ++t, ++row) f(row, c * w.plane + w.tap_offsets[static_cast<size_t>(t)]);
}

// ---- tap GEMMs on the phase planes -------------------------------------------------------------
// The column-matrix rows of one kernel tap over the channels of a group are slices of the phase
// planes at one offset: a (cig, columns) matrix whose leading dimension is the plane. So a GEMM
// can read its B operand straight from the planes, one GEMM per tap, instead of from a column
// matrix copied out of them; the backward input GEMMs add into the planes' gradient the same
// way. That saves writing and re-reading the K x columns column matrix and, backward, adding its
// rows back: per image 23-44% faster for ResNet's 3x3 layers of 16 to 64 channels, the same for
// its 64-channel weight gradient (one core, OpenBLAS 0.3.21, bench/conv_taps_bench). With few
// input channels per group the many thin GEMMs lose to one (6 channels: 4-21% slower), hence
// the floor.
constexpr int64_t kTapMinChannels = 8;

// The weight regrouped for tap GEMMs: (groups, taps, cog, cig), so each tap's (cog, cig) matrix
// is contiguous; taps = kH * kW (the depth is 1 on this path).
template <typename T>
std::vector<T> weight_by_tap(const ConvShape& s, const T* w) {
  const int64_t cig = s.in_channels / s.groups, cog = s.out_channels / s.groups, taps = s.kernel_volume();
  std::vector<T> by_tap(static_cast<size_t>(s.out_channels * cig * taps));
  for (int64_t grp = 0; grp < s.groups; ++grp)
    for (int64_t o = 0; o < cog; ++o)
      for (int64_t c = 0; c < cig; ++c)
        for (int64_t t = 0; t < taps; ++t)
          by_tap[static_cast<size_t>(((grp * taps + t) * cog + o) * cig + c)] = w[((grp * cog + o) * cig + c) * taps + t];
  return by_tap;
}

// ---- the column matrix of one image, either way -------------------------------------------------

// Per-image GEMM sizes: col is (in_channels * kernel volume, columns), group g's rows
// [g K, (g+1) K); columns = L, or the wide length. Leading dimensions are at least 1, as BLAS
// requires even when a size is 0. `taps`: wide columns read by tap GEMMs, never copied out.
struct Gemms {
  int64_t cig, cog, K, L, columns, x_size, y_size;
  bool wide, taps;
  Wide w;
  int64_t ld_k() const { return std::max<int64_t>(K, 1); }
  int64_t ld_c() const { return std::max<int64_t>(columns, 1); }
};

Gemms gemms(const ConvShape& s) {
  Gemms g;
  g.cig = s.in_channels / s.groups;
  g.cog = s.out_channels / s.groups;
  g.K = g.cig * s.kernel_volume();
  g.L = s.output_volume();
  g.x_size = s.in_channels * s.input_volume();
  g.y_size = s.out_channels * g.L;
  g.wide = use_wide(s) && !columns_are_input(s);
  g.taps = g.wide && g.cig >= kTapMinChannels;
  g.w = g.wide ? wide_geometry(s) : Wide{};
  g.columns = g.wide ? g.w.length : g.L;
  return g;
}

// Scratch of one thread's chunk of images, allocated once and reused for each image: the
// column matrix (none when it is the image itself or tap GEMMs read the phase planes), and for
// wide columns the phase planes and an output-sized (out_channels, columns) matrix.
template <typename T>
struct Scratch {
  std::vector<T> col, planes, out;
  Scratch(const ConvShape& s, const Gemms& g) {
    if (!columns_are_input(s) && !g.taps) col.resize(static_cast<size_t>(s.in_channels * s.kernel_volume() * g.columns));
    if (g.wide) {
      planes.resize(static_cast<size_t>(static_cast<int64_t>(g.w.phases.size()) * s.in_channels * g.w.plane));
      out.resize(static_cast<size_t>(s.out_channels * g.columns));
    }
  }
};

// The column matrix of image n: x_n itself, its vol2col, or its wide columns.
template <typename T>
const T* columns_of(const ConvShape& s, const Gemms& g, const T* x, int64_t n, Scratch<T>& scratch) {
  const T* image = x + n * g.x_size;
  if (scratch.col.empty()) return image;
  T* col = scratch.col.data();
  if (!g.wide) {
    vol2col(s, image, col);
    return col;
  }
  split_phases(s, g.w, image, scratch.planes.data());
  const T* planes = scratch.planes.data();
  for_each_wide_row(s, g.w, [&](int64_t row, int64_t offset) {
    std::copy_n(planes + offset, g.columns, col + row * g.columns);
  });
  return col;
}

// gy_n as the GEMMs see it: gy_n itself, or widened to (out_channels, columns) with zeros in
// the extra columns.
template <typename T>
const T* output_grad_of(const ConvShape& s, const Gemms& g, const T* gy, int64_t n, Scratch<T>& scratch) {
  const T* gyn = gy + n * g.y_size;
  if (!g.wide) return gyn;
  T* out = scratch.out.data();
  const int64_t out_h = s.output[1], out_w = s.output[2];
  for (int64_t o = 0; o < s.out_channels; ++o)
    for (int64_t oh = 0; oh < out_h; ++oh) {
      T* dst = out + o * g.columns + oh * g.w.width;
      copy_row(gyn + (o * out_h + oh) * out_w, out_w, dst);
      for (int64_t j = out_w; j < g.w.width; ++j) dst[j] = T(0);
    }
  return out;
}

// Number of image blocks the weight gradient is summed over: up to 8, so two to eight threads
// have work, while the partial sums (one weight-sized buffer per block) stay within 4M values.
// Depends on the shape only, never on the thread count.
int64_t weight_grad_blocks(int64_t batch, int64_t weight_size) {
  constexpr int64_t kMaxBlocks = 8, kPartialBudget = int64_t{1} << 22;
  const int64_t by_memory = std::max<int64_t>(1, kPartialBudget / std::max<int64_t>(weight_size, 1));
  return std::max<int64_t>(1, std::min({batch, kMaxBlocks, by_memory}));
}

}  // namespace

// ---- reference entry points -------------------------------------------------------------------

template <typename T>
void conv_forward_reference(const ConvShape& s, const T* x, const T* w, const T* b, T* y) {
  const int64_t L = s.output_volume();
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t o = 0; o < s.out_channels; ++o)
      std::fill_n(y + (n * s.out_channels + o) * L, L, b ? b[o] : T(0));
  for_each_product(s, [&](int64_t yi, int64_t wi, int64_t xi) { y[yi] += x[xi] * w[wi]; });
}

template <typename T>
void conv_backward_input_reference(const ConvShape& s, const T* gy, const T* w, T* gx) {
  std::fill_n(gx, s.batch * s.in_channels * s.input_volume(), T(0));
  for_each_product(s, [&](int64_t yi, int64_t wi, int64_t xi) { gx[xi] += gy[yi] * w[wi]; });
}

template <typename T>
void conv_backward_weight_reference(const ConvShape& s, const T* x, const T* gy, T* gw) {
  std::fill_n(gw, s.out_channels * (s.in_channels / s.groups) * s.kernel_volume(), T(0));
  for_each_product(s, [&](int64_t yi, int64_t wi, int64_t xi) { gw[wi] += gy[yi] * x[xi]; });
}

// ---- fast paths -------------------------------------------------------------------------------

template <typename T>
void conv_forward(const ConvShape& s, const T* x, const T* w, const T* b, T* y) {
  const Gemms g = gemms(s);
  const std::vector<T> by_tap = g.taps ? weight_by_tap(s, w) : std::vector<T>();
  const int64_t taps = s.kernel_volume();
  parallel_for(0, s.batch, 1, [&](int64_t first, int64_t last) {
    Scratch<T> scratch(s, g);
    for (int64_t n = first; n < last; ++n) {
      T* yn = y + n * g.y_size;
      T* out = g.wide ? scratch.out.data() : yn;
      if (g.taps) {  // out_g = sum over taps t of w_g,t (plane slice of tap t)
        split_phases(s, g.w, x + n * g.x_size, scratch.planes.data());
        for (int64_t grp = 0; grp < s.groups; ++grp)
          for (int64_t t = 0; t < taps; ++t)
            gemm(false, false, g.cog, g.columns, g.cig, T(1), by_tap.data() + (grp * taps + t) * g.cog * g.cig, g.cig,
                 scratch.planes.data() + grp * g.cig * g.w.plane + g.w.tap_offsets[static_cast<size_t>(t)], g.w.plane,
                 t == 0 ? T(0) : T(1), out + grp * g.cog * g.columns, g.ld_c());
      } else {
        const T* col = columns_of(s, g, x, n, scratch);
        for (int64_t grp = 0; grp < s.groups; ++grp)
          gemm(false, false, g.cog, g.columns, g.K, T(1), w + grp * g.cog * g.K, g.ld_k(),
               col + grp * g.K * g.columns, g.ld_c(), T(0), out + grp * g.cog * g.columns, g.ld_c());
      }
      if (g.wide) {  // keep the first oW of every Wp columns
        const int64_t out_h = s.output[1], out_w = s.output[2];
        for (int64_t o = 0; o < s.out_channels; ++o)
          for (int64_t oh = 0; oh < out_h; ++oh)
            copy_row(out + o * g.columns + oh * g.w.width, out_w, yn + (o * out_h + oh) * out_w);
      }
      if (b) add_channel_bias(1, s.out_channels, g.L, b, yn);
    }
  });
}

template <typename T>
void conv_backward_input(const ConvShape& s, const T* gy, const T* w, T* gx) {
  const Gemms g = gemms(s);
  const std::vector<T> by_tap = g.taps ? weight_by_tap(s, w) : std::vector<T>();
  const int64_t taps = s.kernel_volume();
  parallel_for(0, s.batch, 1, [&](int64_t first, int64_t last) {
    Scratch<T> scratch(s, g);
    for (int64_t n = first; n < last; ++n) {
      T* gxn = gx + n * g.x_size;
      const T* gyn = output_grad_of(s, g, gy, n, scratch);
      if (g.taps) {  // the plane slice of tap t += w_g,t^T gy_g, taps in order
        T* gplanes = scratch.planes.data();
        std::fill(scratch.planes.begin(), scratch.planes.end(), T(0));
        for (int64_t grp = 0; grp < s.groups; ++grp)
          for (int64_t t = 0; t < taps; ++t)
            gemm(true, false, g.cig, g.columns, g.cog, T(1), by_tap.data() + (grp * taps + t) * g.cog * g.cig, g.cig,
                 gyn + grp * g.cog * g.columns, g.ld_c(), T(1),
                 gplanes + grp * g.cig * g.w.plane + g.w.tap_offsets[static_cast<size_t>(t)], g.w.plane);
        merge_phases(s, g.w, gplanes, gxn);
        continue;
      }
      T* col = scratch.col.empty() ? gxn : scratch.col.data();  // 1x1 kernels: the columns are gx_n
      for (int64_t grp = 0; grp < s.groups; ++grp)
        gemm(true, false, g.K, g.columns, g.cog, T(1), w + grp * g.cog * g.K, g.ld_k(), gyn + grp * g.cog * g.columns,
             g.ld_c(), T(0), col + grp * g.K * g.columns, g.ld_c());
      if (g.wide) {
        // Each row adds back onto its slice of the phase planes (its extra columns hold zeros).
        T* gplanes = scratch.planes.data();
        std::fill(scratch.planes.begin(), scratch.planes.end(), T(0));
        for_each_wide_row(s, g.w, [&](int64_t row, int64_t offset) {
          const T* from = col + row * g.columns;
          T* to = gplanes + offset;
          for (int64_t j = 0; j < g.columns; ++j) to[j] += from[j];
        });
        merge_phases(s, g.w, gplanes, gxn);
      } else if (!scratch.col.empty()) {
        std::fill_n(gxn, g.x_size, T(0));
        col2vol(s, col, gxn);
      }
    }
  });
}

template <typename T>
void conv_backward_weight(const ConvShape& s, const T* x, const T* gy, T* gw) {
  const Gemms g = gemms(s);
  const int64_t weight_size = s.out_channels * g.K, taps = s.kernel_volume();
  if (s.batch == 0) {
    std::fill_n(gw, weight_size, T(0));
    return;
  }
  // Each block of images sums into its own buffer, running its images in order: block 0 into gw
  // (column GEMMs) or, for tap GEMMs, every block into partial[b] laid out as weight_by_tap's.
  const int64_t blocks = weight_grad_blocks(s.batch, weight_size);
  std::vector<T> partial(static_cast<size_t>((g.taps ? blocks : blocks - 1) * weight_size));
  parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
    Scratch<T> scratch(s, g);
    for (int64_t blk = first; blk < last; ++blk) {
      T* acc = g.taps ? partial.data() + blk * weight_size
                      : blk == 0 ? gw : partial.data() + (blk - 1) * weight_size;
      const int64_t n0 = s.batch * blk / blocks, n1 = s.batch * (blk + 1) / blocks;
      for (int64_t n = n0; n < n1; ++n) {
        const T* gyn = output_grad_of(s, g, gy, n, scratch);
        const T beta = n == n0 ? T(0) : T(1);
        if (g.taps) {  // gw_g,t += gy_g (plane slice of tap t)^T
          split_phases(s, g.w, x + n * g.x_size, scratch.planes.data());
          for (int64_t grp = 0; grp < s.groups; ++grp)
            for (int64_t t = 0; t < taps; ++t)
              gemm(false, true, g.cog, g.cig, g.columns, T(1), gyn + grp * g.cog * g.columns, g.ld_c(),
                   scratch.planes.data() + grp * g.cig * g.w.plane + g.w.tap_offsets[static_cast<size_t>(t)], g.w.plane, beta,
                   acc + (grp * taps + t) * g.cog * g.cig, g.cig);
          continue;
        }
        const T* col = columns_of(s, g, x, n, scratch);
        for (int64_t grp = 0; grp < s.groups; ++grp)
          gemm(false, true, g.cog, g.K, g.columns, T(1), gyn + grp * g.cog * g.columns, g.ld_c(),
               col + grp * g.K * g.columns, g.ld_c(), beta, acc + grp * g.cog * g.K, g.ld_k());
      }
    }
  });
  if (g.taps) {
    // gw (groups, cog, cig, taps) = ((block 0 + block 1) + block 2) + ..., back from tap order.
    parallel_for(0, s.groups * g.cog, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t row = lo; row < hi; ++row) {
        const int64_t grp = row / g.cog, o = row % g.cog;
        for (int64_t c = 0; c < g.cig; ++c)
          for (int64_t t = 0; t < taps; ++t) {
            const int64_t from = ((grp * taps + t) * g.cog + o) * g.cig + c;
            T sum = partial[static_cast<size_t>(from)];
            for (int64_t blk = 1; blk < blocks; ++blk) sum += partial[static_cast<size_t>(blk * weight_size + from)];
            gw[(row * g.cig + c) * taps + t] = sum;
          }
      }
    });
    return;
  }
  // gw = ((block 0 + block 1) + block 2) + ..., element by element.
  parallel_for(0, weight_size, 1 << 14, [&](int64_t lo, int64_t hi) {
    for (int64_t blk = 1; blk < blocks; ++blk) {
      const T* p = partial.data() + (blk - 1) * weight_size;
      for (int64_t e = lo; e < hi; ++e) gw[e] += p[e];
    }
  });
}

// ---- bias -------------------------------------------------------------------------------------

template <typename T>
void add_channel_bias(int64_t batch, int64_t channels, int64_t volume, const T* b, T* y) {
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      T* row = y + (n * channels + c) * volume;
      const T v = b[c];
      for (int64_t i = 0; i < volume; ++i) row[i] += v;
    }
}

template <typename T>
void channel_sums(int64_t batch, int64_t channels, int64_t volume, const T* gy, T* gb) {
  // The general reduction: eight accumulators per run (a serial chain of additions would be
  // latency-bound), float32 in double, a fixed order for any thread count.
  const ReducePlan plan = plan_reduce({batch, channels, volume}, {channels * volume, volume, 1}, {true, false, true});
  sum(gy, plan, gb);
}

#define NABLA_CONV_INSTANTIATE(T)                                                                  \
  template void conv_forward_reference<T>(const ConvShape&, const T*, const T*, const T*, T*);   \
  template void conv_backward_input_reference<T>(const ConvShape&, const T*, const T*, T*);      \
  template void conv_backward_weight_reference<T>(const ConvShape&, const T*, const T*, T*);     \
  template void conv_forward<T>(const ConvShape&, const T*, const T*, const T*, T*);             \
  template void conv_backward_input<T>(const ConvShape&, const T*, const T*, T*);                \
  template void conv_backward_weight<T>(const ConvShape&, const T*, const T*, T*);               \
  template void add_channel_bias<T>(int64_t, int64_t, int64_t, const T*, T*);                    \
  template void channel_sums<T>(int64_t, int64_t, int64_t, const T*, T*);

NABLA_CONV_INSTANTIATE(float)
NABLA_CONV_INSTANTIATE(double)
#undef NABLA_CONV_INSTANTIATE

}  // namespace nabla::kernels
