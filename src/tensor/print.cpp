// PyTorch-style printing: "tensor([[ 0.1000, -2.0000], ...], requires_grad=True)". One format
// (integer-valued, fixed with 4 decimals, or scientific) is chosen for the whole tensor, every
// element padded to one width, and large tensors summarised with "..." as torch does past 1000.
#include "tensor/internal.hpp"

#include <nabla/autograd.hpp>

#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

namespace nabla {
namespace {

constexpr int64_t kSummariseAbove = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr size_t kLineWidth = 80;

struct Format {
  enum Kind { Integer, IntegerFloat, Fixed, Scientific } kind = Fixed;
  size_t width = 0;

  std::string operator()(double v) const {
    char buf[64];
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    switch (kind) {
      case Integer: std::snprintf(buf, sizeof buf, "%.0f", v); break;
      case IntegerFloat: std::snprintf(buf, sizeof buf, "%.0f.", v); break;
      case Fixed: std::snprintf(buf, sizeof buf, "%.4f", v); break;
      case Scientific: std::snprintf(buf, sizeof buf, "%.4e", v); break;
    }
    return buf;
  }
};

// Chooses the format from the finite values, following torch's _Formatter.
Format choose_format(const std::vector<double>& values, DType dtype) {
  Format f;
  if (!is_floating(dtype)) {
    f.kind = Format::Integer;
  } else {
    double max_abs = 0.0, min_abs = INFINITY;
    bool all_integer = true, any_finite = false;
    for (double v : values) {
      if (!std::isfinite(v)) continue;
      any_finite = true;
      all_integer = all_integer && v == std::nearbyint(v);
      const double a = std::abs(v);
      max_abs = std::max(max_abs, a);
      if (a != 0.0) min_abs = std::min(min_abs, a);
    }
    if (!any_finite) {
      f.kind = Format::Fixed;
    } else if (all_integer) {
      f.kind = max_abs > 1e8 ? Format::Scientific : Format::IntegerFloat;
    } else {
      const bool wide_range = min_abs != INFINITY && (max_abs / min_abs > 1000.0 || max_abs > 1e8 || min_abs < 1e-4);
      f.kind = wide_range ? Format::Scientific : Format::Fixed;
    }
  }
  for (double v : values) f.width = std::max(f.width, f(v).size());
  return f;
}

std::string pad(const std::string& s, size_t width) { return std::string(width > s.size() ? width - s.size() : 0, ' ') + s; }

bool summarise(const Tensor& t) { return t.numel() > kSummariseAbove; }

// Indices to show along a dimension of `size`: all, or the first and last kEdgeItems (-1 marks "...").
std::vector<int64_t> shown_indices(int64_t size, bool summarised) {
  std::vector<int64_t> idx;
  if (!summarised || size <= 2 * kEdgeItems) {
    for (int64_t i = 0; i < size; ++i) idx.push_back(i);
  } else {
    for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
    idx.push_back(-1);
    for (int64_t i = size - kEdgeItems; i < size; ++i) idx.push_back(i);
  }
  return idx;
}

void collect(const Tensor& t, bool summarised, std::vector<double>& out) {
  if (t.ndim() == 0) {
    out.push_back(t.item());
    return;
  }
  for (int64_t i : shown_indices(t.size(0), summarised))
    if (i >= 0) collect(t.select(0, i), summarised, out);
}

void write(std::ostream& os, const Tensor& t, const Format& f, bool summarised, size_t indent) {
  if (t.ndim() == 0) {
    os << pad(f(t.item()), f.width);
    return;
  }
  const std::vector<int64_t> idx = shown_indices(t.size(0), summarised);
  os << '[';
  if (t.ndim() == 1) {
    // Wrap long rows at the line width like torch.
    const size_t per_line = std::max<size_t>(1, (kLineWidth - indent) / (f.width + 2));
    for (size_t k = 0; k < idx.size(); ++k) {
      if (k) os << (k % per_line == 0 ? ",\n" + std::string(indent + 1, ' ') : ", ");
      os << (idx[k] < 0 ? pad("...", f.width) : pad(f(t.select(0, idx[k]).item()), f.width));
    }
  } else {
    const std::string separator = "," + std::string(static_cast<size_t>(t.ndim() - 1), '\n') + std::string(indent + 1, ' ');
    for (size_t k = 0; k < idx.size(); ++k) {
      if (k) os << separator;
      if (idx[k] < 0)
        os << "...";
      else
        write(os, t.select(0, idx[k]), f, summarised, indent + 1);
    }
  }
  os << ']';
}

}  // namespace

std::string Tensor::to_string() const {
  if (!defined()) return "tensor(undefined)";
  NoGradGuard no_grad;  // printing reads through views; it must not record anything
  std::ostringstream os;
  os << "tensor(";
  const bool summarised = summarise(*this);
  std::vector<double> values;
  collect(*this, summarised, values);
  const Format f = choose_format(values, dtype());
  if (numel() == 0) {
    os << "[]";
  } else {
    write(os, detach(), f, summarised, 7);  // 7 = strlen("tensor(")
  }
  if (numel() == 0 && ndim() > 1) os << ", size=" << detail::str(shape());
  if (dtype() != DType::Float32 && dtype() != DType::Int64) os << ", dtype=" << dtype();
  if (grad_fn())
    os << ", grad_fn=<" << grad_fn()->name << ">";
  else if (requires_grad())
    os << ", requires_grad=True";
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

}  // namespace nabla
