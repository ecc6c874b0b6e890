// Barzilai-Borwein gradient descent: step sizes checked against hand computation for both
// variants, convergence against fixed-step gradient descent, the s.y <= 0 safeguard, the clamps,
// exact resumption from a state dict, and the error paths.
#include <nabla/optim/barzilai_borwein.hpp>

#include <nabla/autograd.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

namespace nabla::optim {
namespace {

using ::testing::HasSubstr;

Tensor vec(std::vector<double> v) {
  const auto n = static_cast<int64_t>(v.size());
  return tensor(std::move(v), {n}, float64);
}

// f(w) = 1/2 w.(A w) - b.w for a symmetric A given row-major; sets w's gradient A w - b.
Tensor quadratic(const Tensor& w, const Tensor& A, const Tensor& b) {
  return 0.5 * (w * A.matmul(w)).sum() - (b * w).sum();
}

void set_quadratic_grad(const Tensor& w, const Tensor& A, const Tensor& b) {
  w.set_grad(Tensor());
  quadratic(w, A, b).backward();
}

TEST(BarzilaiBorwein, SecondStepMatchesHandComputation) {
  // f = (w0^2 + 4 w1^2) / 2 from w = (1, 1), lr = 0.1: g0 = (1, 4), w1 = (0.9, 0.6),
  // s = (-0.1, -0.4), y = A s = (-0.1, -1.6): s.s = 0.17, s.y = 0.65, y.y = 2.57.
  const Tensor A = tensor(std::vector<double>{1, 0, 0, 4}, {2, 2}), b = vec({0, 0});
  for (BBVariant variant : {BBVariant::BB1, BBVariant::BB2}) {
    Tensor w = vec({1, 1}).requires_grad_();
    BarzilaiBorwein bb({w}, {.lr = 0.1, .variant = variant});
    set_quadratic_grad(w, A, b);
    bb.step();
    EXPECT_EQ(bb.last_step_size(), 0.1);
    EXPECT_NEAR(w.to_vector<double>()[0], 0.9, 1e-15);
    EXPECT_NEAR(w.to_vector<double>()[1], 0.6, 1e-15);
    set_quadratic_grad(w, A, b);  // g1 = (0.9, 2.4)
    bb.step();
    const double alpha = variant == BBVariant::BB1 ? 0.17 / 0.65 : 0.65 / 2.57;
    EXPECT_NEAR(bb.last_step_size(), alpha, 1e-15);
    EXPECT_NEAR(w.to_vector<double>()[0], 0.9 - alpha * 0.9, 1e-15);
    EXPECT_NEAR(w.to_vector<double>()[1], 0.6 - alpha * 2.4, 1e-15);
    EXPECT_EQ(bb.iterations(), 2);
    EXPECT_EQ(bb.fallbacks(), 0);
  }
}

// The BB iteration written out on plain doubles, for a 2-D quadratic split over two parameters.
TEST(BarzilaiBorwein, FlattensEveryParameterIntoOneStep) {
  const double A[2][2] = {{3, 1}, {1, 2}}, c[2] = {1, -1};
  for (BBVariant variant : {BBVariant::BB1, BBVariant::BB2}) {
    Tensor p = vec({2.0}).requires_grad_(), q = vec({-1.5}).requires_grad_();
    BarzilaiBorwein bb({p, q}, {.lr = 0.05, .variant = variant});
    double w[2] = {2.0, -1.5}, w_prev[2] = {0, 0}, g_prev[2] = {0, 0};
    for (int k = 0; k < 8; ++k) {
      p.set_grad(Tensor());
      q.set_grad(Tensor());
      const Tensor loss = 0.5 * (3.0 * p * p + 2.0 * p * q + 2.0 * q * q) - (p - q);
      loss.sum().backward();
      const double g[2] = {A[0][0] * w[0] + A[0][1] * w[1] - c[0], A[1][0] * w[0] + A[1][1] * w[1] - c[1]};
      double alpha = 0.05;
      if (k > 0) {
        const double s[2] = {w[0] - w_prev[0], w[1] - w_prev[1]}, y[2] = {g[0] - g_prev[0], g[1] - g_prev[1]};
        const double ss = s[0] * s[0] + s[1] * s[1], sy = s[0] * y[0] + s[1] * y[1], yy = y[0] * y[0] + y[1] * y[1];
        alpha = variant == BBVariant::BB1 ? ss / sy : sy / yy;
      }
      bb.step();
      for (int i = 0; i < 2; ++i) {
        w_prev[i] = w[i];
        g_prev[i] = g[i];
        w[i] -= alpha * g[i];
      }
      EXPECT_NEAR(bb.last_step_size(), alpha, 1e-12 * alpha) << "step " << k;
      EXPECT_NEAR(p.item(), w[0], 1e-12) << "step " << k;
      EXPECT_NEAR(q.item(), w[1], 1e-12) << "step " << k;
    }
    // BB2 <= BB1 always; both lie in [1/lambda_max, 1/lambda_min] of A (about [0.28, 0.72]).
    EXPECT_GT(bb.last_step_size(), 0.27);
    EXPECT_LT(bb.last_step_size(), 0.73);
  }
}

// Iterations until |g| <= 1e-8 |g0| on an ill-conditioned quadratic (eigenvalues 1..100), for BB
// and for gradient descent at its best fixed step 2 / (L + mu).
int iterations_to_converge(std::optional<BBVariant> variant) {
  const int64_t d = 20;
  std::vector<double> eig(d), start(d);
  for (int64_t i = 0; i < d; ++i) {
    eig[i] = 1.0 + 99.0 * static_cast<double>(i) / (d - 1);
    start[i] = 1.0 + 0.1 * static_cast<double>(i);
  }
  const Tensor diag = vec(eig);
  Tensor w = vec(start).requires_grad_();
  auto grad = [&] {
    w.set_grad(Tensor());
    (0.5 * (diag * w * w).sum()).backward();
    return std::sqrt((w.grad() * w.grad()).sum().item());
  };
  const double fixed = 2.0 / (1.0 + 100.0);
  BarzilaiBorwein bb({w}, {.lr = fixed, .variant = variant.value_or(BBVariant::BB1)});
  const double g0 = grad();
  for (int k = 1; k <= 5000; ++k) {
    if (variant) {
      bb.step();
    } else {
      NoGradGuard no_grad;
      w.sub_(w.grad(), fixed);
    }
    if (grad() <= 1e-8 * g0) return k;
  }
  return 5000;
}

TEST(BarzilaiBorwein, ConvergesMuchFasterThanFixedStepGradientDescent) {
  const int gd = iterations_to_converge(std::nullopt);
  const int bb1 = iterations_to_converge(BBVariant::BB1);
  const int bb2 = iterations_to_converge(BBVariant::BB2);
  // GD contracts by (kappa - 1) / (kappa + 1) = 99/101 per step: about 900 steps for 1e-8.
  EXPECT_GT(gd, 800);
  EXPECT_LT(bb1, 150);
  EXPECT_LT(bb2, 150);
  EXPECT_LT(5 * bb1, gd);
  EXPECT_LT(5 * bb2, gd);
}

TEST(BarzilaiBorwein, OneDimensionalQuadraticIsSolvedBySecondStep) {
  // On c w^2 / 2 both variants give exactly 1/c, which jumps to the minimum.
  for (BBVariant variant : {BBVariant::BB1, BBVariant::BB2}) {
    Tensor w = vec({3.0}).requires_grad_();
    BarzilaiBorwein bb({w}, {.lr = 0.01, .variant = variant});
    for (int k = 0; k < 2; ++k) {
      w.set_grad(Tensor());
      (2.5 * w * w).sum().backward();
      bb.step();
    }
    EXPECT_NEAR(bb.last_step_size(), 1 / 5.0, 1e-15);
    EXPECT_NEAR(w.item(), 0.0, 1e-14);
  }
}

TEST(BarzilaiBorwein, NonPositiveCurvatureFallsBackToLr) {
  // f = -w^2 / 2 (concave): y = -s, so s.y < 0 on every step after the first.
  Tensor w = vec({1.0}).requires_grad_();
  BarzilaiBorwein bb({w}, {.lr = 0.25});
  double expected = 1.0;
  for (int k = 0; k < 4; ++k) {
    w.set_grad(Tensor());
    (-0.5 * w * w).sum().backward();
    bb.step();
    expected += 0.25 * expected;
    EXPECT_EQ(bb.last_step_size(), 0.25);
    EXPECT_DOUBLE_EQ(w.item(), expected);
  }
  EXPECT_EQ(bb.fallbacks(), 3);

  // No movement at all (a zero gradient) is s.y = 0: the same fallback, no NaN.
  Tensor z = vec({0.0, 0.0}).requires_grad_();
  BarzilaiBorwein still({z}, {.lr = 0.5});
  for (int k = 0; k < 2; ++k) {
    z.set_grad(zeros({2}, float64));
    still.step();
  }
  EXPECT_EQ(still.last_step_size(), 0.5);
  EXPECT_EQ(z.to_vector<double>(), (std::vector<double>{0.0, 0.0}));
}

TEST(BarzilaiBorwein, StepsAreClamped) {
  for (auto [curvature, clamp] : {std::pair{1e-3, 5.0}, std::pair{1e3, 0.01}}) {
    Tensor w = vec({1.0}).requires_grad_();
    BarzilaiBorwein bb({w}, {.lr = 1e-4, .min_step = 0.01, .max_step = 5.0});
    for (int k = 0; k < 2; ++k) {
      w.set_grad(Tensor());
      (0.5 * curvature * w * w).sum().backward();
      bb.step();
    }
    EXPECT_EQ(bb.last_step_size(), clamp) << "BB step 1/" << curvature;
  }
}

TEST(BarzilaiBorwein, ParametersWithoutGradientStayAndClosureLossIsReturned) {
  Tensor used = vec({1.0, 2.0}).requires_grad_(), unused = vec({7.0}).requires_grad_();
  BarzilaiBorwein bb({used, unused}, {.lr = 0.1});
  const Tensor loss = bb.step([&] {
    bb.zero_grad();
    Tensor l = (used * used).sum();
    l.backward();
    return l;
  });
  EXPECT_EQ(loss.item(), 5.0);
  EXPECT_EQ(unused.item(), 7.0);
  EXPECT_NEAR(used.to_vector<double>()[1], 2.0 - 0.1 * 4.0, 1e-15);
}

TEST(BarzilaiBorwein, StateDictResumesExactly) {
  const Tensor A = tensor(std::vector<double>{3, 1, 0, 1, 2, 0.5, 0, 0.5, 1}, {3, 3}), b = vec({1, -1, 0.5});
  auto run = [&](BarzilaiBorwein& bb, Tensor& w, int steps) {
    for (int k = 0; k < steps; ++k) {
      set_quadratic_grad(w, A, b);
      bb.step();
    }
  };
  Tensor straight = vec({1, 2, 3}).requires_grad_();
  BarzilaiBorwein a({straight}, {.lr = 0.05, .variant = BBVariant::BB2});
  run(a, straight, 9);

  Tensor first = vec({1, 2, 3}).requires_grad_();
  BarzilaiBorwein b1({first}, {.lr = 0.05, .variant = BBVariant::BB2});
  run(b1, first, 4);
  const nn::StateDict saved = b1.state_dict();
  EXPECT_TRUE(saved.contains("state.0.prev_param") && saved.contains("state.0.prev_grad"));
  Tensor resumed = first.detach().clone().requires_grad_();
  BarzilaiBorwein b2({resumed}, {.lr = 0.7});
  b2.load_state_dict(saved);
  EXPECT_EQ(b2.options().variant, BBVariant::BB2);
  EXPECT_EQ(b2.lr(), 0.05);
  run(b2, resumed, 5);
  EXPECT_EQ(resumed.to_vector<double>(), straight.to_vector<double>());
  EXPECT_EQ(b2.last_step_size(), a.last_step_size());
  EXPECT_EQ(b2.iterations(), 9);
}

template <typename F>
void expect_error(F f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "expected nabla::Error mentioning " << fragment;
  } catch (const nabla::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(fragment));
  }
}

