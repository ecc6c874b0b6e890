// nn::Unflatten, the inverse of nn::Flatten: one dim becomes several, e.g. flat rows of 784
// values become (1, 28, 28) images for the convolution layers.
#pragma once

#include <nabla/nn/module.hpp>

namespace nabla::nn {

/// torch.nn.Unflatten(dim, unflattened_size): dim `dim` (negative counts from the end) of size
/// prod(unflattened_size) is replaced by the dims `unflattened_size`; (N, 784) with dim 1 and
/// {1, 28, 28} gives (N, 1, 28, 28). A size mismatch is an error naming both.
class Unflatten : public Module {
public:
  Unflatten(int64_t dim, Shape unflattened_size);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Unflatten"; }
  /// "dim=1, unflattened_size=(1, 28, 28)"
  std::string extra_repr() const override;

  int64_t dim;
  Shape unflattened_size;
};

}  // namespace nabla::nn
