// Adadelta: PyTorch's trajectories for every option (lr, rho, eps, weight decay, maximize)
// and its option checks.
#include <nabla/optim/adadelta.hpp>

#include "trajectory.hpp"

namespace {

using namespace nabla;
using nabla::testing::expect_error;

TEST(Adadelta, MatchesPyTorchTrajectories) {
  const auto make = nabla::testing::make_from_case<optim::Adadelta, optim::AdadeltaOptions>;
  EXPECT_EQ(nabla::testing::replay_cases("Adadelta", make, 1e-9, 1e-5), 5);
}

TEST(Adadelta, FirstStepIsSqrtEpsOverRms) {
  // square_avg = (1 - rho) g^2, acc_delta = 0: delta = sqrt(eps) / sqrt((1 - rho) g^2 + eps) * g.
  Tensor w = zeros({1}, float64).requires_grad_();
  optim::Adadelta adadelta({w}, {.lr = 1, .rho = 0.9, .eps = 1e-6});
  w.set_grad(full({1}, 2.0, float64));
  adadelta.step();
  EXPECT_NEAR(w.item(), -std::sqrt(1e-6) / std::sqrt(0.1 * 4 + 1e-6) * 2, 1e-15);
}

TEST(Adadelta, RejectsInvalidOptions) {
  Tensor w = zeros({2}).requires_grad_();
  expect_error([&] { optim::Adadelta({w}, {.lr = -1}); }, "Adadelta: invalid learning rate -1");
  expect_error([&] { optim::Adadelta({w}, {.rho = 1.5}); }, "invalid rho value 1.5");
  expect_error([&] { optim::Adadelta({w}, {.eps = -1e-6}); }, "invalid epsilon value -1e-06");
  expect_error([&] { optim::Adadelta({w}, {.weight_decay = -0.5}); }, "invalid weight_decay value -0.5");
}

}  // namespace
