// Helpers shared by the tensor core and the op files: raw views, broadcast strides,
// typed base pointers. Not part of the public API.
#pragma once

#include <nabla/tensor.hpp>

namespace nabla::detail {

/// A tensor over `base`'s storage with the given geometry (no autograd metadata).
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);

/// Strides of `t` read as if broadcast to `shape` (0 along broadcast dimensions).
Shape broadcast_strides(const Tensor& t, const Shape& shape);

/// Typed pointer to element 0 of `t` (storage base plus offset); dtype is checked.
template <typename T>
T* base(const Tensor& t) {
  return t.data_ptr<T>();
}

/// Throws naming both dtypes unless a and b match; `op` names the operation.
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
/// Throws unless t is defined; `op` names the operation.
void check_defined(const char* op, const Tensor& t);

/// Strided copy of src (broadcast to dst's shape, converted to dst's dtype) into dst.
void copy_into(const Tensor& dst, const Tensor& src);

}  // namespace nabla::detail
