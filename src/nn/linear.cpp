// nn::Linear: parameters registered as "weight" and "bias" (PyTorch's keys), PyTorch's
// default initialisation, and forward through functional::linear.
#include <nabla/nn/functional.hpp>
#include <nabla/nn/init.hpp>
#include <nabla/nn/linear.hpp>

#include "nn/repr.hpp"

#include <cmath>

namespace nabla::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Generator* generator)
    : in_features(in_features), out_features(out_features) {
  NABLA_CHECK(in_features >= 0 && out_features >= 0, "Linear: in_features and out_features must be non-negative, got (",
              in_features, ", ", out_features, ")");
  weight = register_parameter("weight", zeros({out_features, in_features}));
  if (bias) this->bias = register_parameter("bias", zeros({out_features}));
  reset_parameters(generator);
}

void Linear::reset_parameters(Generator* generator) {
  // kaiming_uniform_ with a = sqrt(5): gain sqrt(2 / 6), bound sqrt(3) * gain / sqrt(in)
  // = 1 / sqrt(in). It skips an empty weight, as the bias bound below must too.
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::FanIn, "leaky_relu", generator);
  if (bias.defined() && in_features > 0) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    init::uniform_(bias, -bound, bound, generator);
  }
}

Tensor Linear::forward(const Tensor& input) { return functional::linear(input, weight, bias); }

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
         ", bias=" + repr::python_bool(bias.defined());
}

}  // namespace nabla::nn
