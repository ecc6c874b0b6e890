// Shapes and strides are plain vectors, outermost dimension first (N, C, H, W),
// as in PyTorch. Helpers here are shared by tensors, kernels and autograd.
#pragma once

#include <cstdint>
#include <vector>

namespace nabla {

using Shape = std::vector<int64_t>;

/// Product of the sizes; 1 for a scalar (empty shape).
int64_t shape_numel(const Shape& shape);

/// Row-major (C-contiguous) strides, in elements.
Shape contiguous_strides(const Shape& shape);

/// NumPy broadcasting of two shapes; throws nabla::Error naming both when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);

/// Turns a possibly negative dim into [0, ndim); throws naming dim and ndim when out of range.
int64_t wrap_dim(int64_t dim, int64_t ndim);

}  // namespace nabla
