// Model specs for convolutional networks: every spatial layer type (conv, transposed conv,
// pooling, normalisation, dropout2d, upsample, unflatten, basic_block, unet) with the output
// shape it declares checked against the module's real output, the errors for invalid shapes
// and options, receptive fields (the calculator and per layer), and the text models lenet5,
// vgg_small, resnet_small and unet laid out exactly as the nn:: builders of the same name.
#include <nabla/io/spec.hpp>
#include <nabla/nabla.hpp>
#include <nabla/nn/cnn.hpp>
#include <nabla/nn/norm_all.hpp>

#include "../support/message_of.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nabla::testing::message_of;

namespace nabla::io {
namespace {

using ::testing::HasSubstr;
using KeysAndShapes = std::vector<std::pair<std::string, Shape>>;

const Shape image = {1, 28, 28};

KeysAndShapes keys_and_shapes(const nn::Module& m) {
  KeysAndShapes out;
  for (const auto& [name, t] : m.state_dict()) out.emplace_back(name, t.shape());
  return out;
}

std::vector<std::string> types_of(const std::vector<LayerSpec>& layers) {
  std::vector<std::string> types;
  for (const LayerSpec& l : layers) types.push_back(l.type);
  return types;
}

// One layer (JSON object text) built for `input`: the declared output shape must be `expected`
// and the module's output for a batch of 2 must have it too.
void expect_layer_shape(const std::string& layer, const Shape& input, const Shape& expected) {
  SCOPED_TRACE(layer);
  const BuiltModel built = build_sequential("{\"layers\": [" + layer + "]}", input, 0);
  EXPECT_EQ(built.output_shape, expected);
  Shape batch = input;
  batch.insert(batch.begin(), 2);
  built.model->eval();
  Shape got = built.model->forward(randn(batch)).shape();
  got.erase(got.begin());
  EXPECT_EQ(got, expected);
}

std::string build_error(const std::string& layers, const Shape& input, int64_t outputs = 0) {
  return message_of([&] { build_model("{\"layers\": [" + layers + "]}", input, outputs); });
}

// ---- every spatial layer type ------------------------------------------------------------------

TEST(CnnLayers, ConvolutionShapes) {
  expect_layer_shape(R"({"type": "conv2d", "out": 6, "kernel": 5})", image, {6, 24, 24});
  expect_layer_shape(R"({"type": "conv2d", "out": 6, "kernel": 5, "padding": 2})", image, {6, 28, 28});
  expect_layer_shape(R"({"type": "conv2d", "out": 4, "kernel": [3, 5], "stride": [2, 1], "padding": [1, 0]})",
                     {2, 9, 9}, {4, 5, 5});
  expect_layer_shape(R"({"type": "conv2d", "out": 4, "kernel": 3, "dilation": 2, "groups": 2, "bias": false})",
                     {2, 9, 10}, {4, 5, 6});
  expect_layer_shape(R"({"type": "conv2d", "out": 3, "kernel": 4, "padding": "same"})", {2, 7, 6}, {3, 7, 6});
  expect_layer_shape(R"({"type": "conv2d", "out": 3, "kernel": 3, "stride": 2, "padding": "valid"})", {2, 7, 6},
                     {3, 3, 2});
  expect_layer_shape(R"({"type": "conv1d", "out": 5, "kernel": 3, "stride": 2, "padding": 1})", {3, 10}, {5, 5});
  expect_layer_shape(R"({"type": "conv3d", "out": 2, "kernel": [1, 3, 3]})", {1, 4, 5, 6}, {2, 4, 3, 4});
  expect_layer_shape(R"({"type": "conv_transpose2d", "out": 3, "kernel": 2, "stride": 2})", {4, 5, 6}, {3, 10, 12});
  expect_layer_shape(R"({"type": "conv_transpose2d", "out": 2, "kernel": 3, "stride": 2, "padding": 1,
                         "output_padding": 1})", {4, 5, 6}, {2, 10, 12});
  expect_layer_shape(R"({"type": "conv_transpose1d", "out": 2, "kernel": 4, "stride": 3, "dilation": 2})", {3, 5},
                     {2, 19});
  expect_layer_shape(R"({"type": "conv_transpose3d", "out": 1, "kernel": 2, "stride": 2})", {2, 2, 3, 4},
                     {1, 4, 6, 8});
}

TEST(CnnLayers, ConvolutionOptionsReachTheModule) {
  const BuiltModel built = build_sequential(
      R"({"layers": [{"type": "conv2d", "out": 4, "kernel": 3, "stride": 2, "padding": 1, "dilation": 1,
                      "groups": 2, "bias": false}]})",
      {2, 8, 8}, 0);
  auto conv = std::dynamic_pointer_cast<nn::Conv2d>((*built.model)[0]);
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->weight.shape(), (Shape{4, 1, 3, 3}));
  EXPECT_FALSE(conv->bias.defined());
  EXPECT_EQ(conv->extra_repr(), "2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2, bias=False");
}

