// Model specs: the text grammar, every layer type of the JSON form with its defaults, the
// state_dict keys of built models (PyTorch's nn.Sequential numbering), the committed corpus of
// bad spec files, and errors that list what is allowed.
#include <nabla/io/spec.hpp>
#include <nabla/nn/activation.hpp>
#include <nabla/nn/basic.hpp>
#include <nabla/nn/dropout.hpp>
#include <nabla/nn/linear.hpp>

#include "../support/message_of.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using nabla::testing::message_of;

namespace nabla::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string corpus = std::string(NABLA_SOURCE_DIR) + "/tests/io/bad/";
const Shape image = {1, 28, 28};

std::vector<std::string> types_of(const std::vector<LayerSpec>& layers) {
  std::vector<std::string> types;
  for (const LayerSpec& l : layers) types.push_back(l.type);
  return types;
}

std::vector<std::pair<std::string, Shape>> keys_and_shapes(const nn::Module& m) {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& [name, t] : m.state_dict()) out.emplace_back(name, t.shape());
  return out;
}

template <typename M>
std::shared_ptr<M> child(const BuiltModel& built, size_t index) {
  auto m = std::dynamic_pointer_cast<M>((*built.model)[index]);
  EXPECT_NE(m, nullptr) << "child " << index << " has the wrong type";
  return m;
}

// ---- text specs ------------------------------------------------------------------------------

TEST(TextSpec, LogregIsFlattenThenLinear) {
  const BuiltModel built = build_sequential("logreg", image, 10);
  EXPECT_EQ(keys_and_shapes(*built.model),
            (std::vector<std::pair<std::string, Shape>>{{"1.weight", {10, 784}}, {"1.bias", {10}}}));
  EXPECT_EQ(built.output_shape, Shape{10});
  child<nn::Flatten>(built, 0);
  EXPECT_EQ(child<nn::Linear>(built, 1)->in_features, 784);
}

TEST(TextSpec, MlpMatchesTorchSequentialKeys) {
  // torch: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
  //                      nn.ReLU(), nn.Linear(128, 10))
  const BuiltModel built = build_sequential("mlp:256,128", image, 10);
  EXPECT_EQ(keys_and_shapes(*built.model), (std::vector<std::pair<std::string, Shape>>{{"1.weight", {256, 784}},
                                                                                      {"1.bias", {256}},
                                                                                      {"3.weight", {128, 256}},
                                                                                      {"3.bias", {128}},
                                                                                      {"5.weight", {10, 128}},
                                                                                      {"5.bias", {10}}}));
  ASSERT_EQ(built.layers.size(), 6u);
  const std::vector<Shape> shapes = {{784}, {256}, {256}, {128}, {128}, {10}};
  for (size_t i = 0; i < shapes.size(); ++i) {
    EXPECT_EQ(built.layers[i].name, std::to_string(i));
    EXPECT_EQ(built.layers[i].output_shape, shapes[i]);
  }
  EXPECT_EQ(built.layers[2].type, "relu");
  child<nn::ReLU>(built, 4);
  const Tensor y = built.model->forward(randn({3, 1, 28, 28}));
  EXPECT_EQ(y.shape(), (Shape{3, 10}));
}

TEST(TextSpec, MlpOptions) {
  const BuiltModel built = build_sequential(" mlp : 32 , 16 : act=tanh : dropout=0.25 ", {2}, 3);
  EXPECT_EQ(types_of(parse_spec("mlp:32,16:act=tanh:dropout=0.25")),
            (std::vector<std::string>{"flatten", "linear", "tanh", "dropout", "linear", "tanh", "dropout", "linear"}));
  EXPECT_EQ(built.model->state_dict().keys(),
            (std::vector<std::string>{"1.weight", "1.bias", "4.weight", "4.bias", "7.weight", "7.bias"}));
  EXPECT_DOUBLE_EQ(child<nn::Dropout>(built, 3)->p, 0.25);
  child<nn::Tanh>(built, 5);
  EXPECT_EQ(types_of(parse_spec("mlp:8:act=leaky_relu")),
            (std::vector<std::string>{"flatten", "linear", "leaky_relu", "linear"}));
  EXPECT_EQ(types_of(parse_spec("mlp:8:dropout=0")), (std::vector<std::string>{"flatten", "linear", "relu", "linear"}));
}

