// The named models of text specs ("logreg", "mlp:256,128", "lenet5", "resnet_small"): each
// expands to a list of layers of the JSON form, laid out as the nn:: builders of the same name
// (nn/cnn_models.hpp) lay out their Sequential. A new model is one more entry in
// builtin_model_types().
#include "io/spec_internal.hpp"

#include <algorithm>

namespace nabla::io::detail {
namespace {

std::vector<LayerSpec> expand_logreg(const std::vector<int64_t>&, const Options&) {
  return {{"flatten", {}}, {"linear", {}}};
}

std::vector<LayerSpec> expand_mlp(const std::vector<int64_t>& sizes, const Options& o) {
  const std::string act = o.get_string("act", "relu");
  const auto& types = layer_types();
  const auto it = types.find(act);
  if (it == types.end() || !it->second.is_activation) {
    std::string known;
    for (const auto& [name, type] : types)
      if (type.is_activation) known += (known.empty() ? "" : ", ") + name;
    NABLA_FAIL(o.owner(), ": option 'act' must be an activation, one of ", known, "; got '", act, "'");
  }
  const double dropout = o.get_double("dropout", 0.0);
  NABLA_CHECK(dropout >= 0.0 && dropout < 1.0, o.owner(), ": option 'dropout' must be in [0, 1), got ", dropout);

  std::vector<LayerSpec> layers = {{"flatten", {}}};
  for (int64_t width : sizes) {
    layers.push_back({"linear", {{"out", width}}});
    layers.push_back({act, {}});
    if (dropout > 0.0) layers.push_back({"dropout", {{"p", dropout}}});
  }
  layers.push_back({"linear", {}});
  return layers;
}

// One of `allowed` for option `key`, or an error listing them.
std::string choice(const Options& o, const std::string& key, const std::vector<std::string>& allowed) {
  const std::string value = o.get_string(key, allowed.front());
  NABLA_CHECK(std::find(allowed.begin(), allowed.end(), value) != allowed.end(), o.owner(), ": option '", key,
              "' must be one of ", allowed, "; got '", value, "'");
  return value;
}

std::vector<int64_t> widths(const Options& o) {
  const std::vector<int64_t> w = o.get_ints("widths", std::vector<int64_t>{16, 32, 64});
  NABLA_CHECK(!w.empty(), o.owner(), ": option 'widths' needs at least one width");
  for (int64_t v : w) NABLA_CHECK(v > 0, o.owner(), ": option 'widths' must be positive, got ", w);
  return w;
}

LayerSpec conv3x3(int64_t out, int64_t stride = 1, bool bias = true) {
  return {"conv2d",
          {{"out", out}, {"kernel", int64_t{3}}, {"stride", stride}, {"padding", int64_t{1}}, {"bias", bias}}};
}

// nn::lenet5: C1, act, S2, C3, act, S4, flatten, C5 (in 400), act, F6, act, output.
std::vector<LayerSpec> expand_lenet5(const std::vector<int64_t>&, const Options& o) {
  const std::string act = choice(o, "act", {"relu", "tanh"});
  const std::string pool = choice(o, "pool", {"max", "avg"}) + "pool2d";
  const int64_t input = o.get_int("input", 28);
  NABLA_CHECK(input == 28 || input == 32, o.owner(), ": option 'input' must be 28 (C1 padded by 2) or 32 (unpadded), "
              "got ", input);
  return {{"conv2d", {{"out", int64_t{6}}, {"kernel", int64_t{5}}, {"padding", int64_t{input == 28 ? 2 : 0}}}},
          {act, {}},
          {pool, {{"kernel", int64_t{2}}}},
          {"conv2d", {{"out", int64_t{16}}, {"kernel", int64_t{5}}}},
          {act, {}},
          {pool, {{"kernel", int64_t{2}}}},
          {"flatten", {}},
          {"linear", {{"out", int64_t{120}}, {"in", int64_t{16 * 5 * 5}}}},
          {act, {}},
          {"linear", {{"out", int64_t{84}}}},
          {act, {}},
          {"linear", {}}};
}

// nn::vgg_small: per width 2 x (conv3x3, batchnorm2d, relu), maxpool 2; then the classifier.
std::vector<LayerSpec> expand_vgg_small(const std::vector<int64_t>&, const Options& o) {
  const int64_t hidden = o.get_int("hidden", 128);
  NABLA_CHECK(hidden > 0, o.owner(), ": option 'hidden' must be positive, got ", hidden);
  const double dropout = o.get_double("dropout", 0.0);
  NABLA_CHECK(dropout >= 0.0 && dropout < 1.0, o.owner(), ": option 'dropout' must be in [0, 1), got ", dropout);
  std::vector<LayerSpec> layers;
  for (int64_t w : widths(o)) {
    for (int i = 0; i < 2; ++i) layers.insert(layers.end(), {conv3x3(w), {"batchnorm2d", {}}, {"relu", {}}});
    layers.push_back({"maxpool2d", {{"kernel", int64_t{2}}}});
  }
  layers.insert(layers.end(), {{"flatten", {}}, {"linear", {{"out", hidden}}}, {"relu", {}}});
  if (dropout > 0.0) layers.push_back({"dropout", {{"p", dropout}}});
  layers.push_back({"linear", {}});
  return layers;
}

// nn::resnet_small: stem conv3x3 (no bias), batchnorm2d, relu; BasicBlocks per stage; pool, linear.
std::vector<LayerSpec> expand_resnet_small(const std::vector<int64_t>&, const Options& o) {
  const std::vector<int64_t> w = widths(o);
  const int64_t blocks = o.get_int("blocks", 1);
  NABLA_CHECK(blocks >= 1, o.owner(), ": option 'blocks' must be at least 1, got ", blocks);
  NABLA_CHECK(blocks <= kMaxSpecLayers, o.owner(), ": option 'blocks' ", blocks, " is above the limit of ",
              kMaxSpecLayers, " layers");
  std::vector<LayerSpec> layers = {conv3x3(w[0], 1, false), {"batchnorm2d", {}}, {"relu", {}}};
  for (size_t stage = 0; stage < w.size(); ++stage)
    for (int64_t b = 0; b < blocks; ++b)
      layers.push_back({"basic_block", {{"out", w[stage]}, {"stride", int64_t{stage > 0 && b == 0 ? 2 : 1}}}});
  layers.insert(layers.end(), {{"adaptive_avgpool2d", {{"size", int64_t{1}}}}, {"flatten", {}}, {"linear", {}}});
  return layers;
}

std::vector<LayerSpec> expand_unet(const std::vector<int64_t>&, const Options& o) {
  std::map<std::string, OptionValue> options;
  for (const auto& [key, value] : o.values()) options[key] = value;
  return {{"unet", options}};
}

}  // namespace

std::map<std::string, ModelType> builtin_model_types() {
  std::map<std::string, ModelType> models;
  models["logreg"] = {"softmax (multinomial logistic) regression: Flatten, Linear(in, outputs)",
                      "logreg", false, {}, expand_logreg};
  models["mlp"] = {"multi-layer perceptron: Flatten, then Linear(h), act[, Dropout] per hidden size, then "
                   "Linear(outputs)",
                   "mlp:H1,H2,...[:act=relu][:dropout=0]",
                   true,
                   {{"act", "relu", "activation after each hidden layer (any activation layer type)"},
                    {"dropout", "0", "Dropout probability after each hidden activation, in [0, 1)"}},
                   expand_mlp};
  models["lenet5"] = {"LeNet-5 (nn::lenet5, benchmark W3): conv 6@5x5, act, pool 2, conv 16@5x5, act, pool 2, "
                      "flatten, linear 120, act, linear 84, act, linear(outputs); input (1, 28, 28) or (1, 32, 32)",
                      "lenet5[:act=relu|tanh][:pool=max|avg][:input=28|32]",
                      false,
                      {{"act", "relu", "activation after C1, C3, C5 and F6: relu or tanh"},
                       {"pool", "max", "S2 and S4: max or avg pooling"},
                       {"input", "28", "input size: 28 (C1 padded by 2) or 32 (no padding)"}},
                      expand_lenet5};
  models["vgg_small"] = {"small VGG (nn::vgg_small): per width 2 x (conv3x3, batchnorm2d, relu), maxpool 2; flatten, "
                         "linear(hidden), relu, [dropout], linear(outputs)",
                         "vgg_small[:widths=16,32,64][:hidden=128][:dropout=0]",
                         false,
                         {{"widths", "16,32,64", "channels of each block"},
                          {"hidden", "128", "the classifier's hidden width"},
                          {"dropout", "0", "Dropout before the last linear layer, in [0, 1)"}},
                         expand_vgg_small};
  models["resnet_small"] = {"small ResNet (nn::resnet_small): conv3x3, batchnorm2d, relu, BasicBlocks per width "
                            "(stride 2 from the second stage), adaptive_avgpool2d 1, flatten, linear(outputs)",
                            "resnet_small[:widths=16,32,64][:blocks=1]",
                            false,
                            {{"widths", "16,32,64", "channels of each stage"},
                             {"blocks", "1", "BasicBlocks per stage"}},
                            expand_resnet_small};
  models["unet"] = {"U-Net (nn::UNet) mapping (C, H, W) to (out, H, W); needs image targets",
                    "unet[:out=1][:width=16][:depth=2][:batch_norm=true]",
                    false,
                    {{"out", "1", "output channels"},
                     {"width", "16", "channels at full resolution (doubled per level)"},
                     {"depth", "2", "number of 2x downsamplings (H and W divisible by 2^depth)"},
                     {"batch_norm", "true", "BatchNorm2d after every 3x3 conv"}},
                    expand_unet};
  return models;
}

}  // namespace nabla::io::detail
