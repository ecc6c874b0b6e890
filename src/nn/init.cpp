// nn::init: torch.nn.init's fan and gain rules, and the fills they drive. Every fill runs under
// NoGradGuard so that it can write into parameters that require grad.
#include <nabla/autograd.hpp>
#include <nabla/nn/init.hpp>

#include <cmath>

namespace nabla::nn::init {

namespace {

void check_tensor(const char* op, const Tensor& t) {
  NABLA_CHECK(t.defined(), op, ": the tensor is undefined");
}

int64_t correct_fan(const char* op, const Tensor& t, FanMode mode) {
  NABLA_CHECK(t.ndim() >= 2, op, ": fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, "
              "got shape ", t.shape());
  const Fans fans = calculate_fan_in_and_fan_out(t);
  return mode == FanMode::FanIn ? fans.fan_in : fans.fan_out;
}

}  // namespace

Fans calculate_fan_in_and_fan_out(const Shape& shape) {
  NABLA_CHECK(shape.size() >= 2,
              "calculate_fan_in_and_fan_out: fan in and fan out can not be computed for a tensor with fewer than 2 "
              "dimensions, got shape ", shape);
  int64_t receptive_field = 1;
  for (size_t d = 2; d < shape.size(); ++d) receptive_field *= shape[d];
  return {shape[1] * receptive_field, shape[0] * receptive_field};
}

Fans calculate_fan_in_and_fan_out(const Tensor& tensor) {
  check_tensor("calculate_fan_in_and_fan_out", tensor);
  return calculate_fan_in_and_fan_out(tensor.shape());
}

double calculate_gain(const std::string& nonlinearity, std::optional<double> param) {
  static const char* const kLinear[] = {"linear",           "conv1d",           "conv2d",          "conv3d",
                                        "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"};
  for (const char* name : kLinear)
    if (nonlinearity == name) return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = param.value_or(0.01);
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0 / 4.0;
  NABLA_FAIL("calculate_gain: unsupported nonlinearity '", nonlinearity,
             "' (expected linear, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, "
             "sigmoid, tanh, relu, leaky_relu or selu)");
}

FanMode fan_mode(const std::string& mode) {
  if (mode == "fan_in") return FanMode::FanIn;
  if (mode == "fan_out") return FanMode::FanOut;
  NABLA_FAIL("init: mode '", mode, "' not supported, please use one of fan_in, fan_out");
}

Tensor zeros_(Tensor tensor) { return constant_(tensor, 0.0); }
Tensor ones_(Tensor tensor) { return constant_(tensor, 1.0); }

Tensor constant_(Tensor tensor, double value) {
  check_tensor("constant_", tensor);
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std, Generator* generator) {
  check_tensor("normal_", tensor);
  NoGradGuard no_grad;
  tensor.normal_(mean, std, generator);
  return tensor;
}

Tensor uniform_(Tensor tensor, double a, double b, Generator* generator) {
  check_tensor("uniform_", tensor);
  NoGradGuard no_grad;
  tensor.uniform_(a, b, generator);
  return tensor;
}

Tensor xavier_uniform_(Tensor tensor, double gain, Generator* generator) {
  check_tensor("xavier_uniform_", tensor);
  const Fans fans = calculate_fan_in_and_fan_out(tensor);
  if (tensor.numel() == 0) return tensor;
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fans.fan_in + fans.fan_out));
  const double bound = std::sqrt(3.0) * std;
  return uniform_(tensor, -bound, bound, generator);
}

Tensor xavier_normal_(Tensor tensor, double gain, Generator* generator) {
  check_tensor("xavier_normal_", tensor);
  const Fans fans = calculate_fan_in_and_fan_out(tensor);
  if (tensor.numel() == 0) return tensor;
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fans.fan_in + fans.fan_out));
  return normal_(tensor, 0.0, std, generator);
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanMode mode, const std::string& nonlinearity, Generator* generator) {
  check_tensor("kaiming_uniform_", tensor);
  if (tensor.numel() == 0) return tensor;  // PyTorch: "Initializing zero-element tensors is a no-op"
  const int64_t fan = correct_fan("kaiming_uniform_", tensor, mode);
  const double gain = calculate_gain(nonlinearity, a);
  const double bound = std::sqrt(3.0) * gain / std::sqrt(static_cast<double>(fan));
  return uniform_(tensor, -bound, bound, generator);
}

Tensor kaiming_normal_(Tensor tensor, double a, FanMode mode, const std::string& nonlinearity, Generator* generator) {
  check_tensor("kaiming_normal_", tensor);
  if (tensor.numel() == 0) return tensor;  // PyTorch: "Initializing zero-element tensors is a no-op"
  const int64_t fan = correct_fan("kaiming_normal_", tensor, mode);
  const double gain = calculate_gain(nonlinearity, a);
  return normal_(tensor, 0.0, gain / std::sqrt(static_cast<double>(fan)), generator);
}

Tensor kaiming_uniform_(Tensor tensor, double a, const std::string& mode, const std::string& nonlinearity,
                        Generator* generator) {
  return kaiming_uniform_(std::move(tensor), a, fan_mode(mode), nonlinearity, generator);
}

Tensor kaiming_normal_(Tensor tensor, double a, const std::string& mode, const std::string& nonlinearity,
                       Generator* generator) {
  return kaiming_normal_(std::move(tensor), a, fan_mode(mode), nonlinearity, generator);
}

Tensor lecture_normal_(Tensor tensor, Generator* generator) {
  check_tensor("lecture_normal_", tensor);
  NABLA_CHECK(tensor.ndim() >= 1, "lecture_normal_: needs a weight vector or matrix, got a 0-D tensor");
  const int64_t d = tensor.ndim() == 1 ? tensor.size(0) : calculate_fan_in_and_fan_out(tensor).fan_in;
  if (tensor.numel() == 0) return tensor;
  return normal_(tensor, 0.0, 1.0 / std::sqrt(static_cast<double>(d)), generator);
}

}  // namespace nabla::nn::init