TEST(TextSpec, ErrorsListWhatIsAllowed) {
  const std::string models = "known models: lenet5, logreg, mlp, resnet_small, unet, vgg_small";
  EXPECT_THAT(message_of([] { parse_spec("cnn:3"); }), HasSubstr("unknown model 'cnn'; " + models));
  EXPECT_THAT(message_of([] { parse_spec(""); }), HasSubstr("unknown model ''; " + models));
  EXPECT_THAT(message_of([] { parse_spec("mlp:256:activation=tanh"); }),
              HasSubstr("unknown option 'activation' for model 'mlp'; allowed: act, dropout"));
  EXPECT_THAT(message_of([] { parse_spec("logreg:act=relu"); }),
              HasSubstr("unknown option 'act' for model 'logreg'; allowed: none"));
  EXPECT_THAT(message_of([] { parse_spec("mlp"); }), HasSubstr("'mlp' needs layer sizes; usage: mlp:H1,H2,..."));
  EXPECT_THAT(message_of([] { parse_spec("logreg:10"); }), HasSubstr("'logreg' takes no sizes"));
  EXPECT_THAT(message_of([] { parse_spec("mlp:256,0"); }), HasSubstr("sizes must be positive integers"));
  EXPECT_THAT(message_of([] { parse_spec("mlp:256,x"); }), HasSubstr("got '256,x'"));
  EXPECT_THAT(message_of([] { parse_spec("mlp:256:128"); }), HasSubstr("more than one size list"));
  EXPECT_THAT(message_of([] { parse_spec("mlp:256:"); }), HasSubstr("empty field"));
  EXPECT_THAT(message_of([] { parse_spec("mlp:256:act=relu:act=tanh"); }), HasSubstr("option 'act' given twice"));
  const std::string act = message_of([] { parse_spec("mlp:256:act=softmax"); });
  EXPECT_THAT(act, HasSubstr("option 'act' must be an activation, one of elu, gelu, identity, leaky_relu, relu,"));
  EXPECT_THAT(act, HasSubstr("got 'softmax'"));
  EXPECT_THAT(message_of([] { parse_spec("mlp:256:dropout=1"); }), HasSubstr("'dropout' must be in [0, 1), got 1"));
  EXPECT_THAT(message_of([] { parse_spec("mlp:256:dropout=lots"); }),
              HasSubstr("model spec 'mlp:256:dropout=lots': option 'dropout' must be a number, got 'lots'"));
  EXPECT_THAT(message_of([] { parse_spec("mlp:256:act=3"); }), HasSubstr("option 'act' must be a string, got 3"));
}

TEST(TextSpec, OutputsMustMatchTheData) {
  EXPECT_THAT(message_of([] { build_model("logreg", image, 0); }),
              HasSubstr("layer 1 (linear): option 'out' is required"));
  EXPECT_THAT(message_of([] { build_model("logreg", {}, 10); }), HasSubstr("at least one dimension"));
  EXPECT_THAT(message_of([] { build_model("logreg", {1, 0, 3}, 10); }), HasSubstr("positive sizes, got [1, 0, 3]"));
}

// ---- JSON specs ------------------------------------------------------------------------------