TEST(CnnLayers, PoolingShapes) {
  expect_layer_shape(R"({"type": "maxpool2d", "kernel": 2})", {6, 28, 28}, {6, 14, 14});
  expect_layer_shape(R"({"type": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1})", {2, 7, 8}, {2, 4, 4});
  expect_layer_shape(R"({"type": "maxpool2d", "kernel": 2, "ceil_mode": true})", {2, 7, 5}, {2, 4, 3});
  expect_layer_shape(R"({"type": "maxpool2d", "kernel": 2, "dilation": 2})", {1, 7, 7}, {1, 3, 3});
  expect_layer_shape(R"({"type": "maxpool1d", "kernel": 3, "stride": 1})", {2, 6}, {2, 4});
  expect_layer_shape(R"({"type": "maxpool3d", "kernel": 2})", {1, 4, 5, 6}, {1, 2, 2, 3});
  expect_layer_shape(R"({"type": "avgpool2d", "kernel": [2, 3], "stride": 1, "count_include_pad": false})",
                     {3, 5, 5}, {3, 4, 3});
  expect_layer_shape(R"({"type": "avgpool2d", "kernel": 3, "stride": 2, "padding": 1, "ceil_mode": true})",
                     {1, 6, 6}, {1, 4, 4});
  expect_layer_shape(R"({"type": "avgpool1d", "kernel": 2})", {2, 7}, {2, 3});
  expect_layer_shape(R"({"type": "avgpool3d", "kernel": 2})", {1, 2, 4, 4}, {1, 1, 2, 2});
  expect_layer_shape(R"({"type": "adaptive_avgpool2d", "size": [2, 3]})", {4, 7, 8}, {4, 2, 3});
  expect_layer_shape(R"({"type": "adaptive_avgpool2d"})", {4, 7, 8}, {4, 1, 1});
  expect_layer_shape(R"({"type": "adaptive_avgpool1d", "size": 3})", {4, 7}, {4, 3});
  expect_layer_shape(R"({"type": "adaptive_avgpool3d", "size": 1})", {2, 3, 3, 3}, {2, 1, 1, 1});
  expect_layer_shape(R"({"type": "global_avgpool"})", {5, 7, 8}, {5});
  expect_layer_shape(R"({"type": "global_avgpool"})", {5, 7}, {5});
}

TEST(CnnLayers, NormalisationDropoutUpsampleUnflattenShapes) {
  expect_layer_shape(R"({"type": "batchnorm2d", "eps": 0.001, "momentum": 0.2})", {3, 4, 4}, {3, 4, 4});
  expect_layer_shape(R"({"type": "batchnorm1d"})", {6}, {6});
  expect_layer_shape(R"({"type": "batchnorm1d"})", {3, 5}, {3, 5});
  expect_layer_shape(R"({"type": "layernorm"})", {3, 5}, {3, 5});
  expect_layer_shape(R"({"type": "layernorm", "dims": 3, "elementwise_affine": false})", {2, 3, 4}, {2, 3, 4});
  expect_layer_shape(R"({"type": "dropout2d", "p": 0.3})", {3, 4, 4}, {3, 4, 4});
  expect_layer_shape(R"({"type": "upsample"})", {2, 3, 4}, {2, 6, 8});
  expect_layer_shape(R"({"type": "upsample", "scale": 1.5, "mode": "bilinear"})", {2, 4, 5}, {2, 6, 7});
  expect_layer_shape(R"({"type": "upsample", "size": [5, 7]})", {2, 3, 4}, {2, 5, 7});
  expect_layer_shape(R"({"type": "unflatten", "sizes": [1, 28, 28]})", {784}, {1, 28, 28});
  expect_layer_shape(R"({"type": "unflatten", "dim": 2, "sizes": [2, 3]})", {4, 6}, {4, 2, 3});
  expect_layer_shape(R"({"type": "basic_block"})", {4, 6, 6}, {4, 6, 6});
  expect_layer_shape(R"({"type": "basic_block", "out": 8, "stride": 2})", {4, 7, 6}, {8, 4, 3});
  expect_layer_shape(R"({"type": "unet", "width": 2})", {1, 8, 12}, {1, 8, 12});
  expect_layer_shape(R"({"type": "unet", "out": 3, "width": 2, "depth": 1, "batch_norm": false})", {2, 6, 4},
                     {3, 6, 4});

  const BuiltModel bn = build_sequential(R"({"layers": [{"type": "batchnorm2d", "eps": 0.001, "momentum": 0.2}]})",
                                         {3, 4, 4}, 0);
  auto norm = std::dynamic_pointer_cast<nn::BatchNorm2d>((*bn.model)[0]);
  ASSERT_NE(norm, nullptr);
  EXPECT_DOUBLE_EQ(norm->eps, 0.001);
  EXPECT_DOUBLE_EQ(*norm->momentum, 0.2);
  const BuiltModel ln = build_sequential(R"({"layers": [{"type": "layernorm", "dims": 2}]})", {2, 3, 4}, 0);
  EXPECT_EQ(std::dynamic_pointer_cast<nn::LayerNorm>((*ln.model)[0])->normalized_shape, (Shape{3, 4}));
}

