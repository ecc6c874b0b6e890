// Ready-made models of the lectures built from ordinary layers: logistic and softmax
// regression (a single Linear layer trained by any optimiser) and the MLP builder.
#pragma once

#include <nabla/nn/container.hpp>
#include <nabla/nn/linear.hpp>

#include <string>
#include <vector>

namespace nabla::nn {

/// Binary logistic regression: forward gives the logit w·x + b of shape (N, 1); train it with
/// binary_cross_entropy_with_logits, and predict_proba gives sigmoid(logit).
/// state_dict keys: "linear.weight" (1, in), "linear.bias" (1).
class LogisticRegression : public Module {
public:
  explicit LogisticRegression(int64_t in_features, Generator* generator = nullptr);
  Tensor forward(const Tensor& input) override;
  Tensor predict_proba(const Tensor& input);
  std::string type_name() const override { return "LogisticRegression"; }
  std::shared_ptr<Linear> linear;
};

/// Multinomial (softmax) regression: forward gives class logits (N, classes); train it with
/// cross_entropy, and predict_proba gives softmax(logits).
class SoftmaxRegression : public Module {
public:
  SoftmaxRegression(int64_t in_features, int64_t num_classes, Generator* generator = nullptr);
  Tensor forward(const Tensor& input) override;
  Tensor predict_proba(const Tensor& input);
  std::string type_name() const override { return "SoftmaxRegression"; }
  std::shared_ptr<Linear> linear;
};

struct MLPOptions {
  std::vector<int64_t> sizes;              // {in, hidden..., out}; at least two entries
  std::string activation = "relu";         // after every hidden layer
  std::string output_activation = "none";  // after the last layer ("none" leaves logits)
  double dropout = 0.0;                    // Dropout after every hidden activation when > 0
};

/// A multi-layer perceptron as a Sequential laid out exactly like the PyTorch
/// nn.Sequential(Linear, act, [Dropout], Linear, ...), so state_dict keys ("0.weight",
/// "2.bias", ...) match it. `generator` draws the initial weights (default generator when null)
/// and is not kept; Dropout masks come from the default generator (manual_seed).
std::shared_ptr<Sequential> mlp(const MLPOptions& options, Generator* generator = nullptr);

/// An activation module by name: "relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu",
/// "gelu_tanh", "softplus", "step", "softmax", "log_softmax" (softmax over dim 1), or
/// "identity"/"none". An unknown name is an error listing these.
std::shared_ptr<Module> make_activation(const std::string& name);

}  // namespace nabla::nn
