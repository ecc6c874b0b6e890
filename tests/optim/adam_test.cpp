// Adam and AdamW: PyTorch's trajectories for every option (amsgrad, weight decay, betas, eps,
// maximize, parameter groups, skipped gradients), their state and their option checks.
#include <nabla/optim/adam.hpp>

#include "trajectory.hpp"

namespace {

using namespace nabla;
using nabla::testing::expect_error;

TEST(Adam, MatchesPyTorchTrajectories) {
  const auto make = nabla::testing::make_from_case<optim::Adam, optim::AdamOptions>;
  EXPECT_EQ(nabla::testing::replay_cases("Adam", make, 1e-9, 1e-5), 8);
}

TEST(AdamW, MatchesPyTorchTrajectories) {
  const auto make = nabla::testing::make_from_case<optim::AdamW, optim::AdamWOptions>;
  EXPECT_EQ(nabla::testing::replay_cases("AdamW", make, 1e-9, 1e-5), 4);
}

TEST(Adam, DefaultsArePyTorchs) {
  const optim::AdamOptions adam;
  EXPECT_EQ(adam.lr, 1e-3);
  EXPECT_EQ(adam.betas[0], 0.9);
  EXPECT_EQ(adam.betas[1], 0.999);
  EXPECT_EQ(adam.eps, 1e-8);
  EXPECT_EQ(adam.weight_decay, 0.0);
  EXPECT_FALSE(adam.amsgrad);
  EXPECT_EQ(optim::AdamWOptions{}.weight_decay, 1e-2);
}

TEST(Adam, FirstStepMovesEachCoordinateByLr) {
  // After one step m / sqrt(v) = g / |g| (bias-corrected), so every coordinate moves by lr.
  Tensor w = tensor(std::vector<double>{1, -2, 3}, {3}, float64).requires_grad_();
  optim::Adam adam({w}, {.lr = 0.1, .eps = 0});
  w.set_grad(tensor(std::vector<double>{0.5, -3, 1e-3}, {3}, float64));
  adam.step();
  const std::vector<double> got = w.to_vector<double>();
  EXPECT_NEAR(got[0], 0.9, 1e-12);
  EXPECT_NEAR(got[1], -1.9, 1e-12);
  EXPECT_NEAR(got[2], 2.9, 1e-12);
}

TEST(Adam, StateHoldsMomentsAndStepPerParameter) {
  Tensor w = zeros({2, 3}).requires_grad_(), b = zeros({3}).requires_grad_();
  optim::Adam adam({w, b}, {.amsgrad = true});
  w.set_grad(ones({2, 3}));
  adam.step();
  adam.step();
  const nn::StateDict state = adam.state_dict();
  EXPECT_EQ(state.at("state.0.step").item(), 2.0);
  EXPECT_EQ(state.at("state.0.step").dtype(), float64);
  EXPECT_EQ(state.at("state.0.exp_avg").shape(), (Shape{2, 3}));
  EXPECT_EQ(state.at("state.0.exp_avg").dtype(), float32);
  EXPECT_TRUE(state.contains("state.0.max_exp_avg_sq"));
  EXPECT_FALSE(state.contains("state.1.step"));  // b never had a gradient
  EXPECT_EQ(b.to_vector<float>(), std::vector<float>(3, 0.0f));

  optim::Adam plain({w}, {});
  plain.step();
  EXPECT_FALSE(plain.state_dict().contains("state.0.max_exp_avg_sq"));
}

TEST(Adam, RejectsInvalidOptions) {
  Tensor w = zeros({2}).requires_grad_();
  expect_error([&] { optim::Adam({w}, {.lr = -1e-3}); }, "Adam: invalid learning rate -0.001");
  expect_error([&] { optim::Adam({w}, {.betas = {1.0, 0.999}}); }, "invalid beta parameter at index 0: 1");
  expect_error([&] { optim::Adam({w}, {.betas = {0.9, -0.5}}); }, "invalid beta parameter at index 1: -0.5");
  expect_error([&] { optim::Adam({w}, {.eps = -1}); }, "invalid epsilon value -1");
  expect_error([&] { optim::Adam({w}, {.weight_decay = -0.25}); }, "invalid weight_decay value -0.25");
  expect_error([&] { optim::AdamW({w}, {.betas = {0.9, 1.5}}); }, "AdamW: invalid beta parameter at index 1: 1.5");
  expect_error([&] { optim::AdamW({w}, {.weight_decay = -2}); }, "AdamW: invalid weight_decay value -2");
}

}  // namespace