TEST(JsonSpec, EveryLayerTypeWithDefaults) {
  const BuiltModel built = build_sequential(R"({"layers": [
      {"type": "flatten"}, {"type": "linear", "out": 6}, {"type": "relu"}, {"type": "tanh"},
      {"type": "sigmoid"}, {"type": "step"}, {"type": "identity"}, {"type": "leaky_relu"},
      {"type": "elu"}, {"type": "gelu"}, {"type": "softplus"}, {"type": "dropout"},
      {"type": "linear"}, {"type": "softmax"}, {"type": "log_softmax"}]})",
                                            {2, 3}, 4);
  child<nn::Flatten>(built, 0);
  EXPECT_EQ(child<nn::Linear>(built, 1)->in_features, 6);
  EXPECT_TRUE(child<nn::Linear>(built, 1)->bias.defined());
  child<nn::ReLU>(built, 2);
  child<nn::Tanh>(built, 3);
  child<nn::Sigmoid>(built, 4);
  child<nn::Step>(built, 5);
  child<nn::Identity>(built, 6);
  EXPECT_DOUBLE_EQ(child<nn::LeakyReLU>(built, 7)->negative_slope, 0.01);
  EXPECT_DOUBLE_EQ(child<nn::ELU>(built, 8)->alpha, 1.0);
  EXPECT_EQ(child<nn::GELU>(built, 9)->approximate, "none");
  EXPECT_DOUBLE_EQ(child<nn::Softplus>(built, 10)->beta, 1.0);
  EXPECT_DOUBLE_EQ(child<nn::Softplus>(built, 10)->threshold, 20.0);
  EXPECT_DOUBLE_EQ(child<nn::Dropout>(built, 11)->p, 0.5);
  EXPECT_EQ(child<nn::Linear>(built, 12)->out_features, 4);
  EXPECT_EQ(child<nn::Softmax>(built, 13)->dim, 1);
  EXPECT_EQ(child<nn::LogSoftmax>(built, 14)->dim, 1);
  EXPECT_EQ(built.output_shape, Shape{4});
  const auto builtin = std::count_if(layer_types().begin(), layer_types().end(),
                                     [](const auto& item) { return !item.first.starts_with("zz_"); });
  EXPECT_EQ(builtin, 14 + 24);  // a new type needs a case above, or in spec_cnn_test.cpp for the 24 spatial ones
}

TEST(JsonSpec, EveryOption) {
  const BuiltModel built = build_sequential(R"({"description": "all options", "layers": [
      {"type": "flatten", "start_dim": 2, "end_dim": -1}, {"type": "linear", "out": 5, "bias": false},
      {"type": "leaky_relu", "negative_slope": 0.2}, {"type": "elu", "alpha": 2},
      {"type": "gelu", "approximate": "tanh"}, {"type": "softplus", "beta": 2, "threshold": 10.5},
      {"type": "dropout", "p": 0.1}, {"type": "softmax", "dim": -1}, {"type": "log_softmax", "dim": 2},
      {"type": "flatten", "start_dim": 1, "end_dim": 2}]})",
                                            {3, 2, 2}, 15);
  EXPECT_EQ(child<nn::Flatten>(built, 0)->start_dim, 2);
  EXPECT_EQ(built.layers[0].output_shape, (Shape{3, 4}));
  EXPECT_FALSE(child<nn::Linear>(built, 1)->bias.defined());
  EXPECT_EQ(built.model->state_dict().keys(), std::vector<std::string>{"1.weight"});
  EXPECT_EQ(built.layers[1].output_shape, (Shape{3, 5}));
  EXPECT_DOUBLE_EQ(child<nn::LeakyReLU>(built, 2)->negative_slope, 0.2);
  EXPECT_DOUBLE_EQ(child<nn::ELU>(built, 3)->alpha, 2.0);
  EXPECT_EQ(child<nn::GELU>(built, 4)->approximate, "tanh");
  EXPECT_DOUBLE_EQ(child<nn::Softplus>(built, 5)->beta, 2.0);
  EXPECT_DOUBLE_EQ(child<nn::Softplus>(built, 5)->threshold, 10.5);
  EXPECT_DOUBLE_EQ(child<nn::Dropout>(built, 6)->p, 0.1);
  EXPECT_EQ(child<nn::Softmax>(built, 7)->dim, -1);
  EXPECT_EQ(child<nn::LogSoftmax>(built, 8)->dim, 2);
  EXPECT_EQ(built.output_shape, Shape{15});
  EXPECT_EQ(built.model->forward(randn({2, 3, 2, 2})).shape(), (Shape{2, 15}));
}

