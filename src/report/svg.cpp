// SVG writing helpers shared by the curves, the confusion matrix and the decision boundary.
#include "report/svg.hpp"

#include <cmath>
#include <cstdio>

namespace nabla::report::detail {

std::string px(double v) {
  char buffer[32];
  const double r = std::round(v * 10) / 10;
  if (r == std::floor(r))
    std::snprintf(buffer, sizeof buffer, "%.0f", r == 0 ? 0.0 : r);
  else
    std::snprintf(buffer, sizeof buffer, "%.1f", r);
  return buffer;
}

std::string svg_open(double width, double height, const std::string& label) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"0 0 " +
         px(width) + " " + px(height) + "\" width=\"" + px(width) + "\" height=\"" + px(height) +
         "\" role=\"img\" aria-label=\"" + escape(label) + "\" font-family=\"" + escape(kFontStack) +
         "\" font-size=\"12\">\n";
}

std::string svg_text(double x, double y, const std::string& text, const std::string& anchor, double size,
                     const std::string& fill, const std::string& extra) {
  std::string s = "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\"";
  if (anchor != "start") s += " text-anchor=\"" + anchor + "\"";
  if (size != 12) s += " font-size=\"" + px(size) + "\"";
  s += " fill=\"" + fill + "\"";
  if (!extra.empty()) s += " " + extra;
  return s + ">" + escape(text) + "</text>\n";
}

Axis value_axis(double lo, double hi, double from, double to, int target) {
  Axis a;
  a.ticks = nice_ticks(lo, hi, target);
  a.step = a.ticks.size() > 1 ? a.ticks[1] - a.ticks[0] : 1;
  a.scale = {a.ticks.front(), a.ticks.back(), from, to};
  return a;
}

Axis integer_axis(int64_t lo, int64_t hi, double from, double to, int target) {
  Axis a;
  if (lo >= hi) {  // one value: in the middle
    a.ticks = {static_cast<double>(lo)};
    a.scale = {static_cast<double>(lo) - 1, static_cast<double>(lo) + 1, from, to};
    return a;
  }
  const std::vector<double> nice = nice_ticks(static_cast<double>(lo), static_cast<double>(hi), target);
  a.step = std::max(1.0, std::ceil(nice.size() > 1 ? nice[1] - nice[0] : 1.0));
  for (double t = std::ceil(static_cast<double>(lo) / a.step) * a.step; t <= static_cast<double>(hi); t += a.step)
    a.ticks.push_back(t);
  if (a.ticks.empty() || a.ticks.front() > static_cast<double>(lo) + a.step / 2)  // label the first epoch too
    a.ticks.insert(a.ticks.begin(), static_cast<double>(lo));
  a.scale = {static_cast<double>(lo), static_cast<double>(hi), from, to};
  return a;
}

}  // namespace nabla::report::detail
