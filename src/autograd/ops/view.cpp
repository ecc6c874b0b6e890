// View ops: new shapes and strides over the same storage, no copying. Each backward maps
// the output gradient back to the input's geometry (expand's backward sums, narrow's pads).
#include "autograd/record.hpp"
#include "tensor/internal.hpp"

#include <algorithm>
#include <numeric>
#include <optional>

namespace nabla {
namespace {

using autograd::record;
using autograd::TensorList;

// Resolves one -1 and checks the element count; `op` names the caller for errors.
Shape infer_shape(const char* op, const Shape& requested, int64_t numel, const Shape& from) {
  Shape shape = requested;
  int64_t known = 1;
  std::optional<size_t> infer;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      NABLA_CHECK(!infer, op, ": only one dimension can be -1, got ", requested);
      infer = i;
    } else {
      NABLA_CHECK(shape[i] >= 0, op, ": invalid size ", shape[i], " in shape ", requested);
      known *= shape[i];
    }
  }
  if (infer) {
    NABLA_CHECK(known != 0 && numel % known == 0, op, ": shape ", requested, " is invalid for input of shape ", from,
                " (", numel, " elements)");
    shape[*infer] = numel / known;
  }
  NABLA_CHECK(shape_numel(shape) == numel, op, ": shape ", requested, " is invalid for input of shape ", from, " (",
              numel, " elements)");
  return shape;
}

// Strides that let `shape` view data laid out as (old_shape, old_strides), or nullopt when the
// data is not arranged that way (same algorithm as PyTorch's computeStride).
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& shape) {
  if (old_shape.empty()) return Shape(shape.size(), 1);
  if (shape_numel(old_shape) == 0) return contiguous_strides(shape);
  Shape strides(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

Tensor reshaped(const char* op, const Tensor& self, const Shape& requested, bool allow_copy) {
  const Shape shape = infer_shape(op, requested, self.numel(), self.shape());
  std::optional<Shape> strides = view_strides(self.shape(), self.strides(), shape);
  Tensor out;
  if (strides) {
    out = detail::make_view(self, shape, *strides, self.storage_offset());
  } else {
    NABLA_CHECK(allow_copy, op, ": a tensor of shape ", self.shape(), " with strides ", self.strides(),
                " cannot be viewed as ", requested, "; use reshape() or contiguous() first");
    return self.contiguous().view(shape);  // contiguous() records its own node
  }
  const Shape in_shape = self.shape();
  return record("ViewBackward", out, {self},
                [in_shape](const Tensor& g) -> TensorList { return {g.reshape(in_shape)}; });
}

}  // namespace

Tensor Tensor::view(const Shape& shape) const { return reshaped("view", *this, shape, false); }

Tensor Tensor::reshape(const Shape& shape) const { return reshaped("reshape", *this, shape, true); }

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (ndim() == 0) return reshape({1});
  const int64_t s = wrap_dim(start_dim, ndim());
  const int64_t e = wrap_dim(end_dim, ndim());
  NABLA_CHECK(s <= e, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim, " for shape ", shape());
  Shape out(shape().begin(), shape().begin() + s);
  int64_t merged = 1;
  for (int64_t d = s; d <= e; ++d) merged *= shape()[d];
  out.push_back(merged);
  out.insert(out.end(), shape().begin() + e + 1, shape().end());
  return reshape(out);
}

Tensor Tensor::permute(const Shape& dims) const {
  const int64_t n = ndim();
  NABLA_CHECK(static_cast<int64_t>(dims.size()) == n, "permute: got ", dims.size(), " dims ", dims, " for a ", n,
              "-D tensor of shape ", shape());
  Shape wrapped(n), inverse(n, -1), sh(n), st(n);
  for (int64_t i = 0; i < n; ++i) {
    wrapped[i] = wrap_dim(dims[i], n);
    NABLA_CHECK(inverse[wrapped[i]] == -1, "permute: dimension ", dims[i], " repeated in ", dims);
    inverse[wrapped[i]] = i;
    sh[i] = shape()[wrapped[i]];
    st[i] = strides()[wrapped[i]];
  }
  Tensor out = detail::make_view(*this, sh, st, storage_offset());
  return record("PermuteBackward", out, {*this},
                [inverse](const Tensor& g) -> TensorList { return {g.permute(inverse)}; });
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  const int64_t n = ndim();
  if (n == 0) return *this;
  Shape dims(n);
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[wrap_dim(dim0, n)], dims[wrap_dim(dim1, n)]);
  return permute(dims);
}

