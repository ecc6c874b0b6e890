// RMSprop: PyTorch's trajectories for every option (momentum, centered, weight decay, alpha,
// eps, maximize), its state and its option checks.
#include <nabla/optim/rmsprop.hpp>

#include "trajectory.hpp"

namespace {

using namespace nabla;
using nabla::testing::expect_error;

TEST(RMSprop, MatchesPyTorchTrajectories) {
  const auto make = nabla::testing::make_from_case<optim::RMSprop, optim::RMSpropOptions>;
  EXPECT_EQ(nabla::testing::replay_cases("RMSprop", make, 1e-9, 1e-5), 6);
}

TEST(RMSprop, KeepsOnlyTheStateItsOptionsUse) {
  Tensor w = zeros({3}).requires_grad_();
  optim::RMSprop plain({w}, {});
  w.set_grad(ones({3}));
  plain.step();
  nn::StateDict state = plain.state_dict();
  EXPECT_TRUE(state.contains("state.0.square_avg"));
  EXPECT_FALSE(state.contains("state.0.momentum_buffer"));
  EXPECT_FALSE(state.contains("state.0.grad_avg"));

  optim::RMSprop full({w}, {.momentum = 0.9, .centered = true});
  full.step();
  state = full.state_dict();
  EXPECT_TRUE(state.contains("state.0.momentum_buffer"));
  EXPECT_TRUE(state.contains("state.0.grad_avg"));
  EXPECT_EQ(state.at("state.0.step").item(), 1.0);
}

TEST(RMSprop, RejectsInvalidOptions) {
  Tensor w = zeros({2}).requires_grad_();
  expect_error([&] { optim::RMSprop({w}, {.lr = -0.01}); }, "RMSprop: invalid learning rate -0.01");
  expect_error([&] { optim::RMSprop({w}, {.alpha = -0.5}); }, "invalid alpha value -0.5");
  expect_error([&] { optim::RMSprop({w}, {.eps = -1}); }, "invalid epsilon value -1");
  expect_error([&] { optim::RMSprop({w}, {.weight_decay = -3}); }, "invalid weight_decay value -3");
  expect_error([&] { optim::RMSprop({w}, {.momentum = -0.9}); }, "invalid momentum value -0.9");
}

}  // namespace