TEST(BarzilaiBorwein, Errors) {
  Tensor w = vec({1, 2}).requires_grad_(), v = vec({1, 2, 3}).requires_grad_();
  expect_error([&] { BarzilaiBorwein bb({w}, {.lr = -1}); }, "lr must be >= 0, got -1");
  expect_error([&] { BarzilaiBorwein bb({w}, {.min_step = 0}); }, "min_step must be > 0, got 0");
  expect_error([&] { BarzilaiBorwein bb({w}, {.min_step = 2, .max_step = 1}); },
               "max_step (1) must be >= min_step (2)");
  expect_error([&] { BarzilaiBorwein bb({{{w}, {}}, {{v}, {}}}); }, "got 2 groups");
  expect_error([&] { BarzilaiBorwein bb(std::vector<Tensor>{}); }, "empty parameter list");

  BarzilaiBorwein small({w}), large({v});
  v.set_grad(ones({3}, float64));
  large.step();
  expect_error([&] { small.load_state_dict(large.state_dict()); }, "\"state.0.prev_param\" has shape [3]");
  nn::StateDict extra = small.state_dict();
  extra.insert("state.0.momentum_buffer", zeros({2}, float64));
  expect_error([&] { small.load_state_dict(extra); }, "unexpected key \"state.0.momentum_buffer\"");
}

}  // namespace
}  // namespace nabla::optim
