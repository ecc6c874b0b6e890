// nabla::Tensor: an N-d strided view onto shared storage, plus the autograd metadata
// (requires_grad, grad, grad_fn) that lets every op below record itself for backward().
//
//   auto x = nabla::tensor({-2.0f}).requires_grad_();
//   auto f = (x + 5) * -4;   // builds the graph
//   f.backward();            // x.grad().item() == -4
//
// Tensors are cheap handles: copying one shares the data (as in PyTorch). Views
// (reshape of contiguous data, transpose, permute, narrow, squeeze, unsqueeze, expand)
// share storage too; clone() and contiguous() copy when needed.
#pragma once

#include <nabla/dtype.hpp>
#include <nabla/error.hpp>
#include <nabla/generator.hpp>
#include <nabla/shape.hpp>

#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nabla {

namespace autograd {
struct Node;
}

/// Reference-counted, 64-byte aligned buffer. `version` counts in-place writes so that
/// autograd can tell when a tensor saved for backward was overwritten.
struct Storage {
  explicit Storage(size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data = nullptr;
  size_t nbytes = 0;
  uint64_t version = 0;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;

  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<autograd::Node> grad_fn;  // null for leaves
  std::weak_ptr<autograd::Node> grad_accumulator;  // a leaf's AccumulateGrad node, made on demand
};

class Tensor {
public:
  /// An undefined tensor (like a default torch::Tensor); most calls on it throw.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  /// True when both handles refer to the same tensor object (not merely equal values).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- metadata ---------------------------------------------------------------
  const Shape& shape() const;
  const Shape& strides() const;
  /// Size of dimension `dim` (negative counts from the end).
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t numel() const;
  int64_t ndim() const;
  int64_t dim() const { return ndim(); }
  DType dtype() const;
  int64_t storage_offset() const;
  bool is_contiguous() const;
  /// True when both tensors view the same storage.
  bool shares_storage(const Tensor& other) const;

  // ---- raw data -----------------------------------------------------------------
  /// Pointer to the first element; T must match dtype() (checked).
  template <typename T> T* data_ptr() const;
  /// The single value of a one-element tensor, converted to double.
  double item() const;
  template <typename T> T item() const { return static_cast<T>(item()); }
  /// All elements in row-major order, converted to T.
  template <typename T = float> std::vector<T> to_vector() const;

  // ---- autograd -----------------------------------------------------------------
  /// Marks a leaf tensor as a variable whose gradient backward() accumulates.
  Tensor& requires_grad_(bool requires_grad = true);
  bool requires_grad() const;
  /// The accumulated gradient (undefined until a backward reaches this tensor).
  Tensor grad() const;
  /// Replaces the gradient; pass Tensor() to clear it (PyTorch's `p.grad = None`).
  void set_grad(const Tensor& grad) const;
  /// Leaves are tensors created by the user rather than by a recorded op.
  bool is_leaf() const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  /// Reverse-mode differentiation from this tensor. Without `gradient` the tensor must have one
  /// element; the graph is released afterwards unless `retain_graph`.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  /// Same data, cut from the graph.
  Tensor detach() const;

  // ---- copies and conversion ------------------------------------------------------
  Tensor clone() const;
  Tensor contiguous() const;
  /// Converts to another dtype (a copy unless it already has it).
  Tensor to(DType dtype) const;

  // ---- views ---------------------------------------------------------------------
  /// Same data, new shape; one size may be -1. Throws when the strides do not allow a view.
  Tensor view(const Shape& shape) const;
  /// A view when possible, otherwise a copy (torch.reshape).
  Tensor reshape(const Shape& shape) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  /// Transpose of a 2-D tensor (no-op for 0-D and 1-D).
  Tensor t() const;
  Tensor permute(const Shape& dims) const;
  /// Elements [start, start + length) along `dim`.
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  /// Elements start, start+step, ... < end along `dim` (Python's x[start:end:step]).
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  /// Removes dimension `dim` by taking element `index` (Python's x[index] along dim).
  Tensor select(int64_t dim, int64_t index) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  /// Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a size).
  Tensor expand(const Shape& shape) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  /// Sums broadcast dimensions away so the result has `shape` (the adjoint of expand).
  Tensor sum_to_size(const Shape& shape) const;

  // ---- elementwise (NumPy broadcasting) ------------------------------------------------
  Tensor add(const Tensor& other) const;
  Tensor add(double other) const;
  Tensor sub(const Tensor& other) const;
  Tensor sub(double other) const;
  Tensor mul(const Tensor& other) const;
  Tensor mul(double other) const;
  Tensor div(const Tensor& other) const;
  Tensor div(double other) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(double exponent) const;
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  /// -1, 0 or +1 (gradient zero everywhere).
  Tensor sign() const;
  Tensor square() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor relu() const;
  /// Limits to [min, max]; either bound may be absent. Gradient passes where the value is inside.
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;
  Tensor clamp_min(double min) const { return clamp(min, std::nullopt); }
  Tensor clamp_max(double max) const { return clamp(std::nullopt, max); }

