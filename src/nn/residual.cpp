// BasicBlock, Residual and concat_channels: compositions of conv, batch norm, ReLU, addition and
// cat, so their gradients come from those ops' own backward functions.
#include <nabla/nn/residual.hpp>

namespace nabla::nn {

namespace functional {

Tensor concat_channels(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.defined() && b.defined(), "concat_channels: both inputs must be defined");
  NABLA_CHECK(a.ndim() >= 2 && a.ndim() == b.ndim(),
              "concat_channels: expected two batched feature maps (N, C, spatial...) of the same rank, got ",
              a.shape(), " and ", b.shape());
  for (int64_t d = 0; d < a.ndim(); ++d)
    NABLA_CHECK(d == 1 || a.size(d) == b.size(d), "concat_channels: (N, C, spatial...) inputs must agree in every dim "
                "but the channels (dim 1); got ", a.shape(), " and ", b.shape(), ", which differ in dim ", d);
  return cat({a, b}, 1);
}

}  // namespace functional

BasicBlock::BasicBlock(int64_t in_channels, int64_t out_channels, int64_t stride, Generator* generator)
    : in_channels(in_channels), out_channels(out_channels), stride(stride) {
  NABLA_CHECK(in_channels > 0 && out_channels > 0, "BasicBlock: in_channels and out_channels must be positive, got (",
              in_channels, ", ", out_channels, ")");
  NABLA_CHECK(stride > 0, "BasicBlock: stride must be positive, got ", stride);
  // torchvision's conv3x3 / conv1x1: padding 1 / 0, no bias.
  auto conv3x3 = [&](int64_t in, int64_t out, int64_t s) {
    return std::make_shared<Conv2d>(Conv2dOptions{.in_channels = in, .out_channels = out, .kernel_size = 3,
                                                  .stride = s, .padding = 1, .bias = false},
                                    generator);
  };
  conv1 = register_module("conv1", conv3x3(in_channels, out_channels, stride));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(out_channels));
  relu = register_module("relu", std::make_shared<ReLU>());
  conv2 = register_module("conv2", conv3x3(out_channels, out_channels, 1));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(out_channels));
  if (stride != 1 || in_channels != out_channels) {
    auto projection = std::make_shared<Conv2d>(
        Conv2dOptions{.in_channels = in_channels, .out_channels = out_channels, .kernel_size = 1, .stride = stride,
                      .bias = false},
        generator);
    downsample = register_module("downsample", std::make_shared<Sequential>());
    downsample->push_back(projection);
    downsample->push_back(std::make_shared<BatchNorm2d>(out_channels));
  }
}

Tensor BasicBlock::forward(const Tensor& input) {
  NABLA_CHECK(input.ndim() == 4 && input.size(1) == in_channels, "BasicBlock(", in_channels, ", ", out_channels,
              ", stride=", stride, "): expected input (N, ", in_channels, ", H, W), got ", input.shape());
  Tensor out = relu->forward(bn1->forward(conv1->forward(input)));
  out = bn2->forward(conv2->forward(out));
  const Tensor identity = downsample ? downsample->forward(input) : input;
  return relu->forward(out + identity);
}

Residual::Residual(std::shared_ptr<Module> body, std::shared_ptr<Module> shortcut)
    : body(std::move(body)), shortcut(std::move(shortcut)) {
  NABLA_CHECK(this->body != nullptr, "Residual: the body module must not be null");
  register_module("body", this->body);
  if (this->shortcut) register_module("shortcut", this->shortcut);
}

Tensor Residual::forward(const Tensor& input) {
  const Tensor y = body->forward(input);
  const Tensor s = shortcut ? shortcut->forward(input) : input;
  NABLA_CHECK(y.shape() == s.shape(), "Residual: the body gives ", y.shape(), " but the ",
              shortcut ? "shortcut gives " : "identity shortcut passes the input ", s.shape(),
              "; they must match (give a projection shortcut when the body changes the shape)");
  return y + s;
}

}  // namespace nabla::nn
