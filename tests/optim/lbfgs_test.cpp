// LBFGS against trajectories recorded from PyTorch 1.13 (scripts/golden/optim_lbfgs_schedules.py):
// Rosenbrock and a two-parameter logistic regression, with and without the strong-Wolfe line
// search, small histories, max_eval limits and several step() calls; plus exact resumption from
// a state dict, and the error paths.
#include <nabla/optim/lbfgs.hpp>
#include <nabla/optim/lr_scheduler.hpp>

#include "../support/golden.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nabla::optim {
namespace {

using ::testing::HasSubstr;
using nabla::testing::golden_tensor;
using nabla::testing::max_relative_error;

const nlohmann::json& lbfgs_golden() {
  static const nlohmann::json j = nabla::testing::golden("optim_lbfgs_schedules").at("lbfgs");
  return j;
}

Tensor rosenbrock(const std::vector<Tensor>& params) {
  const Tensor a = params[0].select(0, 0), b = params[0].select(0, 1);
  return (1.0 - a).square() + 100.0 * (b - a.square()).square();
}

// Mean logistic loss of z = X w + b with labels y in {0, 1}, plus 0.05 |w|^2; softplus written
// as the generator writes it.
Tensor logistic(const std::vector<Tensor>& params) {
  const nlohmann::json& data = lbfgs_golden().at("data");
  static const Tensor X = golden_tensor(data.at("X")), y = golden_tensor(data.at("y"));
  const Tensor z = X.matmul(params[0]) + params[1];
  const Tensor softplus = z.relu() + (1.0 + (-z.abs()).exp()).log();
  return (softplus - y * z).mean() + 0.05 * (params[0] * params[0]).sum();
}

Tensor problem_loss(const std::string& problem, const std::vector<Tensor>& params) {
  return problem == "rosenbrock" ? rosenbrock(params) : logistic(params);
}

LBFGSOptions options_from(const nlohmann::json& j) {
  LBFGSOptions o;
  for (const auto& [key, value] : j.items()) {
    if (key == "lr") o.lr = value.get<double>();
    else if (key == "max_iter") o.max_iter = value.get<int64_t>();
    else if (key == "max_eval") o.max_eval = value.get<int64_t>();
    else if (key == "tolerance_grad") o.tolerance_grad = value.get<double>();
    else if (key == "tolerance_change") o.tolerance_change = value.get<double>();
    else if (key == "history_size") o.history_size = value.get<int64_t>();
    else if (key == "line_search_fn") o.line_search_fn = value.get<std::string>();
    else ADD_FAILURE() << "unknown LBFGS option " << key;
  }
  return o;
}

std::vector<Tensor> starting_point(const nlohmann::json& c) {
  std::vector<Tensor> params;
  for (const auto& x : c.at("x0")) params.push_back(golden_tensor(x).requires_grad_());
  return params;
}

const nlohmann::json& golden_case(const std::string& name) {
  for (const auto& c : lbfgs_golden().at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("no golden case " + name);
}

Closure closure_for(LBFGS& opt, const std::string& problem, const std::vector<Tensor>& params) {
  return [&opt, problem, params] {
    opt.zero_grad();
    Tensor loss = problem_loss(problem, params);
    loss.backward();
    return loss;
  };
}

int64_t state_int(const LBFGS& opt, const std::string& name) {
  return static_cast<int64_t>(opt.state_dict().at("state.0." + name).item());
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

TEST(LBFGS, TrajectoriesMatchPyTorch) {
  for (const auto& c : lbfgs_golden().at("cases")) {
    const std::string name = c.at("name");
    const std::string problem = c.at("problem");
    std::vector<Tensor> params = starting_point(c);
    LBFGS opt(params, options_from(c.at("options")));
    const Closure closure = closure_for(opt, problem, params);
    const auto& trajectory = c.at("trajectory");
    for (size_t k = 0; k < trajectory.size(); ++k) {
      const auto& want = trajectory[k];
      const std::string where = name + " step " + std::to_string(k);
      const Tensor loss = opt.step(closure);
      const Tensor want_loss = scalar_tensor(want.at("loss").get<double>(), float64).reshape(loss.shape());
      EXPECT_LE(max_relative_error(loss.detach(), want_loss), 1e-6)
          << where << ": loss " << loss.item() << " vs " << want.at("loss");
      for (size_t i = 0; i < params.size(); ++i)
        EXPECT_LE(max_relative_error(params[i].detach(), golden_tensor(want.at("params")[i])), 1e-6)
            << where << ", parameter " << i << ": " << params[i] << " vs " << want.at("params")[i].at("data");
      EXPECT_EQ(state_int(opt, "func_evals"), want.at("func_evals").get<int64_t>()) << where;
      EXPECT_EQ(state_int(opt, "n_iter"), want.at("n_iter").get<int64_t>()) << where;
    }
  }
}

TEST(LBFGS, StepUnderNoGradStillEvaluatesTheClosureWithGrad) {
  const auto& c = golden_case("rosenbrock_wolfe");
  std::vector<Tensor> params = starting_point(c);
  LBFGS opt(params, options_from(c.at("options")));
  {
    NoGradGuard no_grad;
    opt.step(closure_for(opt, "rosenbrock", params));
  }
  EXPECT_LE(max_relative_error(params[0].detach(), golden_tensor(c.at("trajectory")[0].at("params")[0])), 1e-6);
}

// Runs `total` steps straight, and again as `split` steps, a save, a fresh optimiser (other
// options, which the load replaces) on restored parameters, and the remaining steps.
void check_resume(const std::string& case_name, int total, int split) {
  const auto& c = golden_case(case_name);
  const std::string problem = c.at("problem");
  std::vector<Tensor> straight = starting_point(c);
  LBFGS a(straight, options_from(c.at("options")));
  for (int k = 0; k < total; ++k) a.step(closure_for(a, problem, straight));

  std::vector<Tensor> first = starting_point(c);
  LBFGS b(first, options_from(c.at("options")));
  for (int k = 0; k < split; ++k) b.step(closure_for(b, problem, first));
  const nn::StateDict saved = b.state_dict();
  std::vector<Tensor> resumed;
  for (const Tensor& p : first) resumed.push_back(p.detach().clone().requires_grad_());

  LBFGS r(resumed, {.lr = 0.01, .max_iter = 2, .history_size = 50});
  r.load_state_dict(saved);
  EXPECT_EQ(r.options().max_iter, options_from(c.at("options")).max_iter);
  for (int k = split; k < total; ++k) r.step(closure_for(r, problem, resumed));
  for (size_t i = 0; i < straight.size(); ++i)
    EXPECT_EQ(resumed[i].to_vector<double>(), straight[i].to_vector<double>()) << case_name << " parameter " << i;
  EXPECT_EQ(state_int(r, "func_evals"), state_int(a, "func_evals"));
  EXPECT_EQ(state_int(r, "n_iter"), state_int(a, "n_iter"));
}

TEST(LBFGS, StateDictResumesExactly) {
  check_resume("rosenbrock_wolfe_hist2", 7, 3);  // history full: the oldest pairs are dropped
  check_resume("rosenbrock_plain_hist3", 8, 5);
  check_resume("logistic_wolfe", 4, 1);
}

TEST(LBFGS, StateDictLayout) {
  Tensor x = tensor(std::vector<double>{-1.5, 2.0}, {2}).requires_grad_();
  LBFGS opt({x}, {.max_iter = 4, .history_size = 2});
  nn::StateDict before = opt.state_dict();
  EXPECT_FALSE(before.contains("state.0.func_evals"));
  EXPECT_EQ(before.at("param_groups.0.max_eval").item(), 5.0);  // max_iter * 5 / 4
  EXPECT_EQ(before.at("param_groups.0.line_search_fn").item(), 0.0);

  opt.step(closure_for(opt, "rosenbrock", {x}));
  const nn::StateDict after = opt.state_dict();
  for (const char* key : {"state.0.d", "state.0.t", "state.0.old_dirs.0", "state.0.old_dirs.1", "state.0.old_stps.1",
                          "state.0.ro.1", "state.0.H_diag", "state.0.prev_flat_grad", "state.0.prev_loss"})
    EXPECT_TRUE(after.contains(key)) << key;
  EXPECT_FALSE(after.contains("state.0.old_dirs.2"));  // history_size 2
  EXPECT_EQ(after.at("state.0.d").shape(), (Shape{2}));
}

TEST(LBFGS, ReturnsAtOnceAtAStationaryPoint) {
  Tensor x = tensor(std::vector<double>{1.0, 1.0}, {2}).requires_grad_();  // Rosenbrock's minimum
  LBFGS opt({x});
  const Tensor loss = opt.step(closure_for(opt, "rosenbrock", {x}));
  EXPECT_EQ(loss.item(), 0.0);
  EXPECT_EQ(x.to_vector<double>(), (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(state_int(opt, "func_evals"), 1);
  EXPECT_EQ(state_int(opt, "n_iter"), 0);
  EXPECT_FALSE(opt.state_dict().contains("state.0.d"));
}

TEST(LBFGS, LineSearchGivesUpAfter25Evaluations) {
  // An unbounded linear objective never meets the curvature condition: the bracketing phase
  // extrapolates tenfold 25 times and stops at the last point (values from PyTorch 1.13).
  Tensor x = tensor(std::vector<double>{0.5, -0.25}, {2}).requires_grad_();
  LBFGS opt({x}, {.line_search_fn = "strong_wolfe"});
  const Tensor loss = opt.step([&] {
    opt.zero_grad();
    Tensor l = -x.sum();
    l.backward();
    return l;
  });
  EXPECT_EQ(loss.item(), -0.25);
  EXPECT_EQ(state_int(opt, "func_evals"), 27);  // 1 + 26 in the line search, past max_eval = 25
  EXPECT_EQ(state_int(opt, "n_iter"), 1);
  EXPECT_NEAR(opt.state_dict().at("state.0.t").item(), 5e24, 1e-6 * 5e24);
  EXPECT_NEAR(x.to_vector<double>()[1], 5e24, 1e-6 * 5e24);
}

TEST(LBFGS, Float32ParametersConverge) {
  Tensor x = tensor({-1.5f, 2.0f}).requires_grad_();
  LBFGS opt({x}, {.line_search_fn = "strong_wolfe"});
  for (int k = 0; k < 5; ++k) opt.step(closure_for(opt, "rosenbrock", {x}));
  EXPECT_EQ(x.dtype(), float32);
  EXPECT_NEAR(x.to_vector<double>()[0], 1.0, 1e-3);
  EXPECT_NEAR(x.to_vector<double>()[1], 1.0, 1e-3);
}

TEST(LBFGS, SchedulesDriveItsLearningRate) {
  Tensor x = tensor(std::vector<double>{0.5}, {1}).requires_grad_();
  LBFGS opt({x}, {.lr = 0.8});
  StepLR schedule(opt, 2, 0.5);
  schedule.step();
  schedule.step();
  EXPECT_DOUBLE_EQ(opt.lr(), 0.4);
  EXPECT_DOUBLE_EQ(opt.state_dict().at("param_groups.0.lr").item(), 0.4);

  // Cosine annealing reaches exactly 0 at T_max, a valid rate (the step then stays put).
  CosineAnnealingLR cosine(opt, 1);
  cosine.step();
  EXPECT_EQ(opt.lr(), 0.0);
  expect_error([&] { opt.set_lr(-0.1, 0); }, "lr must be >= 0, got -0.1");
}

TEST(LBFGS, Errors) {
  Tensor x = tensor(std::vector<double>{1.0, 2.0}, {2}).requires_grad_();
  Tensor w = tensor(std::vector<double>{1.0, 2.0, 3.0}, {3}).requires_grad_();
  LBFGS opt({x});
  expect_error([&] { opt.step(); }, "closure");
  expect_error([&] { opt.step([] { return zeros({2}, float64); }); }, "one-element tensor, got [2]");
  expect_error([&] { LBFGS two({{{x}, {}}, {{w}, {}}}); }, "parameter groups); got 2 groups");
  expect_error([&] { LBFGS none(std::vector<Tensor>{}); }, "empty parameter list");
  expect_error([&] { LBFGS ints({zeros({2}, int64)}); }, "dtype int64");
  expect_error([&] { LBFGS bad({x}, {.lr = -1}); }, "lr must be >= 0, got -1");
  expect_error([&] { LBFGS bad({x}, {.max_iter = 0, .max_eval = 3}); }, "max_iter must be >= 1, got 0");
  expect_error([&] { LBFGS bad({x}, {.max_eval = 0}); }, "max_eval must be >= 1, got 0");
  expect_error([&] { LBFGS bad({x}, {.tolerance_grad = -1}); }, "tolerance_grad must be >= 0, got -1");
  expect_error([&] { LBFGS bad({x}, {.history_size = 0}); }, "history_size must be >= 1, got 0");
  expect_error([&] { LBFGS bad({x}, {.line_search_fn = "armijo"}); }, "got \"armijo\"");
  expect_error([&] { opt.lr(1); }, "group 1 out of range");

  // A state for 3 parameter elements does not fit 2.
  LBFGS wide({w});
  wide.step([&] {
    wide.zero_grad();
    Tensor loss = (w * w).sum();
    loss.backward();
    return loss;
  });
  expect_error([&] { opt.load_state_dict(wide.state_dict()); }, "\"state.0.d\" has shape [3]");
  nn::StateDict extra = opt.state_dict();
  extra.insert("state.0.momentum", scalar_tensor(1.0, float64));
  expect_error([&] { opt.load_state_dict(extra); }, "unexpected key \"state.0.momentum\"");
}

}  // namespace
}  // namespace nabla::optim
