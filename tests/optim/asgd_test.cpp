// ASGD: PyTorch's trajectories, averaged parameters included, for every option (lambd, alpha,
// t0, weight decay, maximize) and its option checks.
#include <nabla/optim/asgd.hpp>

#include "trajectory.hpp"

namespace {

using namespace nabla;
using nabla::testing::expect_error;

Tensor ax_of(const optim::Optimizer& opt, const Tensor& param) {
  return dynamic_cast<const optim::ASGD&>(opt).ax(param);
}

TEST(ASGD, MatchesPyTorchTrajectoriesAndAverages) {
  // PyTorch rounds eta and mu to float32 tensors; nabla keeps them in float64, hence 1e-6.
  const auto make = nabla::testing::make_from_case<optim::ASGD, optim::ASGDOptions>;
  EXPECT_EQ(nabla::testing::replay_cases("ASGD", make, 1e-6, 1e-5, ax_of), 5);
}

TEST(ASGD, AveragesIteratesAfterT0) {
  // lambd = 0: plain SGD steps of lr, w = -t. Step t uses mu = 1 / max(1, t - 1 - t0), so with
  // t0 = 1 ax copies w through step 3, then averages: -3 + (-4 + 3) / 2, -3.5 + (-5 + 3.5) / 3.
  Tensor w = zeros({1}, float64).requires_grad_();
  optim::ASGD asgd({w}, {.lr = 1, .lambd = 0, .t0 = 1});
  EXPECT_FALSE(asgd.ax(w).defined());
  const double expected_ax[] = {-1, -2, -3, -3.5, -4};
  for (int t = 0; t < 5; ++t) {
    w.set_grad(ones({1}, float64));
    asgd.step();
    EXPECT_DOUBLE_EQ(w.item(), -(t + 1.0));
    EXPECT_DOUBLE_EQ(asgd.ax(w).item(), expected_ax[t]) << "step " << t + 1;
  }
  expect_error([&] { (void)asgd.ax(zeros({1}, float64)); }, "not one of the optimiser's parameters");
}

TEST(ASGD, RejectsInvalidOptions) {
  Tensor w = zeros({2}).requires_grad_();
  expect_error([&] { optim::ASGD({w}, {.lr = -0.01}); }, "ASGD: invalid learning rate -0.01");
  expect_error([&] { optim::ASGD({w}, {.weight_decay = -1}); }, "invalid weight_decay value -1");
}

}  // namespace
