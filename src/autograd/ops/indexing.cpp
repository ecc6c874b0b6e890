// Indexing and joining: index_select, gather, scatter_add, cat, stack, one_hot. Every index is
// validated before anything is written, so a bad index raises nabla::Error naming it instead of
// reading or writing out of bounds.
#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/loops.hpp"
#include "tensor/internal.hpp"

#include <algorithm>

namespace nabla {
namespace {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;

// wrap_dim, with the op and the tensor's shape in the error.
int64_t wrap(const char* op, int64_t dim, int64_t ndim, const Shape& shape) {
  const int64_t lo = ndim == 0 ? -1 : -ndim;
  const int64_t hi = ndim == 0 ? 0 : ndim - 1;
  NABLA_CHECK(dim >= lo && dim <= hi, op, ": dimension ", dim, " is out of range for a tensor of shape ", shape,
              " (expected ", lo, " to ", hi, ")");
  return wrap_dim(dim, ndim);
}

void check_index_tensor(const char* op, const Tensor& index) {
  detail::check_defined(op, index);
  NABLA_CHECK(index.dtype() == DType::Int64, op, ": index must be an int64 tensor, got ", index.dtype(), " of shape ",
              index.shape());
}

// Throws naming the first index outside [0, size) for dimension `dim` of a tensor of `shape`.
void check_index_values(const char* op, const Tensor& index, int64_t size, int64_t dim, const Shape& shape) {
  const int64_t* p = index.data_ptr<int64_t>();
  kernels::for_each_run<1>(index.shape(), {index.strides()},
                           [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& s) {
                             for (int64_t k = 0; k < n; ++k) {
                               const int64_t v = p[off[0] + k * s[0]];
                               NABLA_CHECK(v >= 0 && v < size, op, ": index ", v, " is out of range for dimension ",
                                           dim, " with size ", size, " (tensor of shape ", shape, ")");
                             }
                           });
}

// Product of shape[begin, end).
int64_t span(const Shape& shape, int64_t begin, int64_t end) {
  int64_t n = 1;
  for (int64_t k = begin; k < end; ++k) n *= shape[k];
  return n;
}

// out (outer, index.numel(), inner) <- x (outer, size, inner) rows picked by index; all contiguous.
// With add, accumulates x's rows into out's instead (the backward, index_add).
template <typename T>
void select_rows(const T* from, int64_t from_rows, T* to, int64_t to_rows, const int64_t* index, int64_t n,
                 int64_t outer, int64_t inner, bool scatter) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < n; ++k) {
      if (scatter) {
        const T* src = from + (o * from_rows + k) * inner;
        T* dst = to + (o * to_rows + index[k]) * inner;
        for (int64_t i = 0; i < inner; ++i) dst[i] += src[i];
      } else {
        const T* src = from + (o * from_rows + index[k]) * inner;
        std::copy(src, src + inner, to + (o * to_rows + k) * inner);
      }
    }
  }
}

// zeros(in_shape) with g's slices (along d) added at the rows named by index (index_add).
Tensor index_add_into_zeros(const Shape& in_shape, int64_t d, const Tensor& index, const Tensor& g) {
  Tensor out = zeros(in_shape, g.dtype());
  const Tensor gc = g.contiguous();
  const int64_t n = index.numel();
  kernels::dispatch(g.dtype(), [&]<typename T>() {
    select_rows(gc.data_ptr<T>(), n, out.data_ptr<T>(), in_shape[d], index.data_ptr<int64_t>(), n, span(in_shape, 0, d),
                span(in_shape, d + 1, static_cast<int64_t>(in_shape.size())), true);
  });
  return out;
}