  // Comparisons return masks: 1 where true, 0 where false, in the operands' dtype, so a mask
  // multiplies directly. They are not differentiable.
  Tensor eq(const Tensor& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor le(const Tensor& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor eq(double other) const;
  Tensor ne(double other) const;
  Tensor lt(double other) const;
  Tensor le(double other) const;
  Tensor gt(double other) const;
  Tensor ge(double other) const;
  /// Masks of NaN, of ±infinity, and of finite values (all 1 for an integer tensor's isfinite).
  Tensor isnan() const;
  Tensor isinf() const;
  Tensor isfinite() const;

  // ---- in place (for optimisers and initialisers; refused while they would corrupt a graph) ----
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(double other);
  Tensor& sub_(const Tensor& other, double alpha = 1.0);
  Tensor& sub_(double other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(double other);
  /// self += value * t1 * t2
  Tensor& addcmul_(const Tensor& t1, const Tensor& t2, double value = 1.0);
  /// self += value * t1 / t2
  Tensor& addcdiv_(const Tensor& t1, const Tensor& t2, double value = 1.0);
  Tensor& clamp_(std::optional<double> min, std::optional<double> max);
  Tensor& sqrt_();
  Tensor& zero_();
  Tensor& fill_(double value);
  /// Copies `src` (broadcast to this shape, converted to this dtype) into this tensor.
  Tensor& copy_(const Tensor& src);
  /// Fills with draws from U[low, high) / N(mean, std) (for initialisers).
  Tensor& uniform_(double low = 0.0, double high = 1.0, Generator* generator = nullptr);
  Tensor& normal_(double mean = 0.0, double std = 1.0, Generator* generator = nullptr);

  // ---- reductions ------------------------------------------------------------------
  Tensor sum() const;
  Tensor sum(int64_t dim, bool keepdim = false) const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(int64_t dim, bool keepdim = false) const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  Tensor max() const;
  Tensor max(int64_t dim, bool keepdim = false) const;
  Tensor min() const;
  Tensor min(int64_t dim, bool keepdim = false) const;
  /// Index of the largest element of the flattened tensor (int64, first one on ties).
  Tensor argmax() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin() const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  /// Variance with Bessel's correction by default (correction = 1), as torch.var.
  Tensor var(int64_t correction = 1) const;
  Tensor var(const Shape& dims, int64_t correction = 1, bool keepdim = false) const;
  Tensor std(int64_t correction = 1) const;
  Tensor std(const Shape& dims, int64_t correction = 1, bool keepdim = false) const;
  Tensor logsumexp(int64_t dim, bool keepdim = false) const;
  Tensor logsumexp(const Shape& dims, bool keepdim = false) const;
  /// exp(x - max) / sum: stable for large inputs.
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // ---- linear algebra and indexing -----------------------------------------------------
  /// torch.matmul: 1-D, 2-D and batched with broadcast batch dimensions, through BLAS.
  Tensor matmul(const Tensor& other) const;
  /// Rows (or slices along `dim`) picked by an int64 index vector.
  Tensor index_select(int64_t dim, const Tensor& index) const;
  /// out[i][j] = self[index[i][j]][j] for dim 0 (torch.gather).
  Tensor gather(int64_t dim, const Tensor& index) const;
  /// Copy of self with src added at the positions given by index along dim (torch.scatter_add).
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;

  // ---- printing ------------------------------------------------------------------------
  /// PyTorch-style text, e.g. "tensor([1., 2.], requires_grad=True)".
  std::string to_string() const;

private:
  std::shared_ptr<TensorImpl> impl_;
};

// ---- creation ---------------------------------------------------------------------------
/// 1-D tensor from values (float32).
Tensor tensor(std::initializer_list<float> values);
/// Tensor of `shape` from row-major values; values.size() must equal the shape's numel.
Tensor tensor(const std::vector<float>& values, const Shape& shape);
Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype = DType::Float64);
Tensor tensor(const std::vector<int64_t>& values, const Shape& shape, DType dtype = DType::Int64);
/// 0-D tensor holding `value`.
Tensor scalar_tensor(double value, DType dtype = DType::Float32);
/// Uninitialised contiguous tensor (for kernels that write every element).
Tensor empty(const Shape& shape, DType dtype = DType::Float32);
Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
Tensor ones(const Shape& shape, DType dtype = DType::Float32);
Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
/// start, start+step, ... < end.
Tensor arange(double end, DType dtype = DType::Float32);
Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::Float32);
/// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, DType dtype = DType::Float32);
/// n x m identity (m = n by default).
Tensor eye(int64_t n, int64_t m = -1, DType dtype = DType::Float32);

// Random tensors draw from `generator`, or from default_generator() (see manual_seed).
Tensor rand(const Shape& shape, DType dtype = DType::Float32);
Tensor rand(const Shape& shape, Generator& generator, DType dtype = DType::Float32);
Tensor randn(const Shape& shape, DType dtype = DType::Float32);
Tensor randn(const Shape& shape, Generator& generator, DType dtype = DType::Float32);
/// Integers uniform in [low, high) (int64 by default).
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = DType::Int64);
Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& generator, DType dtype = DType::Int64);
/// 1 with probability p[i], else 0, elementwise (same shape and dtype as p).
Tensor bernoulli(const Tensor& p);
Tensor bernoulli(const Tensor& p, Generator& generator);
/// 1 with probability p, else 0.
Tensor bernoulli(const Shape& shape, double p, DType dtype = DType::Float32);
Tensor bernoulli(const Shape& shape, double p, Generator& generator, DType dtype = DType::Float32);
/// A random permutation of 0..n-1 (int64).
Tensor randperm(int64_t n, Generator& generator);
Tensor randperm(int64_t n);

// ---- free-function forms -------------------------------------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);
/// Elementwise choice: condition != 0 ? a : b, all three broadcast together.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
/// Joins tensors along an existing dimension.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// Joins tensors along a new dimension.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// (…,) int64 class indices -> (…, num_classes) one-hot rows (float32 by default).
Tensor one_hot(const Tensor& indices, int64_t num_classes, DType dtype = DType::Float32);
/// |a - b| <= atol + rtol * |b| everywhere, with equal shapes (after broadcasting).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

// ---- operators ----------------------------------------------------------------------------
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- threads --------------------------------------------------------------------------------
/// Threads used by nabla's kernels and by OpenBLAS (results do not depend on it).
void set_num_threads(int threads);
int get_num_threads();

}  // namespace nabla
