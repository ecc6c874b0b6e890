// Logistic/softmax regression trained by the optimisers, and the MLP builder's PyTorch layout.
#include <nabla/nabla.hpp>

#include <gtest/gtest.h>

using namespace nabla;

namespace {

// The lectures' hiring data: two scores per candidate, the first seven hired.
void hiring(Tensor& X, Tensor& y) {
  X = tensor(std::vector<float>{17, 10, 12, 12, 13, 14, 15, 15, 15, 20, 20, 15, 20, 20,
                                4,  8,  7.5, 5, 10, 0,  11, 5,  5,  0,  5,  10, 6,  6},
             {14, 2});
  y = tensor(std::vector<float>{1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}, {14, 1});
}

}  // namespace

TEST(LogisticRegression, SeparatesTheHiringDataWithSGD) {
  manual_seed(0);
  Tensor X, y;
  hiring(X, y);
  nn::LogisticRegression model(2);
  optim::SGD sgd(model.parameters(), {.lr = 0.01});
  for (int step = 0; step < 3000; ++step) {
    sgd.zero_grad();
    nn::functional::binary_cross_entropy_with_logits(model(X), y).backward();
    sgd.step();
  }
  NoGradGuard no_grad;
  EXPECT_EQ(model.predict_proba(X).gt(0.5).eq(y).mean().item(), 1.0);
  const nn::StateDict state = model.state_dict();
  EXPECT_EQ(state.keys(), (std::vector<std::string>{"linear.weight", "linear.bias"}));
  EXPECT_EQ(state.at("linear.weight").shape(), (Shape{1, 2}));
}

TEST(SoftmaxRegression, LearnsThreeBlobsWithAdam) {
  Generator g(1);
  const std::vector<float> centres = {-3, 0, 3, 0, 0, 3};
  std::vector<float> xs;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 150; ++i) {
    const int64_t c = i % 3;
    xs.push_back(centres[2 * c] + static_cast<float>(0.5 * g.normal()));
    xs.push_back(centres[2 * c + 1] + static_cast<float>(0.5 * g.normal()));
    labels.push_back(c);
  }
  Tensor X = tensor(xs, {150, 2});
  Tensor y = tensor(labels, {150});
  manual_seed(0);
  nn::SoftmaxRegression model(2, 3);
  optim::Adam adam(model.parameters(), {.lr = 0.1});
  for (int step = 0; step < 200; ++step) {
    adam.zero_grad();
    nn::functional::cross_entropy(model(X), y).backward();
    adam.step();
  }
  NoGradGuard no_grad;
  EXPECT_GE(nn::accuracy(model(X), y), 0.98);
  EXPECT_NEAR(model.predict_proba(X).sum(1).mean().item(), 1.0, 1e-5);
  EXPECT_THROW(nn::SoftmaxRegression(2, 1), Error);
}

TEST(MLP, LayoutAndKeysMatchPyTorchSequential) {
  // torch: nn.Sequential(Linear(784,256), ReLU(), Dropout(0.2), Linear(256,128), ReLU(), Dropout(0.2), Linear(128,10))
  auto net = nn::mlp({.sizes = {784, 256, 128, 10}, .activation = "relu", .dropout = 0.2});
  EXPECT_EQ(net->size(), 7u);
  EXPECT_EQ(net->state_dict().keys(), (std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias",
                                                                 "6.weight", "6.bias"}));
  EXPECT_EQ(net->num_parameters(), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  EXPECT_EQ((*net)[1]->type_name(), "ReLU");
  EXPECT_EQ((*net)[2]->type_name(), "Dropout");
  Tensor out = net->forward(randn({5, 784}));
  EXPECT_EQ(out.shape(), (Shape{5, 10}));
  auto probs = nn::mlp({.sizes = {3, 4, 2}, .activation = "tanh", .output_activation = "softmax"});
  EXPECT_EQ(probs->size(), 4u);
  EXPECT_NEAR(probs->forward(randn({2, 3})).sum(1).to_vector()[0], 1.0, 1e-6);
}

TEST(MLP, BadOptionsSayWhatIsAllowed) {
  try {
    nn::mlp({.sizes = {2, 3, 1}, .activation = "swish"});
    FAIL();
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("swish"), std::string::npos) << message;
    EXPECT_NE(message.find("relu"), std::string::npos) << message;
  }
  EXPECT_THROW(nn::mlp({.sizes = {2}}), Error);
  EXPECT_THROW(nn::mlp({.sizes = {2, 0, 1}}), Error);
  EXPECT_THROW(nn::mlp({.sizes = {2, 3, 1}, .dropout = 1.0}), Error);
}

namespace {

// The weight generator may be a local that dies before the model is used: nothing may keep it.
TEST(MLPBuilder, DoesNotKeepTheWeightGenerator) {
  std::shared_ptr<nn::Sequential> net;
  {
    Generator local(7);
    net = nn::mlp({.sizes = {4, 8, 2}, .dropout = 0.5}, &local);
  }
  manual_seed(3);
  net->train();
  const Tensor a = net->forward(ones({16, 4}));
  manual_seed(3);
  const Tensor b = net->forward(ones({16, 4}));
  EXPECT_EQ(a.to_vector(), b.to_vector());  // masks from the default generator, reproducible by manual_seed
}

}  // namespace
