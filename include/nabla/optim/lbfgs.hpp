// nabla::optim::LBFGS: limited-memory BFGS, a port of torch.optim.LBFGS (PyTorch 1.13) with its
// optional strong-Wolfe line search. One step() runs up to max_iter quasi-Newton iterations and
// re-evaluates the model through the closure as often as it needs.
//
//   optim::LBFGS lbfgs(model.parameters(), {.line_search_fn = "strong_wolfe"});
//   auto closure = [&] {
//     lbfgs.zero_grad();
//     Tensor loss = loss_fn(model.forward(x), y);
//     loss.backward();
//     return loss;
//   };
//   for (int i = 0; i < 10; ++i) lbfgs.step(closure);
#pragma once

#include <nabla/optim/optimizer.hpp>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace nabla::optim {

/// Options of LBFGS, PyTorch's names and defaults.
struct LBFGSOptions {
  double lr = 1;                             // step length (scaled down on the very first iteration)
  int64_t max_iter = 20;                     // iterations per step()
  std::optional<int64_t> max_eval = {};      // closure calls per step(); default max_iter * 5 / 4
  double tolerance_grad = 1e-7;              // stop when max |gradient| <= this
  double tolerance_change = 1e-9;            // stop when the loss or the step changes less
  int64_t history_size = 100;                // (s, y) pairs kept
  std::optional<std::string> line_search_fn = {};  // none (fixed step lr) or "strong_wolfe"
};

/// torch.optim.LBFGS. Works on all parameters flattened into one vector, so it takes a single
/// parameter group; step() requires a closure. The algorithm's vectors are kept in float64
/// whatever the parameters' dtype (for float64 parameters this is exactly PyTorch's arithmetic).
class LBFGS : public Optimizer {
public:
  explicit LBFGS(std::vector<Tensor> params, LBFGSOptions options = {});
  /// Parameter groups as other optimisers take them; LBFGS refuses more than one (as PyTorch).
  explicit LBFGS(std::vector<ParamGroup<LBFGSOptions>> groups);

  /// Runs up to max_iter iterations; returns the loss of the closure's first evaluation.
  Tensor step(const Closure& closure = nullptr) override;
  std::string type_name() const override { return "LBFGS"; }

  using Optimizer::set_lr;
  double lr(size_t group = 0) const override;
  void set_lr(double lr, size_t group) override;
  const LBFGSOptions& options() const { return options_; }

  /// PyTorch's layout (the global state lives under the first parameter): "state.0.func_evals",
  /// "state.0.n_iter", and once an iteration has run "state.0.d", "state.0.t",
  /// "state.0.old_dirs.<k>", "state.0.old_stps.<k>", "state.0.ro.<k>", "state.0.H_diag",
  /// "state.0.prev_flat_grad", "state.0.prev_loss"; options under "param_groups.0.<option>"
  /// (line_search_fn as 1 for "strong_wolfe", 0 for none) and "param_groups.0.params".
  nn::StateDict state_dict() const override;
  void load_state_dict(const nn::StateDict& state) override;

private:
  using Vec = std::vector<double>;
  struct State {
    int64_t func_evals = 0;
    int64_t n_iter = 0;
    bool has_history = false;  // d, t and the rest exist once an iteration has run
    Vec d;
    double t = 0;
    std::deque<Vec> old_dirs, old_stps;
    std::deque<double> ro;
    double H_diag = 1;
    Vec prev_flat_grad;
    double prev_loss = 0;
  };

  Vec gather_flat_grad() const;
  void add_grad(double step_size, const Vec& update);
  std::vector<Tensor> clone_params() const;
  void set_params(const std::vector<Tensor>& values);
  double evaluate_loss(const Closure& closure) const;
  Vec direction(const Vec& flat_grad, State& state) const;
  int64_t move(const Closure& closure, bool last_iteration, double gtd, double& loss, Vec& flat_grad);

  LBFGSOptions options_;
  int64_t numel_ = 0;
  State state_;
};

}  // namespace nabla::optim
