// Adagrad: PyTorch's trajectories for every option (lr_decay, initial accumulator, weight
// decay, eps, maximize), its eagerly made state and its option checks.
#include <nabla/optim/adagrad.hpp>

#include "trajectory.hpp"

namespace {

using namespace nabla;
using nabla::testing::expect_error;

TEST(Adagrad, MatchesPyTorchTrajectories) {
  const auto make = nabla::testing::make_from_case<optim::Adagrad, optim::AdagradOptions>;
  EXPECT_EQ(nabla::testing::replay_cases("Adagrad", make, 1e-9, 1e-5), 6);
}

TEST(Adagrad, StateExistsFromConstruction) {
  // As PyTorch, every parameter's accumulator is made (filled with initial_accumulator_value)
  // when the optimiser is built, before any step.
  Tensor w = zeros({2, 2}, float64).requires_grad_();
  optim::Adagrad adagrad({w}, {.initial_accumulator_value = 0.25});
  const nn::StateDict state = adagrad.state_dict();
  EXPECT_EQ(state.at("state.0.step").item(), 0.0);
  EXPECT_EQ(state.at("state.0.sum").to_vector<double>(), std::vector<double>(4, 0.25));
}

TEST(Adagrad, DecaysTheLearningRateWithTheStep) {
  // Gradient 1, no accumulator start: step t moves by lr / (1 + (t-1) lr_decay) / sqrt(t).
  Tensor w = zeros({1}, float64).requires_grad_();
  optim::Adagrad adagrad({w}, {.lr = 1, .lr_decay = 0.5, .eps = 0});
  double expected = 0;
  for (int t = 1; t <= 3; ++t) {
    w.set_grad(ones({1}, float64));
    adagrad.step();
    expected -= 1 / (1 + (t - 1) * 0.5) / std::sqrt(t);
    EXPECT_NEAR(w.item(), expected, 1e-14);
  }
}

TEST(Adagrad, RejectsInvalidOptions) {
  Tensor w = zeros({2}).requires_grad_();
  expect_error([&] { optim::Adagrad({w}, {.lr = -0.01}); }, "Adagrad: invalid learning rate -0.01");
  expect_error([&] { optim::Adagrad({w}, {.lr_decay = -0.5}); }, "invalid lr_decay value -0.5");
  expect_error([&] { optim::Adagrad({w}, {.weight_decay = -1}); }, "invalid weight_decay value -1");
  expect_error([&] { optim::Adagrad({w}, {.initial_accumulator_value = -0.25}); },
               "invalid initial_accumulator_value value -0.25");
  expect_error([&] { optim::Adagrad({w}, {.eps = -1e-10}); }, "invalid epsilon value -1e-10");
}

}  // namespace
