// Rprop: PyTorch's trajectories (with sign flips) for every option (lr, etas, step sizes,
// maximize) and its option checks.
#include <nabla/optim/rprop.hpp>

#include "trajectory.hpp"

namespace {

using namespace nabla;
using nabla::testing::expect_error;

TEST(Rprop, MatchesPyTorchTrajectories) {
  const auto make = nabla::testing::make_from_case<optim::Rprop, optim::RpropOptions>;
  EXPECT_EQ(nabla::testing::replay_cases("Rprop", make, 1e-9, 1e-5), 4);
}

TEST(Rprop, GrowsShrinksAndPausesOnSignFlips) {
  Tensor w = zeros({1}, float64).requires_grad_();
  optim::Rprop rprop({w}, {.lr = 0.1, .etas = {0.5, 2.0}, .step_sizes = {0.01, 0.3}});
  const double grads[] = {1, 1, 1, -1, -1};
  // step sizes: 0.1, 0.2, 0.3 (clamped), 0.15 (flip: no move), 0.15 (prev was zeroed: factor 1)
  const double expected[] = {-0.1, -0.3, -0.6, -0.6, -0.45};
  for (int t = 0; t < 5; ++t) {
    w.set_grad(full({1}, grads[t], float64));
    rprop.step();
    EXPECT_NEAR(w.item(), expected[t], 1e-15) << "step " << t + 1;
  }
  EXPECT_NEAR(rprop.state_dict().at("state.0.step_size").item(), 0.15, 1e-15);
}

TEST(Rprop, RejectsInvalidOptions) {
  Tensor w = zeros({2}).requires_grad_();
  expect_error([&] { optim::Rprop({w}, {.lr = -0.01}); }, "Rprop: invalid learning rate -0.01");
  expect_error([&] { optim::Rprop({w}, {.etas = {1.5, 1.2}}); }, "invalid eta values 1.5, 1.2");
  expect_error([&] { optim::Rprop({w}, {.etas = {0.5, 0.9}}); }, "invalid eta values 0.5, 0.9");
}

}  // namespace