TEST(CnnLayers, ShapeErrorsNameTheLayerAndTheShape) {
  // Convolutions on flat data say what they need and how to get it.
  const std::string flat = build_error(R"({"type": "conv2d", "out": 6, "kernel": 5})", {784});
  EXPECT_THAT(flat, HasSubstr("layer 0 (conv2d): conv2d needs (C, H, W) per example, got [784] (1 dim)"));
  EXPECT_THAT(flat, HasSubstr(R"({"type": "unflatten", "sizes": [C, H, W]})"));
  EXPECT_THAT(build_error(R"({"type": "maxpool2d", "kernel": 2})", {28, 28}),
              HasSubstr("maxpool2d needs (C, H, W) per example, got [28, 28] (2 dims)"));
  EXPECT_THAT(build_error(R"({"type": "conv1d", "out": 2, "kernel": 3})", image),
              HasSubstr("conv1d needs (C, L) per example"));
  EXPECT_THAT(build_error(R"({"type": "conv3d", "out": 2, "kernel": 3})", image),
              HasSubstr("conv3d needs (C, D, H, W) per example"));
  EXPECT_THAT(build_error(R"({"type": "conv2d", "out": 2, "kernel": 7})", {1, 5, 9}),
              HasSubstr("spans 7 pixels but spatial dim 0 of the input [1, 5, 9] has only 5"));
  EXPECT_THAT(build_error(R"({"type": "maxpool2d", "kernel": 2, "padding": 2})", image),
              HasSubstr("layer 0 (maxpool2d): MaxPool2d: padding must be at most half the kernel size"));
  EXPECT_THAT(build_error(R"({"type": "conv2d", "out": 2, "kernel": [3, 3, 3]})", image),
              HasSubstr("option 'kernel' must be one size or 2 (one per spatial dim), got [3, 3, 3]"));
  EXPECT_THAT(build_error(R"({"type": "conv2d", "out": 2, "kernel": 0})", image),
              HasSubstr("option 'kernel' must be positive"));
  EXPECT_THAT(build_error(R"({"type": "conv2d", "kernel": 3})", image), HasSubstr("option 'out' is required"));
  // The module's own checks get the layer's name in front.
  EXPECT_THAT(build_error(R"({"type": "conv2d", "out": 3, "kernel": 3, "groups": 2})", {2, 5, 5}),
              HasSubstr("layer 0 (conv2d): Conv2d: out_channels (3) must be divisible by groups (2)"));
  EXPECT_THAT(build_error(R"({"type": "conv2d", "out": 3, "kernel": 3, "padding": "full"})", image),
              HasSubstr("layer 0 (conv2d): padding must be \"valid\", \"same\" or sizes, got \"full\""));
  EXPECT_THAT(build_error(R"({"type": "conv2d", "out": 3, "kernel": 3, "stride": 2, "padding": "same"})", image),
              HasSubstr("padding=\"same\" needs stride 1"));
  EXPECT_THAT(build_error(R"({"type": "conv_transpose2d", "out": 1, "kernel": 2, "stride": 2, "output_padding": 2})",
                          image),
              HasSubstr("layer 0 (conv_transpose2d): ConvTranspose2d: output_padding (2, 2) must be non-negative "
                        "and smaller than either stride"));
  EXPECT_THAT(build_error(R"({"type": "batchnorm2d"})", {3, 4}), HasSubstr("batchnorm2d needs (C, H, W)"));
  EXPECT_THAT(build_error(R"({"type": "batchnorm1d"})", image), HasSubstr("batchnorm1d needs (C) or (C, L)"));
  EXPECT_THAT(build_error(R"({"type": "layernorm", "dims": 4})", image), HasSubstr("dims must be in [1, 3]"));
  EXPECT_THAT(build_error(R"({"type": "global_avgpool"})", {10}), HasSubstr("global_avgpool needs (C, L)"));
  EXPECT_THAT(build_error(R"({"type": "upsample", "mode": "bicubic"})", image), HasSubstr("'bicubic'"));
  EXPECT_THAT(build_error(R"({"type": "upsample", "scale": 2, "size": 4})", image), HasSubstr("not both"));
  EXPECT_THAT(build_error(R"({"type": "unflatten", "sizes": [1, 27, 28]})", {784}),
              HasSubstr("has 784 values but sizes [1, 27, 28] hold 756"));
  EXPECT_THAT(build_error(R"({"type": "dropout2d", "p": 2})", image), HasSubstr("p must be in [0, 1]"));
  EXPECT_THAT(build_error(R"({"type": "basic_block", "stride": 0})", image), HasSubstr("must be positive"));
  EXPECT_THAT(build_error(R"({"type": "unet"})", {1, 30, 30}),
              HasSubstr("unet needs height and width divisible by 2^depth = 4 (depth 2), got input [1, 30, 30]"));
  EXPECT_THAT(build_error(R"({"type": "linear", "out": 3, "in": 400})", {576}),
              HasSubstr("in=400 input features were expected but the input per example is [576]"));
}

