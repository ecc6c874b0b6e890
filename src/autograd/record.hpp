// Internal helpers for writing an op: decide whether to record, save inputs for backward,
// and attach the backward closure to the output. Every file under autograd/ops uses these.
//
//   Tensor Tensor::mul(const Tensor& other) const {
//     Tensor out = ...forward kernel...;
//     if (!autograd::needs_grad({*this, other})) return out;
//     return autograd::record("MulBackward", out, {*this, other},
//         [a = SavedTensor(*this), b = SavedTensor(other)](const Tensor& g) -> TensorList {
//           return {(g * b.get()).sum_to_size(a.shape()), (g * a.get()).sum_to_size(b.shape())};
//         });
//   }
#pragma once

#include <nabla/autograd.hpp>

#include <initializer_list>

namespace nabla::autograd {

using TensorList = std::vector<Tensor>;

/// A tensor kept for backward: detached (a saved output must not own its own grad_fn, which
/// would be a reference cycle) and stamped with its storage version so an in-place write
/// between forward and backward is reported instead of silently giving wrong gradients.
class SavedTensor {
public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& t);
  const Tensor& get() const;
  const Shape& shape() const { return tensor_.shape(); }
  bool defined() const { return tensor_.defined(); }

private:
  Tensor tensor_;
  uint64_t version_ = 0;
};

/// Grad mode is on and at least one input requires grad.
bool needs_grad(std::initializer_list<Tensor> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

/// Makes `out` the result of a recorded op `name` over `inputs`, with `backward` giving one
/// gradient per input (undefined where none flows). Returns `out` unchanged when no input
/// needs grad.
Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs, BackwardFn backward);

/// Throws unless an in-place write to `self` (reading `others`) is safe for autograd:
/// refused while grad mode is on and any of them requires grad. Bumps self's version.
void check_inplace(const Tensor& self, std::initializer_list<Tensor> others = {});

/// The gradient node a tensor's gradient flows into: its grad_fn, or for a leaf requiring
/// grad its AccumulateGrad node (made on first use); null when it does not require grad.
std::shared_ptr<Node> gradient_edge(const Tensor& t);

}  // namespace nabla::autograd
