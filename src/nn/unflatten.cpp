// nn::Unflatten: a reshape of one dim into several (a view when the input allows it).
#include <nabla/nn/unflatten.hpp>

namespace nabla::nn {

Unflatten::Unflatten(int64_t dim, Shape unflattened_size) : dim(dim), unflattened_size(std::move(unflattened_size)) {
  NABLA_CHECK(!this->unflattened_size.empty(), "Unflatten: unflattened_size must not be empty");
  for (int64_t s : this->unflattened_size)
    NABLA_CHECK(s > 0, "Unflatten: unflattened_size must hold positive sizes, got ", this->unflattened_size);
}

Tensor Unflatten::forward(const Tensor& input) {
  const int64_t ndim = input.ndim();
  NABLA_CHECK(dim >= -ndim && dim < ndim, "Unflatten: dim ", dim, " is out of range for input of shape ",
              input.shape());
  const auto d = static_cast<size_t>(dim < 0 ? dim + ndim : dim);
  NABLA_CHECK(input.size(static_cast<int64_t>(d)) == shape_numel(unflattened_size), "Unflatten: dim ", dim,
              " of input ", input.shape(), " has size ", input.size(static_cast<int64_t>(d)),
              " but unflattened_size ", unflattened_size, " holds ", shape_numel(unflattened_size), " values");
  Shape shape(input.shape().begin(), input.shape().begin() + static_cast<std::ptrdiff_t>(d));
  shape.insert(shape.end(), unflattened_size.begin(), unflattened_size.end());
  shape.insert(shape.end(), input.shape().begin() + static_cast<std::ptrdiff_t>(d) + 1, input.shape().end());
  return input.reshape(shape);
}

std::string Unflatten::extra_repr() const {
  std::string sizes = "(";
  for (size_t i = 0; i < unflattened_size.size(); ++i) sizes += (i ? ", " : "") + std::to_string(unflattened_size[i]);
  if (unflattened_size.size() == 1) sizes += ",";
  return "dim=" + std::to_string(dim) + ", unflattened_size=" + sizes + ")";
}

}  // namespace nabla::nn