// ---- receptive fields --------------------------------------------------------------------------

Window window(int64_t k, int64_t s = 1, int64_t d = 1, bool transposed = false) {
  return {{k, k}, {s, s}, {d, d}, transposed};
}

TEST(ReceptiveField, GrowsByKernelMinusOneTimesTheJump) {
  ReceptiveField f{{1, 1}, {1, 1}};
  f = *grow_receptive_field(f, window(3));
  EXPECT_EQ(f.size, (std::vector<int64_t>{3, 3}));
  f = *grow_receptive_field(f, window(3));
  EXPECT_EQ(f.size, (std::vector<int64_t>{5, 5}));  // two 3x3 convs see 5x5
  EXPECT_EQ(f.jump, (std::vector<int64_t>{1, 1}));
  f = *grow_receptive_field(f, window(2, 2));  // pool 2: +1, jump 2
  EXPECT_EQ(f.size, (std::vector<int64_t>{6, 6}));
  EXPECT_EQ(f.jump, (std::vector<int64_t>{2, 2}));
  f = *grow_receptive_field(f, window(3));  // now each tap is 2 pixels apart: +4
  EXPECT_EQ(f.size, (std::vector<int64_t>{10, 10}));
  f = *grow_receptive_field(f, window(3, 1, 2));  // dilation 2: +2 * 2 * 2
  EXPECT_EQ(f.size, (std::vector<int64_t>{18, 18}));
  const ReceptiveField rect = *grow_receptive_field({{1, 1}, {1, 1}}, {{3, 5}, {1, 2}, {1, 1}});
  EXPECT_EQ(rect.size, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(rect.jump, (std::vector<int64_t>{1, 2}));
}

TEST(ReceptiveField, TransposedWindowsDivideTheJump) {
  const ReceptiveField f{{6, 6}, {4, 4}};
  const ReceptiveField up = *grow_receptive_field(f, window(2, 2, 1, true));  // each output from 1 input
  EXPECT_EQ(up.size, (std::vector<int64_t>{6, 6}));
  EXPECT_EQ(up.jump, (std::vector<int64_t>{2, 2}));
  const ReceptiveField wide = *grow_receptive_field(f, window(3, 2, 1, true));  // some outputs mix 2 inputs
  EXPECT_EQ(wide.size, (std::vector<int64_t>{10, 10}));
  EXPECT_FALSE(grow_receptive_field({{1}, {1}}, {{2}, {2}, {1}, true}).has_value());  // half-pixel jump
  EXPECT_THAT(message_of([] { grow_receptive_field({{1, 1}, {1, 1}}, {{3}, {1}, {1}}); }),
              HasSubstr("a field over 2 dims needs windows of 2 sizes"));
}

TEST(ReceptiveField, PerLayerForLeNet5) {
  const BuiltModel built = build_sequential("lenet5", image, 10);
  // C1 5, act, S2 6 (jump 2), C3 6 + 4 * 2 = 14, act, S4 16 (jump 4); nothing after the flatten.
  const std::vector<int64_t> fields = {5, 5, 6, 14, 14, 16}, jumps = {1, 1, 2, 2, 2, 4};
  ASSERT_EQ(built.layers.size(), 12u);
  for (size_t i = 0; i < built.layers.size(); ++i) {
    SCOPED_TRACE(i);
    if (i < fields.size()) {
      EXPECT_EQ(built.layers[i].receptive_field, (std::vector<int64_t>{fields[i], fields[i]}));
      EXPECT_EQ(built.layers[i].jump, (std::vector<int64_t>{jumps[i], jumps[i]}));
    } else {
      EXPECT_TRUE(built.layers[i].receptive_field.empty());
      EXPECT_TRUE(built.layers[i].jump.empty());
    }
  }
}

TEST(ReceptiveField, BlocksUnflattenAndUnet) {
  // A BasicBlock counts its body: conv3x3 stride 2 then conv3x3 (jump 2): 1 + 2 + 2 * 2 = 7.
  const BuiltModel res = build_sequential(
      R"({"layers": [{"type": "unflatten", "sizes": [1, 8, 8]}, {"type": "basic_block", "out": 2, "stride": 2},
                     {"type": "global_avgpool"}]})",
      {64}, 0);
  EXPECT_EQ(res.layers[0].receptive_field, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(res.layers[1].receptive_field, (std::vector<int64_t>{7, 7}));
  EXPECT_EQ(res.layers[1].jump, (std::vector<int64_t>{2, 2}));
  EXPECT_TRUE(res.layers[2].receptive_field.empty());
  // unet depth 1: conv conv (5) pool (6, jump 2) conv conv (14) up (14, jump 1) conv conv (18) head (18).
  const BuiltModel unet = build_sequential("unet:depth=1:width=2", {1, 8, 8}, 0);
  EXPECT_EQ(unet.layers[0].receptive_field, (std::vector<int64_t>{18, 18}));
  EXPECT_EQ(unet.layers[0].jump, (std::vector<int64_t>{1, 1}));
  // Flat inputs have no receptive field; 1-d convolutions have one entry.
  EXPECT_TRUE(build_sequential("mlp:4", {3}, 2).layers[1].receptive_field.empty());
  const BuiltModel seq = build_sequential(R"({"layers": [{"type": "conv1d", "out": 2, "kernel": 5}]})", {1, 9}, 0);
  EXPECT_EQ(seq.layers[0].receptive_field, (std::vector<int64_t>{5}));
}

