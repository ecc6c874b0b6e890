// nn::Dropout: options checked at construction; the mode decides between dropout and identity.
#include <nabla/nn/dropout.hpp>
#include <nabla/nn/functional.hpp>

#include "nn/repr.hpp"

namespace nabla::nn {

Dropout::Dropout(double p, Generator* generator) : p(p), generator(generator) {
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "Dropout: probability has to be between 0 and 1, but got p = ", p);
}

Tensor Dropout::forward(const Tensor& input) { return functional::dropout(input, p, is_training(), generator); }

std::string Dropout::extra_repr() const { return "p=" + repr::python_float(p) + ", inplace=False"; }

}  // namespace nabla::nn