Tensor Tensor::t() const {
  NABLA_CHECK(ndim() <= 2, "t(): expects a tensor with at most 2 dimensions, got shape ", shape(),
              "; use transpose(dim0, dim1)");
  return ndim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  const int64_t d = wrap_dim(dim, ndim());
  const int64_t size = shape()[d];
  NABLA_CHECK(step > 0, "slice: step must be positive, got ", step);
  // Python slice semantics: negative indices count from the end, bounds are clipped.
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
  Shape sh = shape(), st = strides();
  sh[d] = (end - start + step - 1) / step;
  st[d] *= step;
  Tensor out = detail::make_view(*this, sh, st, storage_offset() + start * strides()[d]);
  const Shape in_shape = shape();
  return record("SliceBackward", out, {*this}, [in_shape, d, start, end, step](const Tensor& g) -> TensorList {
    Tensor grad = zeros(in_shape, g.dtype());
    grad.slice(d, start, end, step).copy_(g);
    return {grad};
  });
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  const int64_t d = wrap_dim(dim, ndim());
  if (start < 0) start += shape()[d];
  NABLA_CHECK(start >= 0 && length >= 0 && start + length <= shape()[d], "narrow: range [", start, ", ",
              start + length, ") is outside dimension ", dim, " of size ", shape()[d], " (shape ", shape(), ")");
  return slice(d, start, start + length);
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  const int64_t d = wrap_dim(dim, ndim());
  const int64_t size = shape()[d];
  NABLA_CHECK(index >= -size && index < size, "select: index ", index, " is out of bounds for dimension ", dim,
              " of size ", size);
  if (index < 0) index += size;
  Shape sh = shape(), st = strides();
  sh.erase(sh.begin() + d);
  st.erase(st.begin() + d);
  Tensor out = detail::make_view(*this, sh, st, storage_offset() + index * strides()[d]);
  const Shape in_shape = shape();
  return record("SelectBackward", out, {*this}, [in_shape, d, index](const Tensor& g) -> TensorList {
    Tensor grad = zeros(in_shape, g.dtype());
    grad.select(d, index).copy_(g);
    return {grad};
  });
}

Tensor Tensor::squeeze() const {
  Shape sh;
  for (int64_t s : shape())
    if (s != 1) sh.push_back(s);
  return reshape(sh);
}

Tensor Tensor::squeeze(int64_t dim) const {
  if (ndim() == 0) return *this;
  const int64_t d = wrap_dim(dim, ndim());
  if (shape()[d] != 1) return *this;
  Shape sh = shape();
  sh.erase(sh.begin() + d);
  return reshape(sh);
}

Tensor Tensor::unsqueeze(int64_t dim) const {
  const int64_t d = wrap_dim(dim, ndim() + 1);
  Shape sh = shape(), st = strides();
  const int64_t stride = d < ndim() ? shape()[d] * strides()[d] : 1;
  sh.insert(sh.begin() + d, 1);
  st.insert(st.begin() + d, stride);
  Tensor out = detail::make_view(*this, sh, st, storage_offset());
  const Shape in_shape = shape();
  return record("UnsqueezeBackward", out, {*this},
                [in_shape](const Tensor& g) -> TensorList { return {g.reshape(in_shape)}; });
}

Tensor Tensor::expand(const Shape& requested) const {
  const int64_t n = static_cast<int64_t>(requested.size());
  NABLA_CHECK(n >= ndim(), "expand: the target shape ", requested, " has fewer dimensions than the tensor's ", shape());
  Shape sh(n), st(n);
  const int64_t lead = n - ndim();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t want = requested[i];
    if (i < lead) {
      NABLA_CHECK(want >= 0, "expand: size -1 is not allowed for a new leading dimension (target ", requested, ")");
      sh[i] = want;
      st[i] = 0;
      continue;
    }
    const int64_t have = shape()[i - lead];
    NABLA_CHECK(want == -1 || want == have || have == 1, "expand: the expanded size ", want,
                " must match the existing size ", have, " at dimension ", i, " (shape ", shape(), " to ", requested,
                ")");
    sh[i] = want == -1 ? have : want;
    st[i] = (have == 1 && sh[i] != 1) ? 0 : strides()[i - lead];
  }
  if (sh == shape()) return *this;
  Tensor out = detail::make_view(*this, sh, st, storage_offset());
  const Shape in_shape = shape();
  return record("ExpandBackward", out, {*this},
                [in_shape](const Tensor& g) -> TensorList { return {g.sum_to_size(in_shape)}; });
}

Tensor Tensor::sum_to_size(const Shape& target) const {
  if (shape() == target) return *this;
  NABLA_CHECK(static_cast<int64_t>(target.size()) <= ndim(), "sum_to_size: shape ", shape(),
              " cannot be summed to ", target);
  const int64_t lead = ndim() - static_cast<int64_t>(target.size());
  Shape dims;
  for (int64_t d = 0; d < ndim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else {
      const int64_t want = target[d - lead];
      NABLA_CHECK(want == shape()[d] || want == 1, "sum_to_size: shape ", shape(), " cannot be summed to ", target);
      if (want == 1 && shape()[d] != 1) dims.push_back(d);
    }
  }
  Tensor out = dims.empty() ? *this : sum(dims, true);
  return out.reshape(target);
}

}  // namespace nabla
