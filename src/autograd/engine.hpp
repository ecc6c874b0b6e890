// The backward engine's entry points (used by Tensor::backward and nabla::grad).
#pragma once

#include <nabla/autograd.hpp>

namespace nabla::autograd {

/// Accumulates d(root)/d(leaf) into every reachable leaf's .grad.
void run_backward(const Tensor& root, const Tensor& gradient, bool retain_graph);

/// Returns d(root)/d(input) for each input without touching any .grad.
std::vector<Tensor> run_grad(const Tensor& root, const std::vector<Tensor>& inputs, const Tensor& gradient,
                             bool retain_graph);

}  // namespace nabla::autograd
