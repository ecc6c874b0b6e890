// nn::Module, Sequential and ModuleList with real layers: PyTorch's dotted state_dict keys and
// printed trees (recorded from PyTorch in tests/golden/nn_layers.json), exact state_dict round
// trips, strict and non-strict loading and their error messages, loads that fail leaving the model
// untouched, train/eval propagation, zero_grad, apply, parameter counts and frozen sub-modules.
#include <nabla/nabla.hpp>
#include <nabla/nn/container.hpp>

#include "../support/golden.hpp"
#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <sstream>

using nabla::testing::message_of;

using namespace nabla;
using nabla::testing::golden;

namespace {

using Json = nlohmann::json;

const Json& modules_golden() {
  static const Json j = golden("nn_layers")["modules"];
  return j;
}

// The nested model of scripts/golden/nn_layers.py: a layer, a Sequential, a ModuleList.
struct Net : nn::Module {
  std::shared_ptr<nn::Linear> fc1;
  std::shared_ptr<nn::Sequential> block;
  std::shared_ptr<nn::ModuleList> heads;

  Net() {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(4, 8));
    block = register_module("block", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                                         std::make_shared<nn::Linear>(8, 8), std::make_shared<nn::ReLU>(),
                                         std::make_shared<nn::Dropout>(0.25),
                                         std::make_shared<nn::Linear>(8, 6, /*bias=*/false)}));
    heads = register_module("heads", std::make_shared<nn::ModuleList>(std::initializer_list<std::shared_ptr<nn::Module>>{
                                         std::make_shared<nn::Linear>(6, 2), std::make_shared<nn::Identity>(),
                                         std::make_shared<nn::Linear>(6, 3)}));
  }

  // (N, 4) -> (N, 2): the first head on the shared trunk.
  Tensor forward(const Tensor& x) override { return (*heads)[0]->forward(block->forward(fc1->forward(x).relu())); }
  std::string type_name() const override { return "Net"; }
};

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) out.push_back(item.first);
  return out;
}

// A copy of the model's state with every tensor cloned (so that later changes to the model do
// not show through).
nn::StateDict snapshot(const nn::Module& m) {
  nn::StateDict out;
  for (const auto& [key, t] : m.state_dict()) out.insert(key, t.detach().clone());
  return out;
}

