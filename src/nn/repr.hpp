// Number formatting for modules' extra_repr(), so that printed models read exactly like
// PyTorch's (which formats with Python's repr: 0.5, 1.0, 1e-05, True).
#pragma once

#include <charconv>
#include <cmath>
#include <string>

namespace nabla::nn::repr {

/// Python's repr of a float: shortest round-trip digits, fixed notation for exponents in
/// [-4, 16) with at least one decimal ("1.0"), scientific otherwise ("1e-05").
inline std::string python_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  char* end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific).ptr;
  const std::string sci(buf, end);
  const int exponent = std::stoi(sci.substr(sci.find('e') + 1));
  if (exponent < -4 || exponent >= 16) return sci;
  end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed).ptr;
  std::string fixed(buf, end);
  if (fixed.find('.') == std::string::npos) fixed += ".0";
  return fixed;
}

/// A number PyTorch keeps as a Python int when it is integral (Softplus's beta=1), else a float.
inline std::string python_number(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return python_float(v);
}

inline const char* python_bool(bool b) { return b ? "True" : "False"; }

}  // namespace nabla::nn::repr
