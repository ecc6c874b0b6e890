// Activation modules: each forwards to its nn::functional form and prints its options the way
// PyTorch's extra_repr does.
#include <nabla/nn/activation.hpp>
#include <nabla/nn/functional.hpp>

#include "nn/repr.hpp"

namespace nabla::nn {

Tensor Step::forward(const Tensor& input) { return functional::step(input); }
Tensor Sigmoid::forward(const Tensor& input) { return functional::sigmoid(input); }
Tensor Tanh::forward(const Tensor& input) { return functional::tanh(input); }
Tensor ReLU::forward(const Tensor& input) { return functional::relu(input); }

Tensor LeakyReLU::forward(const Tensor& input) { return functional::leaky_relu(input, negative_slope); }
std::string LeakyReLU::extra_repr() const { return "negative_slope=" + repr::python_float(negative_slope); }

Tensor ELU::forward(const Tensor& input) { return functional::elu(input, alpha); }
std::string ELU::extra_repr() const { return "alpha=" + repr::python_float(alpha); }

GELU::GELU(std::string approximate) : approximate(std::move(approximate)) {
  NABLA_CHECK(this->approximate == "none" || this->approximate == "tanh",
              "GELU: approximate must be 'none' or 'tanh', got '", this->approximate, "'");
}
Tensor GELU::forward(const Tensor& input) { return functional::gelu(input, approximate); }
std::string GELU::extra_repr() const { return "approximate='" + approximate + "'"; }

// PyTorch's defaults are the Python ints 1 and 20, printed without a decimal point.
Tensor Softplus::forward(const Tensor& input) { return functional::softplus(input, beta, threshold); }
std::string Softplus::extra_repr() const {
  return "beta=" + repr::python_number(beta) + ", threshold=" + repr::python_number(threshold);
}

Tensor Softmax::forward(const Tensor& input) { return functional::softmax(input, dim); }
std::string Softmax::extra_repr() const { return "dim=" + std::to_string(dim); }

Tensor LogSoftmax::forward(const Tensor& input) { return functional::log_softmax(input, dim); }
std::string LogSoftmax::extra_repr() const { return "dim=" + std::to_string(dim); }

}  // namespace nabla::nn
