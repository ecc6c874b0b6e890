// Factory functions: tensors from values, constants, ranges and the identity.
#include "tensor/internal.hpp"

#include "kernels/dispatch.hpp"

#include <cmath>
#include <cstring>

namespace nabla {
namespace {

template <typename T>
Tensor from_values(const std::vector<T>& values, const Shape& shape, DType dtype) {
  NABLA_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape), "tensor(): ", values.size(),
              " values do not fill shape ", shape, " (", shape_numel(shape), " elements)");
  Tensor out = empty(shape, dtype);
  kernels::dispatch(dtype, [&]<typename D>() {
    D* p = out.data_ptr<D>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<D>(values[i]);
  });
  return out;
}

void check_shape(const char* op, const Shape& shape) {
  for (int64_t s : shape) NABLA_CHECK(s >= 0, op, ": negative size in shape ", shape);
}

}  // namespace

Tensor tensor(std::initializer_list<float> values) {
  return from_values(std::vector<float>(values), {static_cast<int64_t>(values.size())}, DType::Float32);
}
Tensor tensor(const std::vector<float>& values, const Shape& shape) {
  return from_values(values, shape, DType::Float32);
}
Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype) {
  return from_values(values, shape, dtype);
}
Tensor tensor(const std::vector<int64_t>& values, const Shape& shape, DType dtype) {
  return from_values(values, shape, dtype);
}

Tensor scalar_tensor(double value, DType dtype) { return full({}, value, dtype); }

Tensor empty(const Shape& shape, DType dtype) {
  check_shape("empty", shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(shape_numel(shape)) * element_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor zeros(const Shape& shape, DType dtype) {
  Tensor out = empty(shape, dtype);
  std::memset(out.impl()->storage->data, 0, out.impl()->storage->nbytes);
  return out;
}

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor out = empty(shape, dtype);
  kernels::dispatch(dtype, [&]<typename T>() {
    T* p = out.data_ptr<T>();
    const T v = static_cast<T>(value);
    for (int64_t i = 0, n = out.numel(); i < n; ++i) p[i] = v;
  });
  return out;
}

Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, double value) { return full(t.shape(), value, t.dtype()); }

Tensor arange(double end, DType dtype) { return arange(0.0, end, 1.0, dtype); }

Tensor arange(double start, double end, double step, DType dtype) {
  NABLA_CHECK(step != 0.0, "arange: step must be nonzero");
  NABLA_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), "arange: bounds must be finite, got ",
              start, ", ", end, ", ", step);
  const double count = std::ceil((end - start) / step);
  const int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  Tensor out = empty({n}, dtype);
  kernels::dispatch(dtype, [&]<typename T>() {
    T* p = out.data_ptr<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return out;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  NABLA_CHECK(steps >= 0, "linspace: number of steps must be non-negative, got ", steps);
  Tensor out = empty({steps}, dtype);
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  kernels::dispatch(dtype, [&]<typename T>() {
    T* p = out.data_ptr<T>();
    // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
    const int64_t half = steps == 1 ? 1 : steps / 2;
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<T>(i < half ? start + step * static_cast<double>(i)
                                     : end - step * static_cast<double>(steps - 1 - i));
  });
  return out;
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  if (m < 0) m = n;
  NABLA_CHECK(n >= 0, "eye: n must be non-negative, got ", n);
  Tensor out = zeros({n, m}, dtype);
  kernels::dispatch(dtype, [&]<typename T>() {
    T* p = out.data_ptr<T>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = T(1);
  });
  return out;
}

}  // namespace nabla
