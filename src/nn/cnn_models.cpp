// LeNet-5, the small VGG and ResNet and the U-Net: compositions of conv, pooling, batch norm,
// activation, residual and linear layers, named so their state dicts match the PyTorch models
// written in cnn_models.hpp.
#include <nabla/nn/activation.hpp>
#include <nabla/nn/basic.hpp>
#include <nabla/nn/cnn_models.hpp>
#include <nabla/nn/dropout.hpp>
#include <nabla/nn/linear.hpp>
#include <nabla/nn/normalization.hpp>
#include <nabla/nn/residual.hpp>

namespace nabla::nn {
namespace {

std::shared_ptr<Conv2d> conv3x3(int64_t in, int64_t out, int64_t stride, bool bias, Generator* generator) {
  return std::make_shared<Conv2d>(
      Conv2dOptions{.in_channels = in, .out_channels = out, .kernel_size = 3, .stride = stride, .padding = 1,
                    .bias = bias},
      generator);
}

// [conv3x3 - (bn) - relu] x 2, the unit of the VGG blocks and of the U-Net's levels. Without
// batch norm the convs keep their bias.
void push_double_conv(Sequential& seq, int64_t in, int64_t out, bool batch_norm, bool conv_bias, Generator* generator) {
  for (int64_t c : {in, out}) {
    seq.push_back(conv3x3(c, out, 1, conv_bias || !batch_norm, generator));
    if (batch_norm) seq.push_back(std::make_shared<BatchNorm2d>(out));
    seq.push_back(std::make_shared<ReLU>());
  }
}

void check_widths(const char* model, const std::vector<int64_t>& widths) {
  NABLA_CHECK(!widths.empty(), model, ": widths must hold at least one width");
  for (int64_t w : widths) NABLA_CHECK(w > 0, model, ": widths must be positive, got ", widths);
}

}  // namespace

std::shared_ptr<Sequential> lenet5(const LeNet5Options& o, Generator* generator) {
  NABLA_CHECK(o.input_size == 28 || o.input_size == 32, "lenet5: input_size must be 28 (C1 padded by 2) or 32 "
              "(unpadded, the lecture's), got ", o.input_size);
  NABLA_CHECK(o.activation == "relu" || o.activation == "tanh", "lenet5: activation must be 'relu' or 'tanh', got '",
              o.activation, "'");
  NABLA_CHECK(o.pool == "max" || o.pool == "avg", "lenet5: pool must be 'max' or 'avg', got '", o.pool, "'");
  NABLA_CHECK(o.in_channels > 0 && o.num_classes > 0, "lenet5: in_channels and num_classes must be positive, got ",
              o.in_channels, " and ", o.num_classes);
  auto act = [&]() -> std::shared_ptr<Module> {
    if (o.activation == "tanh") return std::make_shared<Tanh>();
    return std::make_shared<ReLU>();
  };
  auto pool = [&]() -> std::shared_ptr<Module> {
    if (o.pool == "avg") return std::make_shared<AvgPool2d>(2);
    return std::make_shared<MaxPool2d>(2);
  };
  auto net = std::make_shared<Sequential>();
  // C1 6@28x28, S2 6@14x14, C3 16@10x10, S4 16@5x5, C5 120, F6 84, output 10.
  net->push_back(std::make_shared<Conv2d>(
      Conv2dOptions{.in_channels = o.in_channels, .out_channels = 6, .kernel_size = 5,
                    .padding = o.input_size == 28 ? 2 : 0},
      generator));
  net->push_back(act());
  net->push_back(pool());
  net->push_back(std::make_shared<Conv2d>(Conv2dOptions{.in_channels = 6, .out_channels = 16, .kernel_size = 5},
                                          generator));
  net->push_back(act());
  net->push_back(pool());
  net->push_back(std::make_shared<Flatten>());
  net->push_back(std::make_shared<Linear>(16 * 5 * 5, 120, true, generator));
  net->push_back(act());
  net->push_back(std::make_shared<Linear>(120, 84, true, generator));
  net->push_back(act());
  net->push_back(std::make_shared<Linear>(84, o.num_classes, true, generator));
  return net;
}

std::shared_ptr<Sequential> vgg_small(const VGGSmallOptions& o, Generator* generator) {
  check_widths("vgg_small", o.widths);
  NABLA_CHECK(o.in_channels > 0 && o.num_classes > 0 && o.hidden > 0, "vgg_small: in_channels, hidden and "
              "num_classes must be positive, got ", o.in_channels, ", ", o.hidden, " and ", o.num_classes);
  NABLA_CHECK(o.dropout >= 0.0 && o.dropout < 1.0, "vgg_small: dropout must be in [0, 1), got ", o.dropout);
  int64_t size = o.input_size;
  for (size_t i = 0; i < o.widths.size(); ++i) size /= 2;
  NABLA_CHECK(size >= 1, "vgg_small: input_size ", o.input_size, " is too small for ", o.widths.size(),
              " blocks (each halves it); give at least ", int64_t{1} << o.widths.size());
  auto net = std::make_shared<Sequential>();
  int64_t channels = o.in_channels;
  for (int64_t w : o.widths) {
    push_double_conv(*net, channels, w, /*batch_norm=*/true, /*conv_bias=*/true, generator);
    net->push_back(std::make_shared<MaxPool2d>(2));
    channels = w;
  }
  net->push_back(std::make_shared<Flatten>());
  net->push_back(std::make_shared<Linear>(channels * size * size, o.hidden, true, generator));
  net->push_back(std::make_shared<ReLU>());
  if (o.dropout > 0.0) net->push_back(std::make_shared<Dropout>(o.dropout));
  net->push_back(std::make_shared<Linear>(o.hidden, o.num_classes, true, generator));
  return net;
}

std::shared_ptr<Sequential> resnet_small(const ResNetSmallOptions& o, Generator* generator) {
  check_widths("resnet_small", o.widths);
  NABLA_CHECK(o.blocks >= 1, "resnet_small: blocks per stage must be at least 1, got ", o.blocks);
  NABLA_CHECK(o.in_channels > 0 && o.num_classes > 0, "resnet_small: in_channels and num_classes must be positive, "
              "got ", o.in_channels, " and ", o.num_classes);
  auto net = std::make_shared<Sequential>();
  net->push_back(conv3x3(o.in_channels, o.widths[0], 1, /*bias=*/false, generator));
  net->push_back(std::make_shared<BatchNorm2d>(o.widths[0]));
  net->push_back(std::make_shared<ReLU>());
  int64_t channels = o.widths[0];
  for (size_t stage = 0; stage < o.widths.size(); ++stage)
    for (int64_t b = 0; b < o.blocks; ++b) {
      const int64_t stride = stage > 0 && b == 0 ? 2 : 1;
      net->push_back(std::make_shared<BasicBlock>(channels, o.widths[stage], stride, generator));
      channels = o.widths[stage];
    }
  net->push_back(std::make_shared<AdaptiveAvgPool2d>(1));
  net->push_back(std::make_shared<Flatten>());
  net->push_back(std::make_shared<Linear>(channels, o.num_classes, true, generator));
  return net;
}

UNet::UNet(const UNetOptions& o, Generator* generator) : options(o) {
  NABLA_CHECK(o.in_channels > 0 && o.out_channels > 0 && o.width > 0, "UNet: in_channels, out_channels and width "
              "must be positive, got ", o.in_channels, ", ", o.out_channels, " and ", o.width);
  NABLA_CHECK(o.depth >= 1 && o.depth <= 8, "UNet: depth must be in [1, 8], got ", o.depth);
  encoders = register_module("encoders", std::make_shared<ModuleList>());
  pool = register_module("pool", std::make_shared<MaxPool2d>(2));
  bottleneck = register_module("bottleneck", std::make_shared<Sequential>());
  upsamplers = register_module("upsamplers", std::make_shared<ModuleList>());
  decoders = register_module("decoders", std::make_shared<ModuleList>());
  int64_t channels = o.in_channels;
  for (int64_t level = 0; level < o.depth; ++level) {
    auto enc = std::make_shared<Sequential>();
    push_double_conv(*enc, channels, o.width << level, o.batch_norm, false, generator);
    encoders->push_back(enc);
    channels = o.width << level;
  }
  push_double_conv(*bottleneck, channels, o.width << o.depth, o.batch_norm, false, generator);
  for (int64_t level = o.depth - 1; level >= 0; --level) {
    const int64_t w = o.width << level;
    upsamplers->push_back(std::make_shared<ConvTranspose2d>(
        ConvTranspose2dOptions{.in_channels = 2 * w, .out_channels = w, .kernel_size = 2, .stride = 2}, generator));
    auto dec = std::make_shared<Sequential>();
    push_double_conv(*dec, 2 * w, w, o.batch_norm, false, generator);  // skip (w) + upsampled (w) channels
    decoders->push_back(dec);
  }
  head = register_module("head", std::make_shared<Conv2d>(
                                     Conv2dOptions{.in_channels = o.width, .out_channels = o.out_channels,
                                                   .kernel_size = 1},
                                     generator));
}

Tensor UNet::forward(const Tensor& input) {
  const int64_t multiple = int64_t{1} << options.depth;
  NABLA_CHECK(input.ndim() == 4 && input.size(1) == options.in_channels, "UNet: expected input (N, ",
              options.in_channels, ", H, W), got ", input.shape());
  NABLA_CHECK(input.size(2) % multiple == 0 && input.size(3) % multiple == 0, "UNet: height and width must be "
              "divisible by 2^depth = ", multiple, " (depth ", options.depth, "), got input ", input.shape());
  std::vector<Tensor> skips;
  Tensor x = input;
  for (const auto& [name, encoder] : *encoders) {
    x = encoder->forward(x);
    skips.push_back(x);
    x = pool->forward(x);
  }
  x = bottleneck->forward(x);
  for (size_t i = 0; i < upsamplers->size(); ++i) {
    x = (*upsamplers)[i]->forward(x);
    x = functional::concat_channels(skips[skips.size() - 1 - i], x);
    x = (*decoders)[i]->forward(x);
  }
  return head->forward(x);
}

std::string UNet::extra_repr() const {
  return "in_channels=" + std::to_string(options.in_channels) + ", out_channels=" +
         std::to_string(options.out_channels) + ", width=" + std::to_string(options.width) +
         ", depth=" + std::to_string(options.depth);
}

}  // namespace nabla::nn
