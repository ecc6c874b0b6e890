// nabla::nn::init: in-place parameter initialisers with torch.nn.init's names, formulas and
// defaults, plus the lectures' N(0, 1/sqrt(d)). Each fills its tensor under NoGradGuard (so it
// works on parameters that require grad), draws from `generator` or the default generator, and
// returns the same tensor:
//
//   init::kaiming_normal_(fc1->weight, 0.0, init::FanMode::FanIn, "relu");
//   init::zeros_(fc1->bias);
#pragma once

#include <nabla/tensor.hpp>

#include <optional>
#include <string>

namespace nabla::nn::init {

enum class FanMode { FanIn, FanOut };

/// Fans of a weight in PyTorch's layout: fan_in = size(1) * receptive field, fan_out =
/// size(0) * receptive field, the receptive field being the product of dims 2.. (1 for a
/// Linear weight, kH * kW for a conv weight).
struct Fans {
  int64_t fan_in;
  int64_t fan_out;
};

/// torch.nn.init._calculate_fan_in_and_fan_out; tensors with fewer than 2 dims are an error.
Fans calculate_fan_in_and_fan_out(const Tensor& tensor);
Fans calculate_fan_in_and_fan_out(const Shape& shape);

/// torch.nn.init.calculate_gain: 1 for "linear", the conv names ("conv1d", "conv2d", "conv3d",
/// "conv_transpose1d/2d/3d") and "sigmoid"; 5/3 for "tanh"; sqrt(2) for "relu";
/// sqrt(2 / (1 + a^2)) for "leaky_relu" with slope a = param (0.01 when absent); 3/4 for "selu".
/// Other names are an error.
double calculate_gain(const std::string& nonlinearity, std::optional<double> param = std::nullopt);

/// Fills with 0, 1, or `value`.
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);
Tensor constant_(Tensor tensor, double value);
/// N(mean, std^2) draws.
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0, Generator* generator = nullptr);
/// U(a, b) draws.
Tensor uniform_(Tensor tensor, double a = 0.0, double b = 1.0, Generator* generator = nullptr);

/// Glorot: U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);
/// Glorot: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);

/// He: U(-bound, bound) with bound = sqrt(3) * gain / sqrt(fan), gain =
/// calculate_gain(nonlinearity, a), fan = fan_in or fan_out per `mode`. `a` is the negative
/// slope of a following leaky_relu (with a = 0 and the default "leaky_relu", gain = sqrt(2)).
/// A tensor with no elements is left as it is (as PyTorch, which warns).
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                        const std::string& nonlinearity = "leaky_relu", Generator* generator = nullptr);
/// He: N(0, std^2) with std = gain / sqrt(fan), gain and fan as kaiming_uniform_.
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                       const std::string& nonlinearity = "leaky_relu", Generator* generator = nullptr);
/// The same with PyTorch's mode strings, "fan_in" or "fan_out".
Tensor kaiming_uniform_(Tensor tensor, double a, const std::string& mode,
                        const std::string& nonlinearity = "leaky_relu", Generator* generator = nullptr);
Tensor kaiming_normal_(Tensor tensor, double a, const std::string& mode,
                       const std::string& nonlinearity = "leaky_relu", Generator* generator = nullptr);
/// "fan_in" -> FanMode::FanIn, "fan_out" -> FanMode::FanOut; anything else is an error.
FanMode fan_mode(const std::string& mode);

/// The lectures' initialisation: each weight drawn from N(0, sigma^2) with sigma = 1 / sqrt(d),
/// d the number of inputs of a unit (the fan-in; for a 1-D weight vector of one neuron, its
/// length). This keeps w . x of order 1 when the d inputs are of order 1. It is not a PyTorch
/// initialiser; it equals kaiming_normal_(t, 0, FanIn, "linear").
Tensor lecture_normal_(Tensor tensor, Generator* generator = nullptr);

}  // namespace nabla::nn::init
