// Activation functions as modules, for Sequential and MLPs. Each one calls its
// nn::functional form (see functional.hpp for formulas and gradients at the kinks) and prints
// like PyTorch: "LeakyReLU(negative_slope=0.01)", "GELU(approximate='tanh')".
#pragma once

#include <nabla/nn/module.hpp>

#include <string>

namespace nabla::nn {

/// Heaviside step, 1 where x > 0 else 0, for threshold units (no PyTorch counterpart). Its
/// gradient is zero everywhere: gradient descent cannot train through it.
class Step : public Module {
public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Step"; }
};

/// torch.nn.Sigmoid: 1 / (1 + exp(-x)).
class Sigmoid : public Module {
public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Sigmoid"; }
};

/// torch.nn.Tanh.
class Tanh : public Module {
public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Tanh"; }
};

/// torch.nn.ReLU: max(0, x).
class ReLU : public Module {
public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "ReLU"; }
};

/// torch.nn.LeakyReLU: x for x > 0, negative_slope * x otherwise.
class LeakyReLU : public Module {
public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;

  double negative_slope;
};

/// torch.nn.ELU: x for x > 0, alpha * (exp(x) - 1) otherwise.
class ELU : public Module {
public:
  explicit ELU(double alpha = 1.0) : alpha(alpha) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "ELU"; }
  std::string extra_repr() const override;

  double alpha;
};

/// torch.nn.GELU: x * Phi(x), exact ("none") or with the tanh approximation ("tanh"); any other
/// value is refused at construction.
class GELU : public Module {
public:
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "GELU"; }
  std::string extra_repr() const override;

  std::string approximate;
};

/// torch.nn.Softplus: log(1 + exp(beta x)) / beta, reverting to x where beta x > threshold.
/// Integral options print without a decimal point, as PyTorch's int defaults do:
/// "Softplus(beta=1, threshold=20)".
class Softplus : public Module {
public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0) : beta(beta), threshold(threshold) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Softplus"; }
  std::string extra_repr() const override;

  double beta;
  double threshold;
};

/// torch.nn.Softmax over `dim` (no default: PyTorch's implicit choice is deprecated).
class Softmax : public Module {
public:
  explicit Softmax(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Softmax"; }
  std::string extra_repr() const override;

  int64_t dim;
};

/// torch.nn.LogSoftmax over `dim`.
class LogSoftmax : public Module {
public:
  explicit LogSoftmax(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "LogSoftmax"; }
  std::string extra_repr() const override;

  int64_t dim;
};

}  // namespace nabla::nn
