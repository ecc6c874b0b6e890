// A few helpers for writing SVG by hand: coordinates with one decimal, the root element, text,
// and a linear axis mapping data values to pixels. Internal to src/report/.
#pragma once

#include "report/common.hpp"

#include <string>
#include <vector>

namespace nabla::report::detail {

/// A coordinate or length with at most one decimal ("12.5", "3").
std::string px(double v);
/// `<svg ...>` with a viewBox of width × height, the font stack and an accessible label.
std::string svg_open(double width, double height, const std::string& label);
/// `<text>` at (x, y); anchor "start", "middle" or "end"; `extra` holds further attributes.
std::string svg_text(double x, double y, const std::string& text, const std::string& anchor = "start",
                     double size = 12, const std::string& fill = kInk, const std::string& extra = "");

/// Maps [lo, hi] in data units onto [from, to] in pixels (to < from for a y axis).
struct Scale {
  double lo = 0, hi = 1, from = 0, to = 1;
  double operator()(double v) const { return from + (v - lo) / (hi - lo) * (to - from); }
};

/// Round ticks over [lo, hi] and the scale that spans them exactly.
struct Axis {
  std::vector<double> ticks;
  double step = 1;
  Scale scale;
};
/// A value axis: nice ticks enclosing the data; the axis spans the first to the last tick.
Axis value_axis(double lo, double hi, double from, double to, int target = 5);
/// A count axis (epochs): integer ticks inside [lo, hi]; a single value is centred.
Axis integer_axis(int64_t lo, int64_t hi, double from, double to, int target = 8);

}  // namespace nabla::report::detail
