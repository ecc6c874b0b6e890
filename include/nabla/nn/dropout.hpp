// nn::Dropout: inverted dropout in training mode, the identity in eval mode.
#pragma once

#include <nabla/nn/module.hpp>

namespace nabla::nn {

/// torch.nn.Dropout: while training, zeroes each element with probability p and scales the
/// survivors by 1 / (1 - p), so no rescaling is needed at evaluation, where it is the identity.
/// p must lie in [0, 1]. Masks draw from `generator` (which must outlive the module) or from the
/// default generator.
class Dropout : public Module {
public:
  explicit Dropout(double p = 0.5, Generator* generator = nullptr);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Dropout"; }
  /// "p=0.5, inplace=False", as PyTorch prints it.
  std::string extra_repr() const override;

  double p;
  Generator* generator;
};

}  // namespace nabla::nn
