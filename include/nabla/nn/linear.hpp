// nn::Linear, the fully connected layer y = x W^T + b, with PyTorch's parameter layout,
// names and default initialisation, so state dicts move between nabla and PyTorch unchanged.
#pragma once

#include <nabla/nn/module.hpp>

namespace nabla::nn {

/// torch.nn.Linear. weight is (out_features, in_features), bias is (out_features); the input is
/// (..., in_features) with any leading dims and the output (..., out_features).
///
/// Default initialisation (PyTorch's reset_parameters): weight by
/// init::kaiming_uniform_(weight, a = sqrt(5)), which is U(-1/sqrt(in), 1/sqrt(in)), and bias
/// U(-1/sqrt(in), 1/sqrt(in)); with in_features = 0 both stay zero. The draws come from
/// `generator`, or from the default generator, so manual_seed(s) makes a model reproducible
/// (the streams differ from PyTorch's: the same seed does not give PyTorch's numbers).
class Linear : public Module {
public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator* generator = nullptr);

  Tensor forward(const Tensor& input) override;
  /// Redraws weight and bias as described above.
  void reset_parameters(Generator* generator = nullptr);

  std::string type_name() const override { return "Linear"; }
  /// "in_features=784, out_features=10, bias=True"
  std::string extra_repr() const override;

  int64_t in_features;
  int64_t out_features;
  Tensor weight;  // (out_features, in_features)
  Tensor bias;    // (out_features), undefined when constructed with bias = false
};

}  // namespace nabla::nn
