// SGD: PyTorch's trajectories for every option (momentum, dampening, Nesterov, weight decay,
// maximize, parameter groups, skipped gradients) and its option checks.
#include <nabla/optim/sgd.hpp>

#include "trajectory.hpp"

namespace {

using namespace nabla;
using nabla::testing::expect_error;

TEST(SGD, MatchesPyTorchTrajectories) {
  const auto make = nabla::testing::make_from_case<optim::SGD, optim::SGDOptions>;
  EXPECT_EQ(nabla::testing::replay_cases("SGD", make, 1e-9, 1e-5), 10);
}

TEST(SGD, FirstMomentumStepUsesTheGradientItself) {
  // PyTorch starts the buffer at the first gradient (not at zero): two steps of lr 1, momentum
  // 0.5, dampening 0.5 with gradient 1 move by 1, then by 0.5 * 1 + 0.5 * 1 = 1.
  Tensor w = zeros({1}, float64).requires_grad_();
  optim::SGD sgd({w}, {.lr = 1, .momentum = 0.5, .dampening = 0.5});
  w.set_grad(ones({1}, float64));
  sgd.step();
  EXPECT_DOUBLE_EQ(w.item(), -1.0);
  sgd.step();
  EXPECT_DOUBLE_EQ(w.item(), -2.0);
  EXPECT_DOUBLE_EQ(sgd.state_dict().at("state.0.momentum_buffer").item(), 1.0);
}

TEST(SGD, WithoutMomentumKeepsNoState) {
  Tensor w = zeros({2}).requires_grad_();
  optim::SGD sgd({w}, {.lr = 0.1});
  w.set_grad(ones({2}));
  sgd.step();
  EXPECT_FALSE(sgd.state_dict().contains("state.0.momentum_buffer"));
  EXPECT_FLOAT_EQ(w.to_vector<float>()[0], -0.1f);
}

TEST(SGD, RejectsInvalidOptions) {
  Tensor w = zeros({2}).requires_grad_();
  expect_error([&] { optim::SGD({w}, {.momentum = 0.9}); }, "lr is required");
  expect_error([&] { optim::SGD({w}, {.lr = -0.5}); }, "invalid learning rate -0.5");
  expect_error([&] { optim::SGD({w}, {.lr = 0.1, .momentum = -0.25}); }, "invalid momentum value -0.25");
  expect_error([&] { optim::SGD({w}, {.lr = 0.1, .weight_decay = -1}); }, "invalid weight_decay value -1");
  expect_error([&] { optim::SGD({w}, {.lr = 0.1, .nesterov = true}); }, "Nesterov momentum requires");
  expect_error([&] { optim::SGD({w}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
               "dampening 0.1");
}

}  // namespace
