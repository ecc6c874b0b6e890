// Shape arithmetic shared by every layer: element counts, strides, broadcasting.
#include <nabla/error.hpp>
#include <nabla/shape.hpp>

#include <algorithm>

namespace nabla {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    NABLA_CHECK(da == db || da == 1 || db == 1, "shapes ", a, " and ", b, " cannot be broadcast together (dimension ", i,
                " of the broadcast shape: ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  const int64_t lo = ndim == 0 ? -1 : -ndim;
  const int64_t hi = ndim == 0 ? 0 : ndim - 1;
  NABLA_CHECK(dim >= lo && dim <= hi, "dimension ", dim, " out of range for a ", ndim, "-D tensor (expected ", lo,
              " to ", hi, ")");
  return dim < 0 ? dim + std::max<int64_t>(ndim, 1) : dim;
}

namespace detail {
void throw_error(const char* file, int line, const std::string& message) {
  // Strip the directory prefix: "tensor.cpp:42" is enough to find the check.
  std::string path(file);
  const auto slash = path.find("src/");
  if (slash != std::string::npos) path = path.substr(slash + 4);
  // Message first: it is what a user acts on; the location helps whoever reports it.
  throw Error(message + " [" + path + ":" + std::to_string(line) + "]");
}
}  // namespace detail

}  // namespace nabla
