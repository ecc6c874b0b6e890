// Shared pieces of the run report's writers: HTML/XML escaping, number formatting, "nice" axis
// ticks, colours (the palette, tints, the diverging map) and the SVG font stack. Internal to
// src/report/.
#pragma once

#include <nabla/tensor.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nabla::report::detail {

/// The font stack of every chart and of the page (no web fonts: the report works offline).
inline constexpr const char* kFontStack =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
inline constexpr const char* kTrainColour = "#2563eb";  // blue
inline constexpr const char* kValColour = "#ea580c";    // orange
inline constexpr const char* kInk = "#1f2937";          // text
inline constexpr const char* kMuted = "#6b7280";        // tick labels, captions
inline constexpr const char* kGrid = "#e5e7eb";         // grid lines, borders

/// `text` with & < > " ' replaced by entities: safe in HTML/SVG text and attribute values.
std::string escape(std::string_view text);

/// printf-style "%.{decimals}f"; "–" for NaN.
std::string fixed(double value, int decimals);
/// A loss, MSE, ... in 4 significant-ish digits: 0.3251, 12.41, 1.2e-05; "–" for NaN.
std::string number(double value);
/// A fraction as a percentage with 2 decimals: 0.8853 → "88.53 %"; "–" for NaN.
std::string percent(double fraction);
/// An integer with thousands separators: 12345 → "12,345".
std::string grouped(int64_t value);
/// A duration: "35 ms", "8.4 s", "2 min 05 s", "1 h 02 min".
std::string duration(double seconds);

/// A shape as PyTorch prints a size: "(256, 784)".
std::string shape_text(const Shape& shape);

/// Evenly spaced round tick values (steps of 1, 2, 2.5 or 5 × 10^k) whose first and last
/// values enclose [lo, hi]; about `target` intervals. A degenerate range is widened.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);
/// A tick label with just enough decimals for the ticks' spacing `step`.
std::string tick_label(double value, double step);

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};
/// "#rrggbb" → colour (the string is one of ours, so it is not validated).
Rgb parse_hex(std::string_view hex);
std::string to_hex(Rgb c);
/// a + (b - a) t, channel by channel, t in [0, 1].
Rgb mix(Rgb a, Rgb b, double t);
/// The colour of class `c` (10 distinct colours, repeating).
std::string class_colour(int64_t c);
/// Diverging blue-white-red map (ColorBrewer RdBu): t = -1 blue, 0 near-white, +1 red.
Rgb diverging(double t);

/// `name[c]`, or the index as text when names are missing.
std::string class_name(const std::vector<std::string>& names, int64_t c);

/// An image tensor ((C, H, W) with C = 1, 3 or 4, or (H, W)); uint8 in [0, 255] or floating in
/// [0, 1]) as row-major (H, W, C) bytes, each pixel repeated `scale` × `scale` times.
struct Pixels {
  std::vector<uint8_t> bytes;
  int64_t height = 0, width = 0, channels = 0;
};
Pixels image_pixels(const Tensor& image, int64_t scale);
/// Nearest-neighbour enlargement of row-major (H, W, C) bytes by an integer factor.
Pixels upscale(const Pixels& in, int64_t scale);

}  // namespace nabla::report::detail