TEST(JsonSpec, ErrorsNameTheLayerAndTheAllowedValues) {
  const std::string known =
      "known types: adaptive_avgpool1d, adaptive_avgpool2d, adaptive_avgpool3d, avgpool1d, avgpool2d, avgpool3d, "
      "basic_block, batchnorm1d, batchnorm2d, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, "
      "conv_transpose3d, dropout, dropout2d, elu, flatten, gelu, global_avgpool, identity, layernorm, leaky_relu, "
      "linear, log_softmax, maxpool1d, maxpool2d, maxpool3d, relu, sigmoid, softmax, softplus, step, tanh, unet, "
      "unflatten, upsample";
  EXPECT_THAT(message_of([] { parse_spec(R"({"layers": [{"type": "conv"}]})"); }), HasSubstr(known));
  EXPECT_THAT(message_of([] { parse_spec(R"({"layers": [{"type": "dropout", "rate": 0.1}]})"); }),
              HasSubstr("layer 0 (dropout): unknown option 'rate' for layer type 'dropout'; allowed: p"));
  EXPECT_THAT(message_of([] { parse_spec(R"({"layers": [{"type": "relu", "inplace": true}]})"); }),
              HasSubstr("unknown option 'inplace' for layer type 'relu'; allowed: none"));
  const std::string softmax = R"({"layers": [{"type": "flatten"}, {"type": "softmax", "dim": 2}]})";
  EXPECT_THAT(message_of([&] { build_model(softmax, {4}, 4); }),
              HasSubstr("layer 1 (softmax): dim 2 is out of range for input (N, [4]) with 2 dims"));
  const std::string flatten = R"({"layers": [{"type": "flatten", "start_dim": 3, "end_dim": 2}]})";
  EXPECT_THAT(message_of([&] { build_model(flatten, {2, 2, 2}, 0); }),
              HasSubstr("start_dim 3 comes after end_dim 2"));
  EXPECT_THAT(message_of([] { build_model(R"({"layers": [{"type": "linear", "out": [1, 2]}]})", {4}, 0); }),
              HasSubstr("option 'out' must be an integer, got [1, 2]"));
}

TEST(JsonSpec, CorpusOfBadSpecFiles) {
  std::ifstream manifest(corpus + "expected.tsv");
  ASSERT_TRUE(manifest.good());
  std::string line;
  int checked = 0;
  while (std::getline(manifest, line)) {
    if (!line.starts_with("spec_")) continue;
    const auto tab = line.find('\t');
    const std::string file = corpus + line.substr(0, tab), message = line.substr(tab + 1);
    SCOPED_TRACE(file);
    const std::string error = message_of([&] { build_model(file, image, 10); });
    EXPECT_THAT(error, HasSubstr(message));
    if (error.find("build_model: ") == std::string::npos) {
      EXPECT_THAT(error, HasSubstr(file));
    }
    EXPECT_EQ(message_of([&] { build_model_from_json(file, image, 10); }), error);
    ++checked;
  }
  EXPECT_GE(checked, 15);
  EXPECT_THAT(message_of([] { build_model("/no/such/model.json", image, 10); }),
              HasSubstr("cannot open the JSON file '/no/such/model.json'"));
}

