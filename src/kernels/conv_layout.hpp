// How an image becomes the operands of the convolution's GEMMs (internal to kernels/conv.cpp):
// vol2col / col2vol for any geometry, and for 1-D and 2-D convolutions the "wide" layout, the
// padded image split into phase planes whose slices are column-matrix rows. Plain loops over raw
// buffers; conv.cpp's fast paths combine them with GEMMs.
#pragma once

#include "kernels/conv.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace nabla::kernels::conv_layout {

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

inline Range valid_outputs(int64_t out, int64_t in, int64_t stride, int64_t offset) {
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
inline bool columns_are_input(const ConvShape& s) {
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
inline bool use_wide(const ConvShape& s) {
  return s.input[0] == 1 && s.kernel[0] == 1 && s.output[0] == 1 && s.padding[0] == 0;
}

inline Wide wide_geometry(const ConvShape& s) {
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

}  // namespace nabla::kernels::conv_layout