// ---- text models -------------------------------------------------------------------------------

TEST(CnnModels, Lenet5SpecIsNnLenet5) {
  const BuiltModel built = build_sequential("lenet5", image, 10);
  EXPECT_EQ(keys_and_shapes(*built.model), keys_and_shapes(*nn::lenet5()));
  EXPECT_EQ(built.model->num_parameters(), 61706);
  EXPECT_EQ(built.model->to_string(), nn::lenet5()->to_string());
  EXPECT_EQ(types_of(parse_spec("lenet5")),
            (std::vector<std::string>{"conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d", "flatten",
                                      "linear", "relu", "linear", "relu", "linear"}));
  const BuiltModel classic = build_sequential("lenet5:act=tanh:pool=avg:input=32", {1, 32, 32}, 10);
  EXPECT_EQ(classic.model->to_string(),
            nn::lenet5({.input_size = 32, .activation = "tanh", .pool = "avg"})->to_string());
  EXPECT_EQ(classic.layers[5].output_shape, (Shape{16, 5, 5}));
  EXPECT_EQ(build_sequential("lenet5", image, 10).model->forward(randn({2, 1, 28, 28})).shape(), (Shape{2, 10}));
}

TEST(CnnModels, Lenet5SpecErrors) {
  EXPECT_THAT(message_of([] { build_model("lenet5", {1, 32, 32}, 10); }),
              HasSubstr("layer 7 (linear): in=400 input features were expected but the input per example is [576]"));
  EXPECT_THAT(message_of([] { build_model("lenet5:input=32", image, 10); }), HasSubstr("[256]"));
  EXPECT_THAT(message_of([] { parse_spec("lenet5:act=sigmoid"); }),
              HasSubstr("option 'act' must be one of [relu, tanh]; got 'sigmoid'"));
  EXPECT_THAT(message_of([] { parse_spec("lenet5:pool=min"); }), HasSubstr("option 'pool'"));
  EXPECT_THAT(message_of([] { parse_spec("lenet5:input=30"); }), HasSubstr("option 'input' must be 28"));
  EXPECT_THAT(message_of([] { parse_spec("lenet5:6,16"); }), HasSubstr("'lenet5' takes no sizes"));
  EXPECT_THAT(message_of([] { build_model("lenet5", {784}, 10); }), HasSubstr("conv2d needs (C, H, W)"));
}

