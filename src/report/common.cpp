// Escaping, number formatting, axis ticks, colours and image conversion shared by the report's
// charts and page.
#include "report/common.hpp"

#include <nabla/error.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace nabla::report::detail {
namespace {

constexpr const char* kDash = "\xe2\x80\x93";  // en dash, for values not measured

std::string printf_double(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

uint8_t to_byte(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return std::isnan(value) ? kDash : (value > 0 ? "∞" : "-∞");
  char format[16];
  std::snprintf(format, sizeof format, "%%.%df", std::clamp(decimals, 0, 12));
  std::string s = printf_double(format, value);
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // no "-0.00"
  return s;
}

std::string number(double value) {
  if (!std::isfinite(value)) return fixed(value, 0);
  const double a = std::fabs(value);
  if (a == 0) return "0";
  if (a >= 1e5 || a < 1e-3) return printf_double("%.3g", value);
  if (a >= 100) return fixed(value, 1);
  if (a >= 10) return fixed(value, 2);
  return fixed(value, 4);
}

std::string percent(double fraction) {
  if (std::isnan(fraction)) return kDash;
  return fixed(100.0 * fraction, 2) + " %";
}

std::string grouped(int64_t value) {
  const std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return kDash;
  if (seconds < 1) return fixed(seconds * 1000, seconds < 0.01 ? 1 : 0) + " ms";
  if (seconds < 60) return fixed(seconds, seconds < 10 ? 1 : 0) + " s";
  const auto total = static_cast<int64_t>(std::lround(seconds));
  char buffer[48];
  if (total < 3600)
    std::snprintf(buffer, sizeof buffer, "%lld min %02lld s", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  else
    std::snprintf(buffer, sizeof buffer, "%lld h %02lld min", static_cast<long long>(total / 3600),
                  static_cast<long long>(total % 3600 / 60));
  return buffer;
}

std::string shape_text(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(hi))) {
    const double pad = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(target, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (const double m : {1.0, 2.0, 2.5, 5.0})
    if (m * magnitude >= raw * (1 - 1e-9)) {
      step = m * magnitude;
      break;
    }
  const double first = std::floor(lo / step + 1e-9) * step;
  const double last = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (int64_t i = 0; first + static_cast<double>(i) * step <= last + step * 1e-6; ++i) {
    const double t = first + static_cast<double>(i) * step;
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::string tick_label(double value, double step) {
  int decimals = 0;
  while (decimals < 8 && std::fabs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) >
                             1e-6 * std::pow(10.0, decimals))
    ++decimals;
  if (std::fabs(value) >= 1e5 || (std::fabs(value) > 0 && std::fabs(value) < 1e-4)) return printf_double("%g", value);
  return fixed(value, decimals);
}

Rgb parse_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  auto byte = [&](size_t i) { return static_cast<uint8_t>(nibble(hex[i]) * 16 + nibble(hex[i + 1])); };
  return {byte(1), byte(3), byte(5)};
}

std::string to_hex(Rgb c) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", c.r, c.g, c.b);
  return buffer;
}

Rgb mix(Rgb a, Rgb b, double t) {
  auto channel = [t](uint8_t x, uint8_t y) { return to_byte(x + (y - x) * t); };
  return {channel(a.r, b.r), channel(a.g, b.g), channel(a.b, b.b)};
}

std::string class_colour(int64_t c) {
  // Tailwind-like 600 shades, ordered so that neighbouring classes contrast.
  static constexpr std::array<const char*, 10> kPalette = {"#2563eb", "#ea580c", "#16a34a", "#dc2626", "#9333ea",
                                                           "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"};
  return kPalette[static_cast<size_t>(((c % 10) + 10) % 10)];
}

Rgb diverging(double t) {
  static const std::array<Rgb, 5> kStops = {parse_hex("#2166ac"), parse_hex("#92c5de"), parse_hex("#f7f7f7"),
                                            parse_hex("#f4a582"), parse_hex("#b2182b")};
  if (!std::isfinite(t)) t = 0;
  const double x = (std::clamp(t, -1.0, 1.0) + 1.0) * 2.0;  // [0, 4]
  const auto i = std::min<size_t>(3, static_cast<size_t>(x));
  return mix(kStops[i], kStops[i + 1], x - static_cast<double>(i));
}

std::string class_name(const std::vector<std::string>& names, int64_t c) {
  if (c >= 0 && static_cast<size_t>(c) < names.size() && !names[static_cast<size_t>(c)].empty())
    return names[static_cast<size_t>(c)];
  return std::to_string(c);
}

Pixels image_pixels(const Tensor& image, int64_t scale) {
  NABLA_CHECK(image.defined() && (image.ndim() == 2 || image.ndim() == 3), "report: expected an image of shape (H, W) or (C, H, W), got ",
              image.defined() ? image.shape() : Shape{});
  const int64_t c = image.ndim() == 3 ? image.size(0) : 1;
  NABLA_CHECK(c == 1 || c == 3 || c == 4, "report: an image needs 1, 3 or 4 channels, got shape ", image.shape());
  Pixels p;
  p.channels = c;
  p.height = image.size(-2);
  p.width = image.size(-1);
  const std::vector<double> values = image.to_vector<double>();  // (C, H, W) row-major
  const double unit = image.dtype() == DType::UInt8 || image.dtype() == DType::Int64 ? 1.0 : 255.0;
  p.bytes.resize(values.size());
  const int64_t plane = p.height * p.width;
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < plane; ++i)
      p.bytes[static_cast<size_t>(i * c + ch)] = to_byte(values[static_cast<size_t>(ch * plane + i)] * unit);
  return upscale(p, scale);
}

Pixels upscale(const Pixels& in, int64_t scale) {
  if (scale <= 1) return in;
  Pixels out{{}, in.height * scale, in.width * scale, in.channels};
  out.bytes.resize(static_cast<size_t>(out.height * out.width * out.channels));
  const auto c = static_cast<size_t>(in.channels);
  for (int64_t y = 0; y < out.height; ++y)
    for (int64_t x = 0; x < out.width; ++x) {
      const auto from = static_cast<size_t>((y / scale) * in.width + x / scale) * c;
      const auto to = static_cast<size_t>(y * out.width + x) * c;
      std::copy_n(in.bytes.begin() + static_cast<std::ptrdiff_t>(from), c,
                  out.bytes.begin() + static_cast<std::ptrdiff_t>(to));
    }
  return out;
}

}  // namespace nabla::report::detail
