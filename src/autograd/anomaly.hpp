// Anomaly detection's checks, called by record() and the engine only while it is on.
#pragma once

#include <nabla/autograd.hpp>

namespace nabla::autograd {

/// Throws if `out` (the result of the op `name` about to be recorded over `inputs`) or any
/// input holds NaN/Inf.
void check_forward(const char* name, int64_t sequence_nr, const Tensor& out, const std::vector<Tensor>& inputs);

/// Throws if the gradient handed to backward() holds NaN/Inf.
void check_root(const Tensor& gradient);

/// Throws if the (summed) gradient arriving at `node` holds NaN/Inf.
void check_incoming(const Node& node, const Tensor& grad_output);

/// Throws if a gradient `node`'s backward returned holds NaN/Inf (its incoming one was finite).
void check_backward(const Node& node, const std::vector<Tensor>& grads);

}  // namespace nabla::autograd