TEST(CnnModels, VggAndResnetSpecsAreTheNnBuilders) {
  EXPECT_EQ(keys_and_shapes(*build_model("vgg_small", image, 10)), keys_and_shapes(*nn::vgg_small()));
  EXPECT_EQ(keys_and_shapes(*build_model("vgg_small:widths=8,16:hidden=32:dropout=0.5", image, 10)),
            keys_and_shapes(*nn::vgg_small({.widths = {8, 16}, .hidden = 32, .dropout = 0.5})));
  EXPECT_EQ(build_model("vgg_small:widths=8,16:hidden=32:dropout=0.5", image, 10)->to_string(),
            nn::vgg_small({.widths = {8, 16}, .hidden = 32, .dropout = 0.5})->to_string());
  EXPECT_EQ(keys_and_shapes(*build_model("resnet_small", image, 10)), keys_and_shapes(*nn::resnet_small()));
  EXPECT_EQ(build_model("resnet_small", image, 10)->to_string(), nn::resnet_small()->to_string());
  EXPECT_EQ(keys_and_shapes(*build_model("resnet_small:widths=8:blocks=2", image, 5)),
            keys_and_shapes(*nn::resnet_small({.widths = {8}, .blocks = 2, .num_classes = 5})));
  EXPECT_EQ(build_sequential("resnet_small", image, 10).output_shape, (Shape{10}));
  EXPECT_THAT(message_of([] { parse_spec("resnet_small:blocks=0"); }), HasSubstr("'blocks' must be at least 1"));
  EXPECT_THAT(message_of([] { parse_spec("vgg_small:widths=8,0"); }), HasSubstr("'widths' must be positive"));
  EXPECT_THAT(message_of([] { build_model("vgg_small:widths=8,8,8,8,8", image, 10); }),
              HasSubstr("the window (kernel 2"));  // 28 -> 14 -> 7 -> 3 -> 1 -> no room for a pool
}

TEST(CnnModels, UnetSpecNeedsImageTargets) {
  const BuiltModel built = build_sequential("unet:width=4", {1, 16, 16}, 0);
  EXPECT_EQ(built.output_shape, (Shape{1, 16, 16}));
  EXPECT_EQ(keys_and_shapes(*built.model)[0], (std::pair<std::string, Shape>{"0.encoders.0.0.weight", {4, 1, 3, 3}}));
  // An image target with as many values as the output fits; class labels do not.
  EXPECT_EQ(build_sequential("unet:out=2:width=4", {1, 16, 16}, 2 * 16 * 16).output_shape, (Shape{2, 16, 16}));
  EXPECT_THAT(message_of([] { build_model("unet", image, 10); }),
              HasSubstr("unet maps an image to an image, [1, 28, 28] (784 values) per example, but the data has "
                        "10 outputs per example"));
  EXPECT_THAT(message_of([] { parse_spec("unet:channels=3"); }), HasSubstr("unknown option 'channels' for model 'unet'"));
}

TEST(CnnModels, JsonFormRoundTripsPaddingModes) {
  const std::string text = layers_to_json(parse_spec("lenet5"));
  EXPECT_THAT(text, HasSubstr(R"({"type":"linear","in":400,"out":120})"));
  const std::vector<LayerSpec> same = parse_spec(R"({"layers": [{"type": "conv2d", "out": 2, "kernel": 3,
      "padding": "same"}]})");
  EXPECT_EQ(build_layers(parse_spec(layers_to_json(same)), {1, 5, 5}, 0).output_shape, (Shape{2, 5, 5}));
}

}  // namespace
}  // namespace nabla::io