// Checks index against self (and src) for gather / scatter_add: same ndim, and
// index.size(k) <= self.size(k) for k != d (<= src.size(k) for every k).
void check_gather_shapes(const char* op, const Tensor& self, int64_t d, const Tensor& index, const Tensor* src) {
  const bool same_ndim = index.ndim() == self.ndim() && (!src || src->ndim() == self.ndim());
  NABLA_CHECK(same_ndim, op, ": index", src ? " and src" : "",
              " must have as many dimensions as self; got index of shape ", index.shape(),
              src ? " and src of shape " : "", src ? detail::str(src->shape()) : "", " for self of shape ",
              self.shape());
  for (int64_t k = 0; k < self.ndim(); ++k) {
    const bool fits = (k == d || index.size(k) <= self.size(k)) && (!src || index.size(k) <= src->size(k));
    NABLA_CHECK(fits, op, ": index of shape ", index.shape(), " does not fit in dimension ", k, " of self of shape ",
                self.shape(), src ? " and src of shape " : "", src ? detail::str(src->shape()) : "",
                " (index may not be larger, except self along dim ", d, ")");
  }
}

}  // namespace

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const {
  check_index_tensor("index_select", index);
  NABLA_CHECK(index.ndim() <= 1, "index_select: index must be 0-D or 1-D, got shape ", index.shape());
  const int64_t d = wrap("index_select", dim, ndim(), shape());
  if (ndim() == 0) {
    // As PyTorch: a 0-d tensor is indexed like a 1-element vector and stays 0-d.
    NABLA_CHECK(index.numel() == 1, "index_select: a 0-d tensor takes exactly one index, got index of shape ",
                index.shape());
    return reshape({1}).index_select(0, index).reshape({});
  }
  const int64_t size = shape()[d];
  check_index_values("index_select", index, size, dim, shape());
  const int64_t n = index.numel();
  Shape out_shape = shape();
  out_shape[d] = n;
  Tensor out = empty(out_shape, dtype());
  const Tensor x = is_contiguous() ? *this : detach().contiguous();
  const Tensor idx = index.contiguous();
  kernels::dispatch(dtype(), [&]<typename T>() {
    select_rows(x.data_ptr<T>(), size, out.data_ptr<T>(), n, idx.data_ptr<int64_t>(), n, span(shape(), 0, d),
                span(shape(), d + 1, ndim()), false);
  });
  if (!autograd::needs_grad({*this})) return out;
  return record("IndexSelectBackward", out, {*this}, [in_shape = shape(), d, idx](const Tensor& g) -> TensorList {
    return {index_add_into_zeros(in_shape, d, idx, g)};
  });
}

