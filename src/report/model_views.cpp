// Pictures of a trained model: its first layer's weights as small images (a Linear on image
// inputs, or a convolution's filters) and, for 2-D inputs, its decision regions under the data.
#include "report/svg.hpp"

#include <nabla/autograd.hpp>
#include <nabla/error.hpp>
#include <nabla/report/report.hpp>

#include <algorithm>
#include <cmath>

namespace nabla::report {
namespace {

using namespace detail;

constexpr double kTargetPixels = 56;  // a weight picture's displayed size

// Puts a module back into the training mode it had, also when forward throws.
class ModeGuard {
public:
  explicit ModeGuard(nn::Module& m) : module_(m), was_training_(m.is_training()) {}
  ~ModeGuard() { module_.train(was_training_); }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

private:
  nn::Module& module_;
  bool was_training_;
};

bool is_weight(const std::string& name) { return name == "weight" || name.ends_with(".weight"); }

// One unit's picture: channels == 3 draws w / max|w| as RGB around mid-grey, otherwise the first
// channel through the diverging map. `w` is (channels, h, w) row-major.
Pixels unit_picture(const std::vector<float>& w, int64_t channels, int64_t h, int64_t wd) {
  const int64_t plane = h * wd;
  const bool rgb = channels == 3;
  const int64_t used = rgb ? 3 * plane : plane;
  double m = 0;
  for (int64_t i = 0; i < used; ++i) m = std::max(m, std::fabs(static_cast<double>(w[static_cast<size_t>(i)])));
  if (m == 0) m = 1;
  Pixels p{{}, h, wd, 3};
  p.bytes.resize(static_cast<size_t>(plane * 3));
  for (int64_t i = 0; i < plane; ++i) {
    auto* out = &p.bytes[static_cast<size_t>(i * 3)];
    if (rgb) {
      for (int64_t ch = 0; ch < 3; ++ch)
        out[ch] = static_cast<uint8_t>(
            std::lround(127.5 + 127.5 * static_cast<double>(w[static_cast<size_t>(ch * plane + i)]) / m));
    } else {
      const Rgb c = diverging(static_cast<double>(w[static_cast<size_t>(i)]) / m);
      out[0] = c.r, out[1] = c.g, out[2] = c.b;
    }
  }
  const auto scale = std::max<int64_t>(1, std::lround(kTargetPixels / static_cast<double>(std::max(h, wd))));
  return upscale(p, scale);
}

std::string picture_html(const Pixels& p, const std::string& caption, const std::string& tooltip) {
  return "<figure class=\"unit\" title=\"" + escape(tooltip) + "\"><img src=\"" +
         png_data_uri(encode_png(p.bytes, p.height, p.width, p.channels)) + "\" width=\"" +
         std::to_string(p.width) + "\" height=\"" + std::to_string(p.height) + "\" alt=\"" + escape(tooltip) +
         "\"><figcaption>" + escape(caption) + "</figcaption></figure>\n";
}

}  // namespace

std::string first_layer_weights_html(nn::Module& model, const Shape& input_shape, int64_t max_units) {
  std::string name;
  Tensor weight;
  for (const auto& [n, p] : model.named_parameters())
    if (is_weight(n) && p.defined() && p.ndim() >= 2) {
      name = n;
      weight = p.detach().to(DType::Float32).contiguous();
      break;
    }
  if (!weight.defined() || max_units <= 0) return "";

  int64_t channels = 0, h = 0, w = 0;
  std::string kind;
  if (weight.ndim() == 2) {  // Linear (out, in): its inputs must form an image of input_shape
    const bool image_like = (input_shape.size() == 2 && input_shape[0] > 1 && input_shape[1] > 1) ||
                            (input_shape.size() == 3 && input_shape[1] > 1 && input_shape[2] > 1);
    if (!image_like || shape_numel(input_shape) != weight.size(1)) return "";
    channels = input_shape.size() == 3 ? input_shape[0] : 1;
    h = input_shape[input_shape.size() - 2];
    w = input_shape[input_shape.size() - 1];
    kind = "unit";
  } else if (weight.ndim() == 4) {  // Conv2d (out, in, kh, kw)
    channels = weight.size(1);
    h = weight.size(2);
    w = weight.size(3);
    kind = "filter";
  } else {
    return "";
  }
  const int64_t units = weight.size(0), shown = std::min(units, max_units);
  const int64_t per_unit = weight.numel() / std::max<int64_t>(units, 1);
  const std::vector<float> values = weight.to_vector<float>();

  std::string html = "<div class=\"weights\">\n<p class=\"note\"><code>" + escape(name) + "</code> " +
                     escape(shape_text(weight.shape())) + ": " +
                     (shown < units ? "the first " + std::to_string(shown) + " of " : "all ") +
                     std::to_string(units) + " " + kind + "s, each drawn as a " + std::to_string(h) + "\xc3\x97" +
                     std::to_string(w) + " picture" +
                     (channels == 3 ? " in RGB (grey is zero)" : channels > 1 ? " of its first input channel" : "") +
                     ", scaled to its own largest |w|." +
                     (channels == 3 ? "" : " <span class=\"scale\">negative <span class=\"ramp\"></span> positive</span>") +
                     "</p>\n<div class=\"unit-grid\">\n";
  for (int64_t u = 0; u < shown; ++u) {
    const std::vector<float> unit(values.begin() + u * per_unit, values.begin() + (u + 1) * per_unit);
    double m = 0;
    for (const float v : unit) m = std::max(m, std::fabs(static_cast<double>(v)));
    html += picture_html(unit_picture(unit, channels, h, w), std::to_string(u),
                         kind + " " + std::to_string(u) + ", max |w| = " + number(m));
  }
  return html + "</div>\n</div>\n";
}

std::string decision_boundary_svg(nn::Module& model, const Tensor& points, const Tensor& point_labels,
                                  int64_t resolution, const std::vector<std::string>& class_names) {
  NABLA_CHECK(points.defined() && points.ndim() == 2 && points.size(1) == 2 && points.size(0) > 0,
              "decision_boundary_svg: expected (N, 2) points, got ", points.defined() ? points.shape() : Shape{});
  NABLA_CHECK(!point_labels.defined() || point_labels.numel() == points.size(0), "decision_boundary_svg: ",
              point_labels.defined() ? point_labels.numel() : 0, " labels for ", points.size(0), " points");
  NABLA_CHECK(resolution >= 2 && resolution <= 2000, "decision_boundary_svg: resolution must be in [2, 2000], got ",
              resolution);
  const std::vector<double> xy = points.to_vector<double>();
  const std::vector<int64_t> labels = point_labels.defined() ? point_labels.to_vector<int64_t>() : std::vector<int64_t>{};
  const auto n = static_cast<size_t>(points.size(0));

  // The points' bounding box plus a 10 % margin on every side.
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (size_t i = 0; i < n; ++i)
    for (size_t d = 0; d < 2; ++d)
      if (std::isfinite(xy[2 * i + d])) lo[d] = std::min(lo[d], xy[2 * i + d]), hi[d] = std::max(hi[d], xy[2 * i + d]);
  for (size_t d = 0; d < 2; ++d) {
    if (!(lo[d] <= hi[d])) lo[d] = 0, hi[d] = 1;
    const double margin = hi[d] > lo[d] ? 0.1 * (hi[d] - lo[d]) : 1.0;
    lo[d] -= margin;
    hi[d] += margin;
  }

  // The model's class at each cell centre; row 0 is the top (largest x2).
  const int64_t r = resolution;
  std::vector<float> grid(static_cast<size_t>(r * r * 2));
  for (int64_t row = 0; row < r; ++row)
    for (int64_t col = 0; col < r; ++col) {
      const auto i = static_cast<size_t>(row * r + col) * 2;
      grid[i] = static_cast<float>(lo[0] + (static_cast<double>(col) + 0.5) / static_cast<double>(r) * (hi[0] - lo[0]));
      grid[i + 1] = static_cast<float>(hi[1] - (static_cast<double>(row) + 0.5) / static_cast<double>(r) * (hi[1] - lo[1]));
    }
  Tensor output;
  {
    ModeGuard mode(model);
    NoGradGuard no_grad;
    model.eval();
    output = model.forward(tensor(grid, Shape{r * r, 2}));
  }
  NABLA_CHECK(output.numel() % (r * r) == 0 && output.numel() > 0, "decision_boundary_svg: the model's output of shape ",
              output.shape(), " does not give one prediction per grid point (", r * r, ")");
  const int64_t outputs = output.numel() / (r * r);
  std::vector<int64_t> cls;
  if (outputs == 1) {
    for (const double v : output.to_vector<double>()) cls.push_back(v > 0 ? 1 : 0);
  } else {
    cls = output.reshape({r * r, outputs}).argmax(1).to_vector<int64_t>();
  }
  int64_t classes = std::max<int64_t>(outputs, 2);
  for (const int64_t l : labels) classes = std::max(classes, l + 1);

  // Light tints of the class colours, a darker tint where the class changes (the boundary).
  std::vector<uint8_t> rgb(static_cast<size_t>(r * r * 3));
  const Rgb white{255, 255, 255};
  for (int64_t row = 0; row < r; ++row)
    for (int64_t col = 0; col < r; ++col) {
      const int64_t c = cls[static_cast<size_t>(row * r + col)];
      const bool edge = (col + 1 < r && cls[static_cast<size_t>(row * r + col + 1)] != c) ||
                        (row + 1 < r && cls[static_cast<size_t>((row + 1) * r + col)] != c);
      const Rgb tint = mix(parse_hex(class_colour(c)), white, edge ? 0.45 : 0.8);
      auto* p = &rgb[static_cast<size_t>(row * r + col) * 3];
      p[0] = tint.r, p[1] = tint.g, p[2] = tint.b;
    }

  constexpr double kLeft = 56, kTop = 44, kSize = 440, kBottom = 48, kRight = 20;
  const Scale sx{lo[0], hi[0], kLeft, kLeft + kSize}, sy{lo[1], hi[1], kTop + kSize, kTop};
  std::string s = svg_open(kLeft + kSize + kRight, kTop + kSize + kBottom, "Decision regions of the model over x1, x2");
  s += "<image x=\"" + px(kLeft) + "\" y=\"" + px(kTop) + "\" width=\"" + px(kSize) + "\" height=\"" + px(kSize) +
       "\" preserveAspectRatio=\"none\" xlink:href=\"" + png_data_uri(encode_png(rgb, r, r, 3)) + "\"/>\n";
  s += "<rect x=\"" + px(kLeft) + "\" y=\"" + px(kTop) + "\" width=\"" + px(kSize) + "\" height=\"" + px(kSize) +
       "\" fill=\"none\" stroke=\"#9ca3af\"/>\n";
  for (size_t d = 0; d < 2; ++d) {  // ticks inside the range, labels outside the frame
    const std::vector<double> ticks = nice_ticks(lo[d], hi[d], 6);
    const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
    for (const double t : ticks) {
      if (t < lo[d] || t > hi[d]) continue;
      if (d == 0) {
        const double x = sx(t);
        s += "<line x1=\"" + px(x) + "\" y1=\"" + px(kTop + kSize) + "\" x2=\"" + px(x) + "\" y2=\"" +
             px(kTop + kSize + 5) + "\" stroke=\"" + kMuted + "\"/>\n";
        s += svg_text(x, kTop + kSize + 18, tick_label(t, step), "middle", 11, kMuted);
      } else {
        const double y = sy(t);
        s += "<line x1=\"" + px(kLeft - 5) + "\" y1=\"" + px(y) + "\" x2=\"" + px(kLeft) + "\" y2=\"" + px(y) +
             "\" stroke=\"" + kMuted + "\"/>\n";
        s += svg_text(kLeft - 8, y + 4, tick_label(t, step), "end", 11, kMuted);
      }
    }
  }
  s += svg_text(kLeft + kSize / 2, kTop + kSize + 40, "x1", "middle", 12, kMuted, "font-weight=\"600\"");
  s += svg_text(16, kTop + kSize / 2, "x2", "middle", 12, kMuted,
                "font-weight=\"600\" transform=\"rotate(-90 16 " + px(kTop + kSize / 2) + ")\"");

  // The points (at most 3000, evenly picked), dark-outlined, in their true class's colour.
  const size_t stride = std::max<size_t>(1, (n + 2999) / 3000);
  const std::string radius = n > 600 ? "2.6" : "3.6";
  s += "<g stroke=\"#111827\" stroke-width=\"0.7\" fill-opacity=\"0.9\">\n";
  for (size_t i = 0; i < n; i += stride) {
    if (!std::isfinite(xy[2 * i]) || !std::isfinite(xy[2 * i + 1])) continue;
    const std::string fill = labels.empty() ? std::string(kMuted) : class_colour(labels[i]);
    s += "<circle cx=\"" + px(sx(xy[2 * i])) + "\" cy=\"" + px(sy(xy[2 * i + 1])) + "\" r=\"" + radius +
         "\" fill=\"" + fill + "\"/>\n";
  }
  s += "</g>\n";

  double x = kLeft;  // legend above the plot
  for (int64_t c = 0; c < classes && c < 10; ++c) {
    const std::string label = class_name(class_names, c);
    s += "<rect x=\"" + px(x) + "\" y=\"14\" width=\"14\" height=\"14\" rx=\"3\" fill=\"" +
         to_hex(mix(parse_hex(class_colour(c)), white, 0.8)) + "\" stroke=\"#d1d5db\"/>\n";
    s += "<circle cx=\"" + px(x + 7) + "\" cy=\"21\" r=\"3.6\" fill=\"" + class_colour(c) +
         "\" stroke=\"#111827\" stroke-width=\"0.7\"/>\n";
    s += svg_text(x + 20, 25, label, "start", 12, kInk);
    x += 34 + 6.6 * static_cast<double>(label.size());
  }
  return s + "</svg>\n";
}

}  // namespace nabla::report
