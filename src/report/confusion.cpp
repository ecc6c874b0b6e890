// confusion_matrix_svg: a C×C heat map, rows the true class and columns the predicted one. The
// colour is row-normalised (the share of the true class), so a small class's errors show as
// clearly as a large one's; each cell holds its count (white on dark cells) and a tooltip.
#include "report/svg.hpp"

#include <nabla/error.hpp>
#include <nabla/report/report.hpp>

#include <algorithm>
#include <cmath>

namespace nabla::report {
namespace {

using namespace detail;

const Rgb kEmpty = parse_hex("#f8fafc");
const Rgb kLight = parse_hex("#dbeafe");
const Rgb kDark = parse_hex("#1e3a8a");

// Share of the row in [0, 1] → cell colour; a gentle power makes small shares visible.
Rgb heat(double share) {
  if (share <= 0) return kEmpty;
  return mix(kLight, kDark, std::pow(std::min(share, 1.0), 0.75));
}

double text_width(const std::string& s, double size) { return 0.58 * size * static_cast<double>(s.size()); }

}  // namespace

std::string confusion_matrix_svg(const Tensor& confusion, const std::vector<std::string>& class_names) {
  NABLA_CHECK(confusion.defined() && confusion.ndim() == 2 && confusion.size(0) == confusion.size(1) &&
                  confusion.size(0) > 0,
              "confusion_matrix_svg: expected a square C x C matrix, got ",
              confusion.defined() ? confusion.shape() : Shape{});
  const int64_t c = confusion.size(0);
  const std::vector<double> counts = confusion.to_vector<double>();
  auto at = [&](int64_t r, int64_t k) { return counts[static_cast<size_t>(r * c + k)]; };

  const double cell = std::clamp(350.0 / static_cast<double>(c), 14.0, 56.0);
  const double font = std::min(13.0, cell * 0.36);
  double longest = 0;
  for (int64_t k = 0; k < c; ++k) longest = std::max(longest, text_width(class_name(class_names, k), 12));
  longest = std::min(longest, 170.0);
  const double left = 36 + longest + 8, top = 12;
  const double grid = cell * static_cast<double>(c);
  const double bottom_labels = longest * 0.72 + 16;  // names rotated by -45 degrees
  const double bar_x = left + grid + 16;
  const double bar_h = std::max(grid, 100.0);
  const double width = bar_x + 60, height = top + std::max(grid + bottom_labels, bar_h) + 34;

  std::string s = svg_open(width, height, "Confusion matrix: rows true class, columns predicted class");
  for (int64_t r = 0; r < c; ++r) {
    double row_total = 0;
    for (int64_t k = 0; k < c; ++k) row_total += at(r, k);
    for (int64_t k = 0; k < c; ++k) {
      const double n = at(r, k), share = row_total > 0 ? n / row_total : 0;
      const double x = left + cell * static_cast<double>(k), y = top + cell * static_cast<double>(r);
      s += "<g><title>" + escape("true " + class_name(class_names, r) + ", predicted " + class_name(class_names, k) +
                                 ": " + grouped(static_cast<int64_t>(n)) + " (" + fixed(100 * share, 1) + " % of the row)") +
           "</title><rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(cell) + "\" height=\"" + px(cell) +
           "\" fill=\"" + to_hex(heat(share)) + "\" stroke=\"#ffffff\" stroke-width=\"1\"/>";
      if (cell >= 16) {
        const std::string fill = share > 0.45 ? "#ffffff" : n == 0 ? "#cbd5e1" : kInk;
        s += svg_text(x + cell / 2, y + cell / 2 + font * 0.36, grouped(static_cast<int64_t>(n)), "middle", font, fill,
                      r == k ? "font-weight=\"600\"" : "");
      }
      s += "</g>\n";
    }
  }
  for (int64_t k = 0; k < c; ++k) {  // class names: rows on the left, columns below (rotated)
    const std::string name = class_name(class_names, k);
    const double mid = cell * (static_cast<double>(k) + 0.5);
    s += svg_text(left - 8, top + mid + 4, name, "end", 12, kInk);
    const double lx = left + mid + 4, ly = top + grid + 10;
    s += svg_text(lx, ly, name, "end", 12, kInk,
                  "transform=\"rotate(-45 " + px(lx) + " " + px(ly) + ")\"");
  }
  s += svg_text(left + grid / 2, height - 8, "predicted class", "middle", 12, kMuted, "font-weight=\"600\"");
  const double ty = top + grid / 2;
  s += svg_text(16, ty, "true class", "middle", 12, kMuted,
                "font-weight=\"600\" transform=\"rotate(-90 16 " + px(ty) + ")\"");

  constexpr int kSteps = 24;  // the colour bar: 0 % at the bottom, 100 % at the top
  const double step_h = bar_h / kSteps;
  for (int i = 0; i < kSteps; ++i)
    s += "<rect x=\"" + px(bar_x) + "\" y=\"" + px(top + bar_h - step_h * (i + 1)) + "\" width=\"12\" height=\"" +
         px(step_h + 0.5) + "\" fill=\"" + to_hex(heat((i + 0.5) / kSteps)) + "\"/>\n";
  s += "<rect x=\"" + px(bar_x) + "\" y=\"" + px(top) + "\" width=\"12\" height=\"" + px(bar_h) +
       "\" fill=\"none\" stroke=\"" + kGrid + "\"/>\n";
  s += svg_text(bar_x + 16, top + 8, "100 %", "start", 11, kMuted);
  s += svg_text(bar_x + 16, top + bar_h, "0 %", "start", 11, kMuted);
  const double my = top + bar_h / 2;
  s += svg_text(bar_x + 50, my, "share of the row", "middle", 11, kMuted,
                "transform=\"rotate(90 " + px(bar_x + 50) + " " + px(my) + ")\"");
  return s + "</svg>\n";
}

}  // namespace nabla::report
