// Shape-only and pass-through modules: nn::Flatten and nn::Identity.
#pragma once

#include <nabla/nn/module.hpp>

namespace nabla::nn {

/// torch.nn.Flatten: merges dims start_dim..end_dim; the defaults keep the batch dim, turning
/// (N, C, H, W) images into (N, C*H*W) rows for a Linear layer.
class Flatten : public Module {
public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Flatten"; }
  std::string extra_repr() const override;

  int64_t start_dim;
  int64_t end_dim;
};

/// torch.nn.Identity: returns its input (a placeholder, e.g. for an optional layer).
class Identity : public Module {
public:
  Tensor forward(const Tensor& input) override { return input; }
  std::string type_name() const override { return "Identity"; }
};

}  // namespace nabla::nn