TEST(JsonSpec, FilesAndRoundTripThroughJson) {
  const std::string text = "mlp:16,8:act=elu:dropout=0.5";
  const std::vector<LayerSpec> layers = parse_spec(text);
  const std::string json = layers_to_json(layers);
  EXPECT_EQ(json.substr(0, 56), R"({"layers":[{"type":"flatten"},{"type":"linear","out":16})");
  EXPECT_EQ(types_of(parse_spec(json)), types_of(layers));

  const fs::path file = fs::temp_directory_path() / ("nabla_spec_test_" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << json;
  Generator g1(5), g2(5);
  auto from_text = build_model(text, {3}, 2, &g1);
  auto from_file = build_model(file.string(), {3}, 2, &g2);
  EXPECT_EQ(from_file->state_dict().keys(), from_text->state_dict().keys());
  EXPECT_EQ(from_file->state_dict().at("4.weight").to_vector(), from_text->state_dict().at("4.weight").to_vector());
  EXPECT_EQ(resolve_spec(file.string()), json);  // inlined for checkpoints
  EXPECT_EQ(resolve_spec(text), text);
  fs::remove(file);
}

TEST(JsonSpec, GeneratorMakesBuildsReproducible) {
  Generator a(11), b(11), c(12);
  const auto wa = build_model("mlp:4", {3}, 2, &a)->state_dict().at("1.weight").to_vector();
  EXPECT_EQ(build_model("mlp:4", {3}, 2, &b)->state_dict().at("1.weight").to_vector(), wa);
  EXPECT_NE(build_model("mlp:4", {3}, 2, &c)->state_dict().at("1.weight").to_vector(), wa);
}

// ---- options and registries ------------------------------------------------------------------

TEST(Options, TypedAccess) {
  const Options o("layer 3 (x)", {{"i", int64_t{3}}, {"d", 0.5}, {"b", true}, {"s", std::string("tanh")},
                                  {"l", std::vector<int64_t>{2, 3}}});
  EXPECT_EQ(o.get_int("i"), 3);
  EXPECT_EQ(o.get_int("absent", 7), 7);
  EXPECT_DOUBLE_EQ(o.get_double("i"), 3.0);
  EXPECT_DOUBLE_EQ(o.get_double("d"), 0.5);
  EXPECT_TRUE(o.get_bool("b"));
  EXPECT_EQ(o.get_string("s"), "tanh");
  EXPECT_EQ(o.get_ints("l"), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(o.get_ints("i"), (std::vector<int64_t>{3}));
  EXPECT_THAT(message_of([&] { o.get_int("d"); }), HasSubstr("layer 3 (x): option 'd' must be an integer, got 0.5"));
  EXPECT_THAT(message_of([&] { o.get_bool("s"); }), HasSubstr("option 's' must be true or false, got 'tanh'"));
  EXPECT_THAT(message_of([&] { o.get_ints("s"); }), HasSubstr("option 's' must be a list of integers"));
  EXPECT_THAT(message_of([&] { o.get_double("absent"); }), HasSubstr("layer 3 (x): option 'absent' is required"));
}

TEST(Options, TextValuesAreTyped) {
  register_model("probe", {"test only", "probe[:k=v]", false, {{"k", "", "anything"}},
                           [](const std::vector<int64_t>&, const Options& o) {
                             const OptionValue& v = o.values().at("k");
                             const int64_t out = static_cast<int64_t>(v.index()) + 1;
                             return std::vector<LayerSpec>{{"flatten", {}}, {"linear", {{"out", out}}}};
                           }});
  auto kind = [](const std::string& value) {
    return build_sequential("probe:k=" + value, {2}, 0).output_shape.at(0) - 1;
  };
  EXPECT_EQ(kind("false"), 0);   // bool
  EXPECT_EQ(kind("-3"), 1);      // int64
  EXPECT_EQ(kind("1e-3"), 2);    // double
  EXPECT_EQ(kind("relu"), 3);    // string
  EXPECT_EQ(kind("3,3"), 4);     // int list
  EXPECT_EQ(kind("3,x"), 3);     // not all integers: text
}

TEST(Registry, CustomLayersPlugIn) {
  register_layer("zz_repeat", {"test only: repeats features twice", {{"times", "2", "copies"}}, false,
                                  [](const Options& o, const LayerContext& ctx) {
                                    Shape out = ctx.input_shape;
                                    out.back() *= o.get_int("times", 2);
                                    return LayerResult{std::make_shared<nn::Identity>(), out};
                                  }});
  const BuiltModel built =
      build_sequential(R"({"layers": [{"type": "zz_repeat", "times": 3}, {"type": "linear"}]})", {4}, 2);
  EXPECT_EQ(built.model->state_dict().at("1.weight").shape(), (Shape{2, 12}));
  EXPECT_THAT(message_of([] { parse_spec(R"({"layers": [{"type": "nope"}]})"); }), HasSubstr("zz_repeat"));
}

}  // namespace
}  // namespace nabla::io
