// The ready-made CNNs: LeNet-5's parameter count, state_dict keys and shapes against PyTorch's
// nn.Sequential, output shapes for 28x28 and 32x32 inputs, its variants, and its logits against
// PyTorch's for the same weights (tests/golden/lenet5*.safetensors, scripts/golden/lenet5.py);
// the small VGG and ResNet layouts; the U-Net's shape rules, errors and a float64 gradcheck; and
// nn::Unflatten.
#include <nabla/nabla.hpp>
#include <nabla/nn/cnn.hpp>

#include "../support/golden.hpp"
#include "float64_modules.hpp"
#include "../support/message_of.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nabla::testing::message_of;

using namespace nabla;
using ::testing::HasSubstr;

namespace {

using KeysAndShapes = std::vector<std::pair<std::string, Shape>>;

KeysAndShapes keys_and_shapes(const nn::Module& m) {
  KeysAndShapes out;
  for (const auto& [name, t] : m.state_dict()) out.emplace_back(name, t.shape());
  return out;
}

std::vector<std::string> child_types(const nn::Module& m) {
  std::vector<std::string> types;
  for (const auto& [name, child] : m.named_children()) types.push_back(child->type_name());
  return types;
}

const std::string golden_dir = std::string(NABLA_SOURCE_DIR) + "/tests/golden/";

// ---- LeNet-5 ---------------------------------------------------------------------------------

TEST(LeNet5, ParameterCountAndTorchKeys) {
  const auto net = nn::lenet5();
  EXPECT_EQ(net->num_parameters(), 61706);  // 156 + 2,416 + 48,120 + 10,164 + 850
  // PyTorch: nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
  // nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
  // nn.Linear(84, 10)).state_dict()
  EXPECT_EQ(keys_and_shapes(*net), (KeysAndShapes{{"0.weight", {6, 1, 5, 5}},
                                                  {"0.bias", {6}},
                                                  {"3.weight", {16, 6, 5, 5}},
                                                  {"3.bias", {16}},
                                                  {"7.weight", {120, 400}},
                                                  {"7.bias", {120}},
                                                  {"9.weight", {84, 120}},
                                                  {"9.bias", {84}},
                                                  {"11.weight", {10, 84}},
                                                  {"11.bias", {10}}}));
  EXPECT_EQ(child_types(*net), (std::vector<std::string>{"Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d",
                                                         "Flatten", "Linear", "ReLU", "Linear", "ReLU", "Linear"}));
  EXPECT_EQ((*net)[0]->extra_repr(), "1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)");
}

TEST(LeNet5, OutputShapesFor28And32Inputs) {
  Generator g(0);
  const auto padded = nn::lenet5({}, &g);
  EXPECT_EQ(padded->forward(randn({3, 1, 28, 28}, g)).shape(), (Shape{3, 10}));
  const auto classic = nn::lenet5({.input_size = 32}, &g);
  EXPECT_EQ((*classic)[0]->extra_repr(), "1, 6, kernel_size=(5, 5), stride=(1, 1)");  // no padding
  EXPECT_EQ(classic->forward(randn({2, 1, 32, 32}, g)).shape(), (Shape{2, 10}));
  EXPECT_EQ(keys_and_shapes(*classic), keys_and_shapes(*padded));
  // The 28x28 model on 32x32 inputs reaches C5 with 16x6x6 values, not 400.
  EXPECT_THAT(message_of([&] { padded->forward(randn({1, 1, 32, 32}, g)); }), HasSubstr("576"));
}

TEST(LeNet5, TanhAndAveragePoolingVariantsKeepTheKeys) {
  const auto net = nn::lenet5({.activation = "tanh", .pool = "avg", .num_classes = 7});
  EXPECT_EQ(child_types(*net), (std::vector<std::string>{"Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d",
                                                         "Flatten", "Linear", "Tanh", "Linear", "Tanh", "Linear"}));
  EXPECT_EQ(net->state_dict().at("11.weight").shape(), (Shape{7, 84}));
  EXPECT_EQ(net->num_parameters(), 61706 - 3 * 85);
}

TEST(LeNet5, RejectsBadOptions) {
  EXPECT_THAT(message_of([] { nn::lenet5({.input_size = 30}); }), HasSubstr("input_size must be 28"));
  EXPECT_THAT(message_of([] { nn::lenet5({.activation = "sigmoid"}); }), HasSubstr("'sigmoid'"));
  EXPECT_THAT(message_of([] { nn::lenet5({.pool = "min"}); }), HasSubstr("'min'"));
}

TEST(LeNet5, MatchesTorchLogits) {
  // scripts/golden/lenet5.py: torch's LeNet-5 after 5 SGD steps, a batch of 4 inputs and its logits.
  const auto net = nn::lenet5();
  load(*net, golden_dir + "lenet5.safetensors");  // strict: PyTorch's keys and shapes
  net->eval();
  const io::SafetensorsFile batch = io::read_safetensors(golden_dir + "lenet5_batch.safetensors");
  std::map<std::string, Tensor> t(batch.tensors.begin(), batch.tensors.end());
  ASSERT_EQ(t.at("input").shape(), (Shape{4, 1, 28, 28}));
  const Tensor logits = net->forward(t.at("input"));
  const Tensor torch_logits = t.at("logits");
  ASSERT_EQ(logits.shape(), torch_logits.shape());
  // Relative to the largest logit: single elements near zero carry float32 rounding noise only.
  const double scale = torch_logits.abs().max().item();
  const double error = (logits - torch_logits).abs().max().item() / scale;
  EXPECT_LT(error, 1e-5) << "largest logit " << scale;
  // Against torch's float64 logits for the same weights: nabla's float32 rounding is as small.
  EXPECT_LT(nabla::testing::max_relative_error(logits, t.at("logits64"), scale), 1e-5);
  EXPECT_EQ(logits.argmax(1).to_vector<int64_t>(), torch_logits.argmax(1).to_vector<int64_t>());
}

// ---- VGG and ResNet --------------------------------------------------------------------------

TEST(VggSmall, LayoutShapesAndParameters) {
  Generator g(1);
  const auto net = nn::vgg_small({}, &g);
  ASSERT_EQ(net->size(), 3u * 7 + 4);  // three blocks of 7 modules, flatten, linear, relu, linear
  EXPECT_EQ(child_types(*net).front(), "Conv2d");
  EXPECT_EQ((*net)[6]->type_name(), "MaxPool2d");
  EXPECT_EQ(net->state_dict().at("22.weight").shape(), (Shape{128, 64 * 3 * 3}));  // 28 -> 14 -> 7 -> 3
  EXPECT_EQ(net->forward(randn({2, 1, 28, 28}, g)).shape(), (Shape{2, 10}));
  const int64_t convs = (9 * 16 + 16) + (9 * 16 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 32 + 32) +
                        (9 * 32 * 64 + 64) + (9 * 64 * 64 + 64);
  const int64_t norms = 2 * 2 * (16 + 32 + 64);
  EXPECT_EQ(net->num_parameters(), convs + norms + (576 * 128 + 128) + (128 * 10 + 10));
  const auto dropout = nn::vgg_small({.widths = {8}, .dropout = 0.5, .input_size = 8});
  EXPECT_EQ((*dropout)[dropout->size() - 2]->type_name(), "Dropout");
  EXPECT_THAT(message_of([] { nn::vgg_small({.input_size = 4}); }), HasSubstr("too small for 3 blocks"));
}

TEST(ResNetSmall, StagesHalveTheImageAndProjectAtEachWidthChange) {
  Generator g(2);
  const auto net = nn::resnet_small({.blocks = 2}, &g);
  EXPECT_EQ(child_types(*net),
            (std::vector<std::string>{"Conv2d", "BatchNorm2d", "ReLU", "BasicBlock", "BasicBlock", "BasicBlock",
                                      "BasicBlock", "BasicBlock", "BasicBlock", "AdaptiveAvgPool2d", "Flatten",
                                      "Linear"}));
  auto block = [&](size_t i) { return std::dynamic_pointer_cast<nn::BasicBlock>((*net)[i]); };
  EXPECT_EQ(block(3)->downsample, nullptr);
  EXPECT_EQ(block(5)->stride, 2);
  EXPECT_NE(block(5)->downsample, nullptr);
  EXPECT_EQ(block(6)->stride, 1);
  EXPECT_EQ(block(6)->downsample, nullptr);
  EXPECT_EQ(net->state_dict().at("7.downsample.0.weight").shape(), (Shape{64, 32, 1, 1}));
  EXPECT_EQ(net->state_dict().at("11.weight").shape(), (Shape{10, 64}));
  net->eval();
  EXPECT_EQ(net->forward(randn({2, 1, 28, 28}, g)).shape(), (Shape{2, 10}));
  EXPECT_EQ(nn::resnet_small()->num_parameters(), 77754);
  EXPECT_THAT(message_of([] { nn::resnet_small({.blocks = 0}); }), HasSubstr("at least 1"));
  EXPECT_THAT(message_of([] { nn::resnet_small({.widths = {}}); }), HasSubstr("at least one width"));
}

// ---- U-Net -----------------------------------------------------------------------------------

TEST(UNet, ImageToImageWithSkipConnections) {
  Generator g(3);
  nn::UNet unet({.in_channels = 3, .out_channels = 2, .width = 4, .depth = 2}, &g);
  EXPECT_EQ(unet.forward(randn({2, 3, 8, 12}, g)).shape(), (Shape{2, 2, 8, 12}));
  EXPECT_EQ(unet.encoders->size(), 2u);
  EXPECT_EQ(unet.decoders->size(), 2u);
  const nn::StateDict state = unet.state_dict();
  EXPECT_EQ(state.at("encoders.0.0.weight").shape(), (Shape{4, 3, 3, 3}));
  EXPECT_EQ(state.at("encoders.1.0.weight").shape(), (Shape{8, 4, 3, 3}));
  EXPECT_EQ(state.at("bottleneck.0.weight").shape(), (Shape{16, 8, 3, 3}));
  EXPECT_EQ(state.at("upsamplers.0.weight").shape(), (Shape{16, 8, 2, 2}));  // deepest first
  EXPECT_EQ(state.at("decoders.0.0.weight").shape(), (Shape{8, 16, 3, 3}));  // skip 8 + upsampled 8
  EXPECT_EQ(state.at("decoders.1.0.weight").shape(), (Shape{4, 8, 3, 3}));
  EXPECT_EQ(state.at("head.weight").shape(), (Shape{2, 4, 1, 1}));
  EXPECT_FALSE(state.contains("encoders.0.0.bias"));  // batch norm follows
  EXPECT_TRUE(nn::UNet({.batch_norm = false}).state_dict().contains("encoders.0.0.bias"));
}

TEST(UNet, DecoderSeesTheEncoderThroughTheSkip) {
  // With the upsampler zeroed, the decoder's only view of the input is the skip connection, so
  // the output still depends on the input (a U-Net without the skip would give a constant).
  Generator g(4);
  nn::UNet unet({.width = 2, .depth = 1, .batch_norm = false}, &g);
  auto up = std::dynamic_pointer_cast<nn::ConvTranspose2d>((*unet.upsamplers)[0]);
  {
    NoGradGuard no_grad;
    up->weight.zero_();
    up->bias.zero_();
  }
  const Tensor a = unet.forward(randn({1, 1, 4, 4}, g)), b = unet.forward(randn({1, 1, 4, 4}, g));
  EXPECT_GT((a - b).abs().max().item(), 1e-4);
}

TEST(UNet, HeightAndWidthMustBeDivisibleBy2PowDepth) {
  nn::UNet unet({.depth = 3});
  const std::string e = message_of([&] { unet.forward(zeros({1, 1, 28, 28})); });
  EXPECT_THAT(e, HasSubstr("divisible by 2^depth = 8"));
  EXPECT_THAT(e, HasSubstr("[1, 1, 28, 28]"));
  EXPECT_THAT(message_of([&] { unet.forward(zeros({1, 2, 8, 8})); }), HasSubstr("expected input (N, 1, H, W)"));
  EXPECT_THAT(message_of([&] { unet.forward(zeros({1, 8, 8})); }), HasSubstr("expected input (N, 1, H, W)"));
  EXPECT_THAT(message_of([] { nn::UNet({.depth = 0}); }), HasSubstr("depth must be in [1, 8]"));
  EXPECT_THAT(message_of([] { nn::UNet({.width = 0}); }), HasSubstr("must be positive"));
}

TEST(UNet, GradcheckTinyUNet) {
  Generator g(5);
  nn::UNet unet({.in_channels = 1, .out_channels = 1, .width = 2, .depth = 1}, &g);
  const GradcheckResult r = nabla::testing::module_gradcheck(unet, randn({2, 1, 4, 4}, g, float64));
  EXPECT_TRUE(r.ok) << r.message;
}

// ---- Unflatten -------------------------------------------------------------------------------

TEST(Unflatten, SplitsOneDimAndPrintsLikeTorch) {
  nn::Unflatten unflatten(1, {1, 28, 28});
  EXPECT_EQ(unflatten.forward(zeros({5, 784})).shape(), (Shape{5, 1, 28, 28}));
  EXPECT_EQ(unflatten.extra_repr(), "dim=1, unflattened_size=(1, 28, 28)");
  EXPECT_EQ(nn::Unflatten(-1, {2, 3}).forward(zeros({4, 6})).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(nn::Unflatten(0, {6}).extra_repr(), "dim=0, unflattened_size=(6,)");
  EXPECT_THAT(message_of([&] { unflatten.forward(zeros({5, 785})); }), HasSubstr("holds 784 values"));
  EXPECT_THAT(message_of([&] { unflatten.forward(zeros({5})); }), HasSubstr("out of range"));
  EXPECT_THAT(message_of([] { nn::Unflatten(1, {0, 3}); }), HasSubstr("positive"));
}

}  // namespace
