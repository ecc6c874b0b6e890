// In-place elementwise updates for optimisers and initialisers: add_, sub_, mul_, div_,
// addcmul_, addcdiv_, clamp_, sqrt_. They write through self's strides (self may be a view),
// never change self's shape, and are refused while they could corrupt a recorded graph.
#include "autograd/ops/elementwise.hpp"

#include "autograd/record.hpp"

namespace nabla {

using elementwise::for_row_blocks;
using elementwise::row_offset;
using elementwise::scalar_as;

namespace {

// Two elements of self at one address (an expanded view) would make the result depend on the
// order of the writes, so such a tensor cannot be written in place.
void check_writable(const char* op, const Tensor& self) {
  detail::check_defined(op, self);
  for (size_t d = 0; d < self.shape().size(); ++d)
    NABLA_CHECK(self.strides()[d] != 0 || self.shape()[d] <= 1, op, ": the tensor being written (shape ",
                self.shape(), ", strides ", self.strides(),
                ") has several elements at one memory location (an expanded view); clone() it first");
}

// An operand must match self's dtype and broadcast to self's shape (self never changes shape).
void check_operand(const char* op, const Tensor& self, const Tensor& other) {
  detail::check_defined(op, other);
  detail::check_same_dtype(op, self, other);
  const Shape& s = self.shape();
  const Shape& o = other.shape();
  bool ok = o.size() <= s.size();
  for (size_t i = 1; ok && i <= o.size(); ++i) ok = o[o.size() - i] == s[s.size() - i] || o[o.size() - i] == 1;
  NABLA_CHECK(ok, op, ": an operand of shape ", o, " cannot be broadcast to the shape ", s,
              " of the tensor updated in place");
}

// `other`, safe to read while self is written: a copy when it views self's storage through a
// different geometry (reading exactly the element being written is fine).
Tensor readable(const Tensor& self, const Tensor& other) {
  if (!other.shares_storage(self)) return other;
  if (other.storage_offset() == self.storage_offset() && other.shape() == self.shape() &&
      other.strides() == self.strides())
    return other;
  return other.detach().clone();
}

// self[i] = f(self[i], v) with v = scalar as T.
template <bool FloatingOnly, typename F>
void update1(const char* op, Tensor& self, double scalar, F f) {
  check_writable(op, self);
  auto run = [&]<typename T>() {
    const T v = scalar_as<T>(op, scalar);
    autograd::check_inplace(self);
    T* p = self.data_ptr<T>();
    const Shape& st = self.strides();
    for_row_blocks(self.shape(), [&](const Shape& block, int64_t r) {
      T* q = p + row_offset(st, r);
      kernels::map1(block, q, st, q, st, [f, v](T x) { return static_cast<T>(f(x, v)); });
    });
  };
  if constexpr (FloatingOnly) {
    kernels::dispatch_floating(self.dtype(), op, run);
  } else {
    kernels::dispatch(self.dtype(), run);
  }
}

// self[i] = f(self[i], other[i], v), other broadcast to self's shape.
template <bool FloatingOnly, typename F>
void update2(const char* op, Tensor& self, const Tensor& other, double scalar, F f) {
  check_writable(op, self);
  check_operand(op, self, other);
  auto run = [&]<typename T>() {
    const T v = scalar_as<T>(op, scalar);
    autograd::check_inplace(self, {other});
    const Tensor src = readable(self, other);
    T* p = self.data_ptr<T>();
    const T* y = src.data_ptr<T>();
    const Shape& st = self.strides();
    const Shape sy = detail::broadcast_strides(src, self.shape());
    for_row_blocks(self.shape(), [&](const Shape& block, int64_t r) {
      T* q = p + row_offset(st, r);
      kernels::map2(block, q, st, q, st, y + row_offset(sy, r), sy,
                    [f, v](T a, T b) { return static_cast<T>(f(a, b, v)); });
    });
  };
  if constexpr (FloatingOnly) {
    kernels::dispatch_floating(self.dtype(), op, run);
  } else {
    kernels::dispatch(self.dtype(), run);
  }
}

// self[i] = f(self[i], t1[i], t2[i], v), both operands broadcast to self's shape.
template <bool FloatingOnly, typename F>
void update3(const char* op, Tensor& self, const Tensor& t1, const Tensor& t2, double scalar, F f) {
  check_writable(op, self);
  check_operand(op, self, t1);
  check_operand(op, self, t2);
  auto run = [&]<typename T>() {
    const T v = scalar_as<T>(op, scalar);
    autograd::check_inplace(self, {t1, t2});
    const Tensor a = readable(self, t1);
    const Tensor b = readable(self, t2);
    T* p = self.data_ptr<T>();
    const T* pa = a.data_ptr<T>();
    const T* pb = b.data_ptr<T>();
    const Shape& st = self.strides();
    const Shape sa = detail::broadcast_strides(a, self.shape());
    const Shape sb = detail::broadcast_strides(b, self.shape());
    for_row_blocks(self.shape(), [&](const Shape& block, int64_t r) {
      T* q = p + row_offset(st, r);
      kernels::map3(block, q, st, q, st, pa + row_offset(sa, r), sa, pb + row_offset(sb, r), sb,
                    [f, v](T x, T y, T z) { return static_cast<T>(f(x, y, z, v)); });
    });
  };
  if constexpr (FloatingOnly) {
    kernels::dispatch_floating(self.dtype(), op, run);
  } else {
    kernels::dispatch(self.dtype(), run);
  }
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  update2<false>("add_", *this, other, alpha, [](auto x, auto y, auto a) { return x + a * y; });
  return *this;
}

Tensor& Tensor::add_(double other) {
  update1<false>("add_", *this, other, [](auto x, auto v) { return x + v; });
  return *this;
}

Tensor& Tensor::sub_(const Tensor& other, double alpha) {
  update2<false>("sub_", *this, other, alpha, [](auto x, auto y, auto a) { return x - a * y; });
  return *this;
}

Tensor& Tensor::sub_(double other) {
  update1<false>("sub_", *this, other, [](auto x, auto v) { return x - v; });
  return *this;
}

Tensor& Tensor::mul_(const Tensor& other) {
  update2<false>("mul_", *this, other, 1.0, [](auto x, auto y, auto) { return x * y; });
  return *this;
}

Tensor& Tensor::mul_(double other) {
  update1<false>("mul_", *this, other, [](auto x, auto v) { return x * v; });
  return *this;
}

Tensor& Tensor::div_(const Tensor& other) {
  update2<true>("div_", *this, other, 1.0, [](auto x, auto y, auto) { return x / y; });
  return *this;
}

Tensor& Tensor::div_(double other) {
  update1<true>("div_", *this, other, [](auto x, auto v) { return x / v; });
  return *this;
}

Tensor& Tensor::addcmul_(const Tensor& t1, const Tensor& t2, double value) {
  update3<false>("addcmul_", *this, t1, t2, value, [](auto x, auto a, auto b, auto v) { return x + v * a * b; });
  return *this;
}

Tensor& Tensor::addcdiv_(const Tensor& t1, const Tensor& t2, double value) {
  update3<true>("addcdiv_", *this, t1, t2, value, [](auto x, auto a, auto b, auto v) { return x + v * a / b; });
  return *this;
}

Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) {
  check_writable("clamp_", *this);
  NABLA_CHECK(min || max, "clamp_: at least one of min and max must be given (tensor of shape ", shape(), ")");
  kernels::dispatch(dtype(), [&]<typename T>() {
    const std::pair<T, T> bounds = elementwise::clamp_bounds<T>("clamp_", min, max);
    autograd::check_inplace(*this);
    T* p = data_ptr<T>();
    const Shape& st = strides();
    for_row_blocks(shape(), [&](const Shape& block, int64_t r) {
      T* q = p + row_offset(st, r);
      kernels::map1(block, q, st, q, st, [lo = bounds.first, hi = bounds.second](T x) {
        const T low = x < lo ? lo : x;
        return low > hi ? hi : low;
      });
    });
  });
  return *this;
}

Tensor& Tensor::sqrt_() {
  update1<true>("sqrt_", *this, 0.0, [](auto x, auto) { return std::sqrt(x); });
  return *this;
}

}  // namespace nabla
