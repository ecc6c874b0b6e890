// Random tensors. Values are drawn in row-major order from one Generator, single-threaded,
// so the same seed gives the same tensor on any machine and any thread count.
#include "tensor/internal.hpp"

#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"

namespace nabla {
namespace {

Generator& or_default(Generator* g) { return g ? *g : default_generator(); }

// Writes f(generator) into every element of t in row-major order.
template <typename F>
void fill_random(Tensor& t, F&& draw) {
  kernels::dispatch(t.dtype(), [&]<typename T>() {
    Tensor target = t.is_contiguous() ? t : empty(t.shape(), t.dtype());
    T* p = target.data_ptr<T>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<T>(draw());
    if (!target.is_same(t)) detail::copy_into(t, target);
  });
}

}  // namespace

Tensor& Tensor::uniform_(double low, double high, Generator* generator) {
  NABLA_CHECK(low <= high, "uniform_: low (", low, ") must not exceed high (", high, ")");
  NABLA_CHECK(is_floating(dtype()), "uniform_: expected a floating-point tensor, got ", dtype());
  autograd::check_inplace(*this);
  Generator& g = or_default(generator);
  const bool single = dtype() == DType::Float32;
  fill_random(*this, [&] {
    const double u = single ? static_cast<double>(g.uniform_float()) : g.uniform_double();
    return low + (high - low) * u;
  });
  return *this;
}

Tensor& Tensor::normal_(double mean, double std, Generator* generator) {
  NABLA_CHECK(std >= 0.0, "normal_: std must be non-negative, got ", std);
  NABLA_CHECK(is_floating(dtype()), "normal_: expected a floating-point tensor, got ", dtype());
  autograd::check_inplace(*this);
  Generator& g = or_default(generator);
  fill_random(*this, [&] { return mean + std * g.normal(); });
  return *this;
}

Tensor rand(const Shape& shape, DType dtype) { return rand(shape, default_generator(), dtype); }
Tensor rand(const Shape& shape, Generator& generator, DType dtype) {
  Tensor out = empty(shape, dtype);
  out.uniform_(0.0, 1.0, &generator);
  return out;
}

Tensor randn(const Shape& shape, DType dtype) { return randn(shape, default_generator(), dtype); }
Tensor randn(const Shape& shape, Generator& generator, DType dtype) {
  Tensor out = empty(shape, dtype);
  out.normal_(0.0, 1.0, &generator);
  return out;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype) {
  return randint(low, high, shape, default_generator(), dtype);
}
Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& generator, DType dtype) {
  NABLA_CHECK(low < high, "randint: low (", low, ") must be less than high (", high, ")");
  Tensor out = empty(shape, dtype);
  fill_random(out, [&] { return generator.randint(low, high); });
  return out;
}

Tensor bernoulli(const Tensor& p) { return bernoulli(p, default_generator()); }
Tensor bernoulli(const Tensor& p, Generator& generator) {
  const Tensor probs = p.to(DType::Float64).contiguous();
  const double* q = probs.data_ptr<double>();
  for (int64_t i = 0; i < probs.numel(); ++i)
    NABLA_CHECK(q[i] >= 0.0 && q[i] <= 1.0, "bernoulli: probability ", q[i], " at element ", i, " is outside [0, 1]");
  Tensor out = empty(p.shape(), p.dtype());
  int64_t i = 0;
  fill_random(out, [&] { return generator.uniform_double() < q[i++] ? 1.0 : 0.0; });
  return out;
}

Tensor bernoulli(const Shape& shape, double p, DType dtype) { return bernoulli(shape, p, default_generator(), dtype); }
Tensor bernoulli(const Shape& shape, double p, Generator& generator, DType dtype) {
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "bernoulli: probability ", p, " is outside [0, 1]");
  Tensor out = empty(shape, dtype);
  fill_random(out, [&] { return generator.uniform_double() < p ? 1.0 : 0.0; });
  return out;
}

Tensor randperm(int64_t n) { return randperm(n, default_generator()); }
Tensor randperm(int64_t n, Generator& generator) {
  NABLA_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  Tensor out = arange(0.0, static_cast<double>(n), 1.0, DType::Int64);
  int64_t* p = out.data_ptr<int64_t>();
  // Fisher-Yates from the end.
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[generator.randint(0, i + 1)]);
  return out;
}

}  // namespace nabla
