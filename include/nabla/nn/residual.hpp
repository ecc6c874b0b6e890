// Skip connections: torchvision's ResNet BasicBlock, a generic Residual wrapper
// (y = body(x) + shortcut(x)) and channel concatenation, the U-Net's way of joining an encoder's
// feature map to the decoder's.
//
//   auto block = std::make_shared<nn::BasicBlock>(16, 32, /*stride=*/2);  // projection shortcut
//   nn::Residual res(std::make_shared<nn::Sequential>(...));              // identity shortcut
//   Tensor joined = nn::functional::concat_channels(skip, upsampled);     // (N, Cs + Cu, H, W)
#pragma once

#include <nabla/nn/activation.hpp>
#include <nabla/nn/container.hpp>
#include <nabla/nn/conv.hpp>
#include <nabla/nn/normalization.hpp>

#include <memory>

namespace nabla::nn {

namespace functional {

/// torch.cat([a, b], dim=1) for batched feature maps: (N, Ca, spatial...) and (N, Cb, spatial...)
/// give (N, Ca + Cb, spatial...). The inputs must agree in rank, batch size and every spatial
/// size; the error names both shapes. Differentiable w.r.t. both inputs.
Tensor concat_channels(const Tensor& a, const Tensor& b);

/// relu(a + b) as one op, one pass over the data each way, for the sum that ends a residual
/// block; values and gradients are bit-identical to the two ops'. Inputs of different shapes or
/// dtypes are handled by the two ops (broadcasting as `+` does).
Tensor add_relu(const Tensor& a, const Tensor& b);

}  // namespace functional

/// torchvision.models.resnet.BasicBlock: conv3x3(stride) - bn - relu - conv3x3 - bn, plus the
/// shortcut, then relu. The convolutions have no bias (the batch norms shift). The shortcut is
/// the identity when the block keeps the shape (stride 1 and in_channels == out_channels), else
/// the projection `downsample` = Sequential(conv1x1(stride, bias=False), BatchNorm2d).
/// Children, in torchvision's order and names: conv1, bn1, relu, conv2, bn2, downsample, so the
/// state_dict keys are "conv1.weight", "bn1.running_mean", "downsample.0.weight", ... as
/// torchvision's BasicBlock(in, out, stride, downsample) gives them.
class BasicBlock : public Module {
public:
  BasicBlock(int64_t in_channels, int64_t out_channels, int64_t stride = 1, Generator* generator = nullptr);

  /// x is (N, in_channels, H, W); the result (N, out_channels, ceil(H / stride), ceil(W / stride)).
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "BasicBlock"; }

  int64_t in_channels;
  int64_t out_channels;
  int64_t stride;
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<ReLU> relu;  // torchvision's child; forward fuses it into bn1 and the sum
  std::shared_ptr<Conv2d> conv2;
  std::shared_ptr<BatchNorm2d> bn2;
  std::shared_ptr<Sequential> downsample;  // null: identity shortcut
};

/// A residual connection around any module: y = body(x) + shortcut(x), with the identity as the
/// shortcut when none is given. Both branches must give the same shape (no broadcasting: a
/// mismatch is an error naming both shapes). Children "body" and, when given, "shortcut".
class Residual : public Module {
public:
  explicit Residual(std::shared_ptr<Module> body, std::shared_ptr<Module> shortcut = nullptr);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Residual"; }

  std::shared_ptr<Module> body;
  std::shared_ptr<Module> shortcut;  // null: identity
};

}  // namespace nabla::nn