void expect_same_state(const nn::Module& m, const nn::StateDict& expected) {
  const nn::StateDict actual = m.state_dict();
  ASSERT_EQ(actual.keys(), expected.keys());
  for (const auto& [key, t] : actual) EXPECT_EQ(t.to_vector<float>(), expected.at(key).to_vector<float>()) << key;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// ---- names and printing as PyTorch ------------------------------------------------------------------

TEST(ModuleNames, DottedKeysAndShapesMatchPyTorch) {
  Net net;
  const Json& g = modules_golden();
  const nn::StateDict state = net.state_dict();
  EXPECT_EQ(state.keys(), g["net_keys"].get<std::vector<std::string>>());
  std::vector<Shape> shapes;
  for (const auto& [key, t] : state) shapes.push_back(t.shape());
  EXPECT_EQ(shapes, g["net_shapes"].get<std::vector<Shape>>());
  EXPECT_EQ(names_of(net.named_parameters()), g["net_keys"].get<std::vector<std::string>>());
  EXPECT_EQ(net.num_parameters(), g["net_num_parameters"].get<int64_t>());
  EXPECT_EQ(net.parameters().size(), 9u);
  EXPECT_EQ(names_of(net.named_parameters(/*recurse=*/false)), std::vector<std::string>{});
  EXPECT_EQ(names_of(net.fc1->named_parameters()), (std::vector<std::string>{"weight", "bias"}));
}

TEST(ModuleNames, NamedModulesAndChildren) {
  Net net;
  std::vector<std::string> names;
  for (const auto& [name, m] : net.named_modules()) names.push_back(name + ":" + m->type_name());
  EXPECT_EQ(names, (std::vector<std::string>{"fc1:Linear", "block:Sequential", "block.0:Linear", "block.1:ReLU",
                                             "block.2:Dropout", "block.3:Linear", "heads:ModuleList",
                                             "heads.0:Linear", "heads.1:Identity", "heads.2:Linear"}));
  ASSERT_EQ(net.children().size(), 3u);
  EXPECT_EQ(net.children()[1], net.block);
}

TEST(ModulePrinting, TreesPrintLikePyTorch) {
  const Json& g = modules_golden();
  EXPECT_EQ(Net().to_string(), g["net_repr"].get<std::string>());

  nn::Sequential mlp{std::make_shared<nn::Flatten>(),       std::make_shared<nn::Linear>(784, 256),
                     std::make_shared<nn::ReLU>(),          std::make_shared<nn::Dropout>(0.2),
                     std::make_shared<nn::Linear>(256, 10), std::make_shared<nn::LogSoftmax>(1)};
  EXPECT_EQ(mlp.to_string(), g["mlp_repr"].get<std::string>());

  nn::Sequential zoo{std::make_shared<nn::Identity>(),
                     std::make_shared<nn::Sigmoid>(),
                     std::make_shared<nn::Tanh>(),
                     std::make_shared<nn::LeakyReLU>(0.2),
                     std::make_shared<nn::ELU>(0.5),
                     std::make_shared<nn::GELU>("tanh"),
                     std::make_shared<nn::Softplus>(2.0, 10.0),
                     std::make_shared<nn::Softmax>(-1),
                     std::make_shared<nn::Dropout>(),
                     std::make_shared<nn::Flatten>(0, 2),
                     std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                         std::make_shared<nn::Linear>(3, 1, false), std::make_shared<nn::ReLU>()})};
  EXPECT_EQ(zoo.to_string(), g["zoo_repr"].get<std::string>());
  std::ostringstream os;
  os << zoo;
  EXPECT_EQ(os.str(), zoo.to_string());
}

// ---- containers ---------------------------------------------------------------------------------------

