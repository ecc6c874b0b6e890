// Channel dropout: nn::Dropout2d and functional::dropout2d zero whole feature maps of image
// batches, the dropout that suits convolutional layers (neighbouring pixels are correlated, so
// dropping single pixels regularises little).
#pragma once

#include <nabla/nn/module.hpp>

namespace nabla::nn {

namespace functional {

/// torch.nn.functional.dropout2d for (N, C, H, W) input, or unbatched (C, H, W): while training,
/// each channel x[n, c] (x[c] unbatched) is zeroed as a whole with probability p and kept, scaled
/// by 1 / (1 - p), otherwise. Not training, or with p == 0, x is returned as is; p == 1 gives
/// zeros; p outside [0, 1] or another rank is an error. One draw per channel, in row-major
/// order, from `generator` or the default generator. (PyTorch 1.13 reads a 3-D input as
/// (N, C, L) and drops x[n, c] rows; nabla follows the documented (C, H, W).)
Tensor dropout2d(const Tensor& x, double p = 0.5, bool training = true, Generator* generator = nullptr);

}  // namespace functional

/// torch.nn.Dropout2d: functional::dropout2d in training mode, the identity in eval mode. p must
/// lie in [0, 1]. Masks draw from `generator` (which must outlive the module) or the default one.
class Dropout2d : public Module {
public:
  explicit Dropout2d(double p = 0.5, Generator* generator = nullptr);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Dropout2d"; }
  /// "p=0.5, inplace=False", as PyTorch prints it.
  std::string extra_repr() const override;

  double p;
  Generator* generator;
};

}  // namespace nabla::nn