Tensor Tensor::gather(int64_t dim, const Tensor& index) const {
  check_index_tensor("gather", index);
  const int64_t d = wrap("gather", dim, ndim(), shape());
  check_gather_shapes("gather", *this, d, index, nullptr);
  const int64_t size = ndim() == 0 ? 1 : shape()[d];
  check_index_values("gather", index, size, dim, shape());
  Tensor out = empty(index.shape(), dtype());
  // Read self through index's shape: stride 0 along d, plus index * stride(d) per element.
  Shape from_strides = strides();
  const int64_t step = ndim() == 0 ? 0 : strides()[d];
  if (ndim() > 0) from_strides[d] = 0;
  kernels::dispatch(dtype(), [&]<typename T>() {
    const T* x = data_ptr<T>();
    const int64_t* idx = index.data_ptr<int64_t>();
    T* o = out.data_ptr<T>();
    kernels::for_each_run<3>(index.shape(), {out.strides(), index.strides(), from_strides},
                             [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& s) {
                               for (int64_t k = 0; k < n; ++k)
                                 o[off[0] + k * s[0]] = x[off[2] + k * s[2] + idx[off[1] + k * s[1]] * step];
                             });
  });
  if (!autograd::needs_grad({*this})) return out;
  return record("GatherBackward", out, {*this}, [in_shape = shape(), d, index](const Tensor& g) -> TensorList {
    return {zeros(in_shape, g.dtype()).scatter_add(d, index, g)};
  });
}

Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  check_index_tensor("scatter_add", index);
  detail::check_defined("scatter_add", src);
  detail::check_same_dtype("scatter_add", *this, src);
  const int64_t d = wrap("scatter_add", dim, ndim(), shape());
  check_gather_shapes("scatter_add", *this, d, index, &src);
  const int64_t size = ndim() == 0 ? 1 : shape()[d];
  check_index_values("scatter_add", index, size, dim, shape());
  Tensor out = empty(shape(), dtype());
  detail::copy_into(out, *this);
  // Write out through index's shape: stride 0 along d, plus index * stride(d) per element.
  Shape to_strides = out.strides();
  const int64_t step = ndim() == 0 ? 0 : to_strides[d];
  if (ndim() > 0) to_strides[d] = 0;
  kernels::dispatch(dtype(), [&]<typename T>() {
    const T* from = src.data_ptr<T>();
    const int64_t* idx = index.data_ptr<int64_t>();
    T* o = out.data_ptr<T>();
    // Row-major over index, one element at a time: a fixed order, so sums are reproducible.
    kernels::for_each_run<3>(index.shape(), {to_strides, index.strides(), src.strides()},
                             [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& s) {
                               for (int64_t k = 0; k < n; ++k)
                                 o[off[0] + k * s[0] + idx[off[1] + k * s[1]] * step] += from[off[2] + k * s[2]];
                             });
  });
  if (!autograd::needs_grad({*this, src})) return out;
  return record("ScatterAddBackward", out, {*this, src},
                [d, index, src_shape = src.shape()](const Tensor& g) -> TensorList {
                  Tensor picked = g.gather(d, index);
                  if (picked.shape() == src_shape) return {g, picked};
                  // src is larger than index: its other elements were not used.
                  Tensor grad_src = zeros(src_shape, g.dtype());
                  Tensor region = grad_src;
                  for (int64_t k = 0; k < index.ndim(); ++k) region = region.narrow(k, 0, index.size(k));
                  region.copy_(picked);
                  return {g, grad_src};
                });
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  NABLA_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  for (const Tensor& t : tensors) detail::check_defined("cat", t);
  // PyTorch's legacy rule: 1-D empty tensors (shape [0]) are skipped when joined with others.
  auto skipped = [](const Tensor& t) { return t.ndim() == 1 && t.numel() == 0; };
  const auto first_it = std::find_if_not(tensors.begin(), tensors.end(), skipped);
  const size_t ref = first_it == tensors.end() ? 0 : static_cast<size_t>(first_it - tensors.begin());
  const bool skip_empty = first_it != tensors.end();
  const Tensor& first = tensors[ref];
  NABLA_CHECK(first.ndim() > 0, "cat: zero-dimensional tensor (at position ", ref, ") cannot be concatenated");
  const int64_t d = wrap("cat", dim, first.ndim(), first.shape());
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  std::vector<int64_t> lengths(tensors.size(), -1);  // -1: skipped
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skip_empty && skipped(t)) continue;
    NABLA_CHECK(t.dtype() == first.dtype(), "cat: expected all tensors to have dtype ", first.dtype(),
                " (as the tensor at position ", ref, "), got ", t.dtype(), " for the tensor at position ", i);
    NABLA_CHECK(t.ndim() > 0, "cat: zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    bool match = t.ndim() == first.ndim();
    for (int64_t k = 0; match && k < t.ndim(); ++k) match = k == d || t.shape()[k] == first.shape()[k];
    NABLA_CHECK(match, "cat: sizes must match except in dimension ", d, ", but the tensor at position ", i,
                " has shape ", t.shape(), " and the tensor at position ", ref, " has shape ", first.shape());
    lengths[i] = t.shape()[d];
    out_shape[d] += lengths[i];
  }
  Tensor out = empty(out_shape, first.dtype());
  int64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (lengths[i] < 0) continue;
    detail::copy_into(out.narrow(d, offset, lengths[i]), tensors[i]);
    offset += lengths[i];
  }
  if (!autograd::needs_grad(tensors)) return out;
  return record("CatBackward", out, tensors, [d, lengths](const Tensor& g) -> TensorList {
    TensorList grads;
    int64_t at = 0;
    for (int64_t length : lengths) {
      grads.push_back(length < 0 ? Tensor() : g.narrow(d, at, length));
      at += std::max<int64_t>(length, 0);
    }
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  NABLA_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  for (const Tensor& t : tensors) detail::check_defined("stack", t);
  for (size_t i = 1; i < tensors.size(); ++i)
    NABLA_CHECK(tensors[i].shape() == tensors[0].shape(), "stack: expects each tensor to be equal size, but got ",
                tensors[0].shape(), " at position 0 and ", tensors[i].shape(), " at position ", i);
  const int64_t d = wrap("stack", dim, tensors[0].ndim() + 1, tensors[0].shape());
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(t.unsqueeze(d));
  return cat(parts, d);
}

Tensor one_hot(const Tensor& indices, int64_t num_classes, DType dtype) {
  check_index_tensor("one_hot", indices);
  NABLA_CHECK(num_classes >= -1, "one_hot: num_classes must be non-negative, or -1 to infer it; got ", num_classes);
  const Tensor idx = indices.contiguous();
  const int64_t* p = idx.data_ptr<int64_t>();
  const int64_t n = idx.numel();
  for (int64_t k = 0; k < n; ++k)
    NABLA_CHECK(p[k] >= 0, "one_hot: class index ", p[k], " (element ", k, ") is negative");
  if (num_classes == -1) {
    NABLA_CHECK(n > 0, "one_hot: cannot infer num_classes from an empty tensor of shape ", indices.shape(),
                "; pass num_classes");
    num_classes = *std::max_element(p, p + n) + 1;
  }
  for (int64_t k = 0; k < n; ++k)
    NABLA_CHECK(p[k] < num_classes, "one_hot: class index ", p[k], " (element ", k,
                ") is out of range for num_classes = ", num_classes);
  Shape out_shape = indices.shape();
  out_shape.push_back(num_classes);
  Tensor out = zeros(out_shape, dtype);
  kernels::dispatch(dtype, [&]<typename T>() {
    T* o = out.data_ptr<T>();
    for (int64_t k = 0; k < n; ++k) o[k * num_classes + p[k]] = T(1);
  });
  return out;
}

}  // namespace nabla
