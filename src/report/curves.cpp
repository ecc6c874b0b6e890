// curves_svg: the training curves as two side-by-side panels, loss (train and validation) and
// accuracy in % (train and validation); a regression run shows the loss and validation R².
// Each panel has a grid, tick labels, the epoch on x and a legend; unmeasured (all-NaN) series
// are left out, NaN epochs of a measured series are skipped, and a series with a single
// measured epoch is drawn as a point.
#include "report/svg.hpp"

#include <nabla/report/report.hpp>

#include <algorithm>
#include <cmath>

namespace nabla::report {
namespace {

using namespace detail;

constexpr double kWidth = 960, kHeight = 320;
constexpr double kLeft = 58, kRight = 18, kTop = 44, kBottom = 46;  // plot area margins inside a panel

struct Series {
  std::string label, colour;
  std::vector<double> values;  // one per record, NaN where not measured
};

struct Panel {
  std::string title, unit;  // unit: "" or "%"
  std::vector<Series> series;
};

bool measured(const std::vector<double>& values) {
  return std::any_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

std::vector<double> scaled(std::vector<double> values, double factor) {
  for (double& v : values) v *= factor;
  return values;
}

// The panels a history calls for, each holding only its measured series.
std::vector<Panel> panels_for(const train::History& history) {
  auto add = [](Panel& p, const std::string& label, const char* colour, std::vector<double> values) {
    if (measured(values)) p.series.push_back({label, colour, std::move(values)});
  };
  std::vector<Panel> panels;
  Panel loss{"Loss", "", {}};
  add(loss, "train", kTrainColour, history.values("train_loss"));
  add(loss, "validation", kValColour, history.values("val_loss"));
  panels.push_back(std::move(loss));

  Panel acc{"Accuracy", "%", {}};
  add(acc, "train", kTrainColour, scaled(history.values("train_acc"), 100));
  add(acc, "validation", kValColour, scaled(history.values("val_acc"), 100));
  if (acc.series.empty()) {  // regression: R² when measured
    acc = Panel{"Validation R\xc2\xb2", "", {}};
    add(acc, "validation R\xc2\xb2", kValColour, history.values("val_r2"));
  }
  if (!acc.series.empty()) panels.push_back(std::move(acc));
  return panels;
}

// The legend, right-aligned at (right, y): a short line and the label per series.
std::string legend(const std::vector<Series>& series, double right, double y) {
  std::string s;
  double x = right;
  for (auto it = series.rbegin(); it != series.rend(); ++it) {
    const double text_width = 6.6 * static_cast<double>(it->label.size());
    x -= text_width;
    s += svg_text(x, y + 4, it->label, "start", 12, kMuted);
    x -= 24;
    s += "<line x1=\"" + px(x) + "\" y1=\"" + px(y) + "\" x2=\"" + px(x + 18) + "\" y2=\"" + px(y) +
         "\" stroke=\"" + it->colour + "\" stroke-width=\"2.5\" stroke-linecap=\"round\"/>\n";
    x -= 14;
  }
  return s;
}

std::string draw_panel(const Panel& panel, const std::vector<int64_t>& epochs, double x0, double width) {
  const double left = x0 + kLeft, right = x0 + width - kRight, top = kTop, bottom = kHeight - kBottom;
  double lo = INFINITY, hi = -INFINITY;
  for (const Series& s : panel.series)
    for (const double v : s.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  const double pad = 0.04 * (hi - lo > 0 ? hi - lo : std::max(std::fabs(hi), 1e-3) * 2);  // off the frame
  Axis y = value_axis(lo - pad, hi + pad, bottom, top, 5);
  if (panel.unit == "%" && y.ticks.back() > 100) y = value_axis(lo - pad, 100, bottom, top, 5);
  if (lo >= 0 && y.ticks.front() < 0) y = value_axis(0, y.ticks.back(), bottom, top, 5);  // no negative losses
  const auto [first, last] = std::minmax_element(epochs.begin(), epochs.end());
  const Axis x = integer_axis(*first, *last, left, right, 8);

  std::string s = "<g>\n";
  s += svg_text(left, 24, panel.title + (panel.unit.empty() ? "" : " (" + panel.unit + ")"), "start", 14, kInk,
                "font-weight=\"600\"");
  s += legend(panel.series, right, 20);
  for (const double t : y.ticks) {  // horizontal grid and y labels
    const double py = y.scale(t);
    s += "<line x1=\"" + px(left) + "\" y1=\"" + px(py) + "\" x2=\"" + px(right) + "\" y2=\"" + px(py) +
         "\" stroke=\"" + kGrid + "\" stroke-width=\"1\"/>\n";
    s += svg_text(left - 8, py + 4, tick_label(t, y.step), "end", 11, kMuted);
  }
  for (const double t : x.ticks) {  // x ticks and labels
    const double tx = x.scale(t);
    s += "<line x1=\"" + px(tx) + "\" y1=\"" + px(bottom) + "\" x2=\"" + px(tx) + "\" y2=\"" + px(bottom + 5) +
         "\" stroke=\"" + kMuted + "\" stroke-width=\"1\"/>\n";
    s += svg_text(tx, bottom + 18, tick_label(t, 1), "middle", 11, kMuted);
  }
  s += "<line x1=\"" + px(left) + "\" y1=\"" + px(bottom) + "\" x2=\"" + px(right) + "\" y2=\"" + px(bottom) +
       "\" stroke=\"#9ca3af\" stroke-width=\"1\"/>\n";
  s += svg_text((left + right) / 2, kHeight - 8, "epoch", "middle", 12, kMuted);

  const bool dots = epochs.size() <= 40;
  for (const Series& series : panel.series) {
    std::vector<std::pair<double, double>> points;
    for (size_t i = 0; i < series.values.size(); ++i)
      if (std::isfinite(series.values[i]))
        points.emplace_back(x.scale(static_cast<double>(epochs[i])), y.scale(series.values[i]));
    s += "<g class=\"series\" data-series=\"" + escape(series.label) + "\">\n";
    if (points.size() > 1) {
      s += "<polyline fill=\"none\" stroke=\"" + series.colour +
           "\" stroke-width=\"2.25\" stroke-linejoin=\"round\" stroke-linecap=\"round\" points=\"";
      for (size_t i = 0; i < points.size(); ++i) s += (i ? " " : "") + px(points[i].first) + "," + px(points[i].second);
      s += "\"/>\n";
    }
    if (points.size() == 1 || dots)
      for (const auto& [px_, py_] : points)
        s += "<circle cx=\"" + px(px_) + "\" cy=\"" + px(py_) + "\" r=\"" + (points.size() == 1 ? "4.5" : "3") +
             "\" fill=\"" + (points.size() == 1 ? series.colour : "#ffffff") + "\" stroke=\"" + series.colour +
             "\" stroke-width=\"1.75\"/>\n";
    s += "</g>\n";
  }
  return s + "</g>\n";
}

}  // namespace

std::string curves_svg(const train::History& history) {
  if (history.empty()) {
    std::string s = svg_open(kWidth, 120, "Training curves");
    s += "<rect x=\"0.5\" y=\"0.5\" width=\"959\" height=\"119\" rx=\"8\" fill=\"#f9fafb\" stroke=\"" +
         std::string(kGrid) + "\"/>\n";
    s += svg_text(kWidth / 2, 64, "No epochs recorded: there are no training curves to draw.", "middle", 14, kMuted);
    return s + "</svg>\n";
  }
  std::vector<int64_t> epochs;
  for (const train::EpochRecord& r : history.records()) epochs.push_back(r.epoch);
  const std::vector<Panel> panels = panels_for(history);
  std::string s = svg_open(kWidth, kHeight, "Training curves: loss and accuracy per epoch");
  const double panel_width = kWidth / static_cast<double>(panels.size());
  for (size_t i = 0; i < panels.size(); ++i)
    if (!panels[i].series.empty())
      s += draw_panel(panels[i], epochs, panel_width * static_cast<double>(i), panel_width);
    else
      s += svg_text(panel_width * (static_cast<double>(i) + 0.5), kHeight / 2, "No loss was measured.", "middle", 13,
                    kMuted);
  return s + "</svg>\n";
}

}  // namespace nabla::report