TEST(ModuleContainers, SequentialNamesChildrenByPositionAndChains) {
  manual_seed(0);
  auto fc1 = std::make_shared<nn::Linear>(3, 4);
  auto fc2 = std::make_shared<nn::Linear>(4, 2);
  nn::Sequential seq{fc1, std::make_shared<nn::Tanh>(), fc2};
  EXPECT_EQ(seq.size(), 3u);
  EXPECT_EQ(seq[0], fc1);
  EXPECT_EQ(seq.state_dict().keys(), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  Tensor x = randn({5, 3});
  EXPECT_EQ(seq.forward(x).to_vector<float>(), fc2->forward(fc1->forward(x).tanh()).to_vector<float>());
  seq.push_back(std::make_shared<nn::Sigmoid>());
  seq.push_back("out", std::make_shared<nn::Linear>(2, 1));
  EXPECT_EQ(seq.state_dict().keys().back(), "out.bias");
  EXPECT_EQ(seq(x).shape(), (Shape{5, 1}));
  EXPECT_THROW(seq[9], Error);
  // Names must be new and free of dots.
  EXPECT_TRUE(contains(message_of([&] { seq.push_back("out", std::make_shared<nn::ReLU>()); }), "'out'"));
  EXPECT_TRUE(contains(message_of([&] { seq.push_back("a.b", std::make_shared<nn::ReLU>()); }), "'a.b'"));
}

TEST(ModuleContainers, ModuleListHoldsWithoutForward) {
  nn::ModuleList list{std::make_shared<nn::Linear>(2, 2), std::make_shared<nn::ReLU>()};
  list.push_back(std::make_shared<nn::Linear>(2, 1, false));
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(list.state_dict().keys(), (std::vector<std::string>{"0.weight", "0.bias", "2.weight"}));
  int visited = 0;
  for (const auto& [name, m] : list) visited += m->type_name() == "Linear";
  EXPECT_EQ(visited, 2);
  EXPECT_THROW(list.forward(ones({1, 2})), Error);
  EXPECT_THROW(list[3], Error);
}

// ---- state_dict ---------------------------------------------------------------------------------------

TEST(ModuleState, RoundTripIsExact) {
  manual_seed(1);
  Net a;
  manual_seed(2);
  Net b;
  Tensor x = randn({3, 4});
  a.eval();
  b.eval();
  EXPECT_NE(a.forward(x).to_vector<float>(), b.forward(x).to_vector<float>());
  b.load_state_dict(a.state_dict());
  expect_same_state(b, snapshot(a));
  EXPECT_EQ(a.forward(x).to_vector<float>(), b.forward(x).to_vector<float>());
  // Loading copies: the two models no longer share anything.
  nn::init::zeros_(a.fc1->weight);
  EXPECT_NE(b.fc1->weight.to_vector<float>(), a.fc1->weight.to_vector<float>());
  // state_dict() shares data with the model; parameters remain the same tensors after a load.
  EXPECT_TRUE(b.state_dict().at("fc1.weight").shares_storage(b.fc1->weight));
  EXPECT_TRUE(b.named_parameters()[0].second.is_same(b.fc1->weight));
}

TEST(ModuleState, StrictLoadNamesMissingUnexpectedAndMisshapedKeys) {
  Net net;
  const nn::StateDict full = snapshot(net);
  auto without = [&](const std::string& drop) {
    nn::StateDict out;
    for (const auto& [k, v] : full)
      if (k != drop) out.insert(k, v);
    return out;
  };
  std::string msg = message_of([&] { net.load_state_dict(without("block.3.weight")); });
  EXPECT_TRUE(contains(msg, "missing keys [block.3.weight]")) << msg;
  nn::StateDict extra = snapshot(net);
  extra.insert("fc2.weight", zeros({2, 2}));
  msg = message_of([&] { net.load_state_dict(extra); });
  EXPECT_TRUE(contains(msg, "unexpected keys [fc2.weight]")) << msg;
  nn::StateDict misshaped = without("fc1.weight");
  misshaped.insert("fc1.weight", zeros({4, 8}));
  msg = message_of([&] { net.load_state_dict(misshaped); });
  EXPECT_TRUE(contains(msg, "fc1.weight") && contains(msg, "[4, 8]") && contains(msg, "[8, 4]")) << msg;
}

TEST(ModuleState, NonStrictLoadSkipsAbsentKeysButNotShapes) {
  manual_seed(3);
  Net src;
  manual_seed(4);
  Net dst;
  const nn::StateDict before = snapshot(dst);
  nn::StateDict partial;
  partial.insert("fc1.bias", src.fc1->bias.detach().clone());
  partial.insert("not.a.key", zeros({1}));
  EXPECT_THROW(dst.load_state_dict(partial), Error);  // strict by default
  dst.load_state_dict(partial, /*strict=*/false);
  EXPECT_EQ(dst.fc1->bias.to_vector<float>(), src.fc1->bias.to_vector<float>());
  EXPECT_EQ(dst.fc1->weight.to_vector<float>(), before.at("fc1.weight").to_vector<float>());
  partial.insert("fc1.weight", zeros({1, 4}));
  EXPECT_THROW(dst.load_state_dict(partial, false), Error);
}

TEST(ModuleState, FailedLoadLeavesTheModelUntouched) {
  Net net;
  const nn::StateDict before = snapshot(net);
  // Good values for every key first, then one bad shape at the end.
  nn::StateDict bad;
  for (const auto& [k, v] : before) bad.insert(k, k == "heads.2.bias" ? zeros({4}) : v + 1.0);
  EXPECT_THROW(net.load_state_dict(bad), Error);
  expect_same_state(net, before);
  nn::StateDict bad_missing;
  for (const auto& [k, v] : before)
    if (k != "heads.2.bias") bad_missing.insert(k, v + 1.0);
  EXPECT_THROW(net.load_state_dict(bad_missing), Error);
  expect_same_state(net, before);
}

// ---- modes and utilities ------------------------------------------------------------------------------

TEST(ModuleModes, TrainAndEvalReachEveryDescendant) {
  Net net;
  auto all_training = [&](bool expected) {
    bool ok = net.is_training() == expected;
    for (const auto& [name, m] : net.named_modules()) ok = ok && m->is_training() == expected;
    return ok;
  };
  EXPECT_TRUE(all_training(true));
  net.eval();
  EXPECT_TRUE(all_training(false));
  // In eval mode the Dropout inside is the identity, so forward is deterministic.
  Tensor x = randn({16, 4});
  EXPECT_EQ(net.forward(x).to_vector<float>(), net.forward(x).to_vector<float>());
  net.train();
  EXPECT_TRUE(all_training(true));
  EXPECT_NE(net.forward(x).to_vector<float>(), net.forward(x).to_vector<float>());
  net.block->eval();  // a sub-tree alone
  EXPECT_FALSE((*net.block)[2]->is_training());
  EXPECT_TRUE(net.fc1->is_training());
}

TEST(ModuleModes, ZeroGradClearsOrZeroesEveryGradient) {
  Net net;
  net.forward(randn({3, 4})).sum().backward();
  const auto has_grad = [&](const Tensor& p) { return p.grad().defined(); };
  // heads.2 is not used by forward, so it gets no gradient.
  for (const auto& [name, p] : net.named_parameters())
    EXPECT_EQ(has_grad(p), name.rfind("heads.2", 0) != 0) << name;
  net.zero_grad(/*set_to_none=*/false);
  EXPECT_EQ(net.fc1->weight.grad().to_vector<float>(), std::vector<float>(32, 0.0f));
  net.zero_grad();
  for (const Tensor& p : net.parameters()) EXPECT_FALSE(has_grad(p));
}

TEST(ModuleModes, ApplyVisitsChildrenFirst) {
  Net net;
  std::vector<std::string> order;
  net.apply([&](nn::Module& m) { order.push_back(m.type_name()); });
  EXPECT_EQ(order, (std::vector<std::string>{"Linear", "Linear", "ReLU", "Dropout", "Linear", "Sequential", "Linear",
                                             "Identity", "Linear", "ModuleList", "Net"}));
  // The usual use: re-initialise every Linear.
  net.apply([](nn::Module& m) {
    if (auto* linear = dynamic_cast<nn::Linear*>(&m)) {
      nn::init::constant_(linear->weight, 0.5);
      if (linear->bias.defined()) nn::init::zeros_(linear->bias);
    }
  });
  for (const auto& [name, p] : net.named_parameters()) {
    const float expected = name.ends_with("bias") ? 0.0f : 0.5f;
    EXPECT_EQ(p.to_vector<float>(), std::vector<float>(p.numel(), expected)) << name;
  }
}

TEST(ModuleModes, FrozenSubModuleGetsNoGradientButPassesItOn) {
  Net net;
  net.block->requires_grad_(false);
  EXPECT_EQ(net.num_parameters(), 195);
  EXPECT_EQ(net.num_parameters(/*trainable_only=*/true), 195 - (8 * 8 + 8 + 6 * 8));
  net.forward(randn({5, 4})).sum().backward();
  for (const auto& [name, p] : net.block->named_parameters()) {
    EXPECT_FALSE(p.requires_grad()) << name;
    EXPECT_FALSE(p.grad().defined()) << name;
  }
  // The gradient still flows through the frozen block to the layer before it.
  EXPECT_TRUE(net.fc1->weight.grad().defined());
  EXPECT_TRUE(net.fc1->bias.grad().defined());
  EXPECT_TRUE((*net.heads)[0]->named_parameters()[0].second.grad().defined());
  net.block->requires_grad_(true);
  EXPECT_EQ(net.num_parameters(true), 195);
}
