// Ready-made convolutional networks of the lectures, built from ordinary layers and laid out
// like the PyTorch model written next to each, so state_dict keys and shapes match it:
//
//   auto net = nn::lenet5();                                   // 61,706 parameters, (N, 1, 28, 28) -> (N, 10)
//   auto classic = nn::lenet5({.input_size = 32, .activation = "tanh", .pool = "avg"});
//   auto resnet = nn::resnet_small();                          // Fashion-MNIST, about 78k parameters
//   nn::UNet unet({.in_channels = 1, .out_channels = 1});      // (N, 1, H, W) -> (N, 1, H, W)
//
// The model specs "lenet5", "vgg_small", "resnet_small" and "unet" (docs/FORMATS.md) build the
// same layouts; docs/MODELS.md compares them with the lecture's tables.
#pragma once

#include <nabla/nn/container.hpp>
#include <nabla/nn/conv.hpp>
#include <nabla/nn/pooling.hpp>

#include <memory>
#include <string>
#include <vector>

namespace nabla::nn {

struct LeNet5Options {
  int64_t input_size = 28;          // 28: C1 pads by 2 (MNIST's 28x28 in LeNet's 32x32 field); 32: no padding
  std::string activation = "relu";  // after C1, C3, C5 and F6: "relu" or "tanh"
  std::string pool = "max";         // S2 and S4: "max" (MaxPool2d(2)) or "avg" (AvgPool2d(2))
  int64_t in_channels = 1;
  int64_t num_classes = 10;
};

/// LeNet-5 as the lecture draws it, with PyTorch-standard layers: C1 conv 6@5x5, S2 pool 2, C3
/// conv 16@5x5 (fully connected to S2's maps, not the original's partial table), S4 pool 2, then
/// C5 as Flatten + Linear(16*5*5, 120) (the same maps as a conv 120@5x5 on S4's 5x5 output), F6
/// Linear(120, 84) and the output Linear(84, 10) (not the original's RBF units). The default is
/// exactly this PyTorch model (benchmark workload W3), 61,706 parameters:
///
///   nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
///                 nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
///                 nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
///                 nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
///
/// state_dict: "0.weight" (6, 1, 5, 5), "0.bias", "3.weight" (16, 6, 5, 5), "3.bias",
/// "7.weight" (120, 400), "7.bias", "9.weight" (84, 120), "9.bias", "11.weight" (10, 84),
/// "11.bias". input_size 32 drops C1's padding; tanh / avg swap the activation / pooling modules
/// in place, so the keys stay the same.
std::shared_ptr<Sequential> lenet5(const LeNet5Options& options = {}, Generator* generator = nullptr);

struct VGGSmallOptions {
  std::vector<int64_t> widths = {16, 32, 64};  // one block per width: 2 x (conv3x3-bn-relu), maxpool 2
  int64_t hidden = 128;                        // the classifier's hidden width
  double dropout = 0.0;                        // Dropout before the last Linear when > 0
  int64_t in_channels = 1;
  int64_t input_size = 28;                     // square inputs; each block halves it (rounding down)
  int64_t num_classes = 10;
};

/// A small VGG-style network: per width w, Conv2d(c, w, 3, padding=1), BatchNorm2d(w), ReLU,
/// Conv2d(w, w, 3, padding=1), BatchNorm2d(w), ReLU, MaxPool2d(2); then Flatten,
/// Linear(w_last * s * s, hidden), ReLU, [Dropout(dropout)], Linear(hidden, num_classes), s being
/// the size left after the pools (3 for 28 and three blocks). One nn.Sequential of these modules
/// in this order in PyTorch. The convs keep their bias, as torchvision's vgg*_bn do.
std::shared_ptr<Sequential> vgg_small(const VGGSmallOptions& options = {}, Generator* generator = nullptr);

struct ResNetSmallOptions {
  std::vector<int64_t> widths = {16, 32, 64};  // one stage per width; every stage after the first halves H, W
  int64_t blocks = 1;                          // BasicBlocks per stage
  int64_t in_channels = 1;
  int64_t num_classes = 10;
};

/// A small ResNet for 28x28 inputs (CIFAR-style: no 7x7 stem, no max pool): Conv2d(in, w0, 3,
/// padding=1, bias=False), BatchNorm2d(w0), ReLU; then per stage i, `blocks` BasicBlocks of width
/// w_i (the first with stride 2 and a projection shortcut for i > 0); then AdaptiveAvgPool2d(1),
/// Flatten, Linear(w_last, num_classes). In PyTorch, one nn.Sequential of these modules, the
/// blocks being torchvision.models.resnet.BasicBlock(in, out, stride, downsample). Works for any
/// input size (the pooling is global).
std::shared_ptr<Sequential> resnet_small(const ResNetSmallOptions& options = {}, Generator* generator = nullptr);

struct UNetOptions {
  int64_t in_channels = 1;
  int64_t out_channels = 1;
  int64_t width = 16;       // channels at full resolution; doubled at each level down
  int64_t depth = 2;        // number of 2x downsamplings; inputs need H and W divisible by 2^depth
  bool batch_norm = true;   // BatchNorm2d after every 3x3 conv
};

/// A small U-Net mapping (N, in_channels, H, W) to (N, out_channels, H, W). Each "double conv"
/// is [Conv2d(c, w, 3, padding=1), BatchNorm2d(w), ReLU] x 2. Encoder level i (width * 2^i) is
/// followed by MaxPool2d(2); the bottleneck has width * 2^depth channels; each decoder level
/// upsamples with ConvTranspose2d(2w, w, 2, stride=2), joins the encoder's map of the same level
/// by channel concatenation (skip first: torch.cat([skip, up], 1)) and applies a double conv;
/// a 1x1 conv gives the output channels. The equivalent PyTorch module has the attributes
/// encoders (ModuleList of Sequential), pool, bottleneck, upsamplers (ModuleList), decoders
/// (ModuleList of Sequential) and head, registered in that order.
class UNet : public Module {
public:
  explicit UNet(const UNetOptions& options = {}, Generator* generator = nullptr);

  /// input (N, in_channels, H, W) with H, W divisible by 2^depth; anything else is an error that
  /// names the shape and the rule.
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "UNet"; }
  std::string extra_repr() const override;

  UNetOptions options;
  std::shared_ptr<ModuleList> encoders;    // depth double convs
  std::shared_ptr<MaxPool2d> pool;
  std::shared_ptr<Sequential> bottleneck;
  std::shared_ptr<ModuleList> upsamplers;  // depth ConvTranspose2d, deepest first
  std::shared_ptr<ModuleList> decoders;    // depth double convs, deepest first
  std::shared_ptr<Conv2d> head;
};

}  // namespace nabla::nn
