// Replays the golden optimiser trajectories recorded by scripts/golden/optim_trajectories.py:
// the same problem (a linear layer under a ridge-regularised logistic loss), the same options,
// the same gradients, and W, b compared with PyTorch's after every step.
#pragma once

#include <nabla/nabla.hpp>

#include "../support/golden.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace nabla::testing {

inline const nlohmann::json& optim_golden() {
  static const nlohmann::json j = golden("optim_trajectories");
  return j;
}

/// Sets W.grad and b.grad to the problem's gradient at the current W (3, 4) and b (3),
/// computed in double and cast to the parameters' dtype (as the generator does); b's gradient
/// is cleared instead when `skip_b`.
inline void set_problem_gradients(const Tensor& W, const Tensor& b, bool skip_b = false) {
  const nlohmann::json& p = optim_golden().at("problem");
  const std::vector<double> X = p.at("X").at("data").get<std::vector<double>>();
  const std::vector<double> T = p.at("T").at("data").get<std::vector<double>>();
  const double ridge = p.at("ridge").get<double>();
  const std::vector<double> w = W.to_vector<double>(), c = b.to_vector<double>();
  const int64_t n = 8, in = 4, out = 3;
  std::vector<double> gw(out * in), gb(out);
  for (int64_t i = 0; i < out; ++i) {
    for (int64_t k = 0; k < in; ++k) gw[i * in + k] = ridge * w[i * in + k];
    gb[i] = ridge * c[i];
  }
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < out; ++i) {
      double z = c[i];
      for (int64_t k = 0; k < in; ++k) z += X[r * in + k] * w[i * in + k];
      const double dz = (1 / (1 + std::exp(-z)) - T[r * out + i]) / n;  // d BCEWithLogits / dz, mean over rows
      for (int64_t k = 0; k < in; ++k) gw[i * in + k] += dz * X[r * in + k];
      gb[i] += dz;
    }
  W.set_grad(tensor(gw, {out, in}, float64).to(W.dtype()));
  b.set_grad(skip_b ? Tensor() : tensor(gb, {out}, float64).to(b.dtype()));
}

/// Copies the JSON options {"lr": 0.1, "betas": [0.9, 0.99], ...} into an options struct by
/// PyTorch's names; an option the struct does not have fails the test.
template <typename Options>
Options options_from_json(const nlohmann::json& j) {
  Options options;
  size_t matched = 0;
  options.visit([&](const char* name, auto& value) {
    if (!j.contains(name)) return;
    value = j.at(name).get<std::decay_t<decltype(value)>>();
    ++matched;
  });
  EXPECT_EQ(matched, j.size()) << "options not understood: " << j.dump();
  return options;
}

template <typename Opt, typename Options>
std::unique_ptr<optim::Optimizer> make_from_case(const nlohmann::json& c, const std::vector<Tensor>& params) {
  std::vector<optim::ParamGroup<Options>> groups;
  for (const auto& g : c.at("groups")) {
    optim::ParamGroup<Options> group;
    for (int i : g.at("params")) group.params.push_back(params.at(i));
    group.options = options_from_json<Options>(g.at("options"));
    groups.push_back(std::move(group));
  }
  return std::make_unique<Opt>(std::move(groups));
}

/// The problem's starting parameters in `dtype`, as fresh leaves requiring grad.
inline std::vector<Tensor> problem_params(DType dtype) {
  const nlohmann::json& p = optim_golden().at("problem");
  return {golden_tensor(p.at("W0")).to(dtype).clone().detach().requires_grad_(),
          golden_tensor(p.at("b0")).to(dtype).clone().detach().requires_grad_()};
}

/// Runs every golden case of `optimizer` (a PyTorch class name) built by `make`, checking W and
/// b (and, when `ax` is given, ASGD's averaged parameters) after each step: float64 cases to
/// `tol64` relative, float32 cases to `tol32`. Returns the number of cases run.
template <typename Make>
int replay_cases(const std::string& optimizer, Make make, double tol64, double tol32,
                 const std::function<Tensor(const optim::Optimizer&, const Tensor&)>& ax = nullptr) {
  const nlohmann::json& golden_values = optim_golden();
  const int64_t steps = golden_values.at("steps").get<int64_t>();
  int run = 0;
  for (const auto& c : golden_values.at("cases")) {
    if (c.at("optimizer") != optimizer) continue;
    SCOPED_TRACE("case " + c.at("name").get<std::string>());
    const DType dtype = c.at("dtype") == "float32" ? float32 : float64;
    const double tol = dtype == float32 ? tol32 : tol64;
    std::vector<Tensor> params = problem_params(dtype);
    std::unique_ptr<optim::Optimizer> opt = make(c, params);
    const std::vector<int64_t> skip = c.at("skip_b").get<std::vector<int64_t>>();
    const Tensor W_expected = golden_tensor(c.at("W")), b_expected = golden_tensor(c.at("b"));
    for (int64_t s = 0; s < steps; ++s) {
      SCOPED_TRACE("after step " + std::to_string(s + 1));
      set_problem_gradients(params[0], params[1], std::find(skip.begin(), skip.end(), s) != skip.end());
      opt->step();
      EXPECT_EQ(params[0].dtype(), dtype);
      EXPECT_LE(max_relative_error(params[0], W_expected.select(0, s)), tol);
      EXPECT_LE(max_relative_error(params[1], b_expected.select(0, s)), tol);
      if (ax) {
        EXPECT_LE(max_relative_error(ax(*opt, params[0]), golden_tensor(c.at("ax_W")).select(0, s)), tol);
        EXPECT_LE(max_relative_error(ax(*opt, params[1]), golden_tensor(c.at("ax_b")).select(0, s)), tol);
      }
    }
    ++run;
  }
  return run;
}

/// Expects f() to throw nabla::Error whose message contains `fragment`.
template <typename F>
void expect_error(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "expected a nabla::Error mentioning '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what();
  }
}

}  // namespace nabla::testing
