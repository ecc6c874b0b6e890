// nn::Flatten's forward and printed options (Identity is header-only).
#include <nabla/nn/basic.hpp>
#include <nabla/nn/functional.hpp>

namespace nabla::nn {

Tensor Flatten::forward(const Tensor& input) { return functional::flatten(input, start_dim, end_dim); }

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

}  // namespace nabla::nn
