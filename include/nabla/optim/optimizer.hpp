// nabla::optim::Optimizer: the interface every optimiser implements, with PyTorch's
// parameter groups and a state dict that lets training resume exactly.
//
//   optim::SGD sgd(model.parameters(), {.lr = 0.1, .momentum = 0.9});
//   for (...) { sgd.zero_grad(); loss = ...; loss.backward(); sgd.step(); }
//
// Writing an optimiser: derive from OptimizerBase<Options, State> (below), which stores the
// groups, per-group options and per-parameter state and implements lr/set_lr and the state
// dict; the optimiser writes its constructor, init_state() and step().
#pragma once

#include <nabla/nn/module.hpp>
#include <nabla/tensor.hpp>

#include <array>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace nabla::optim {

/// Re-evaluates the model and returns the loss (after zero_grad + backward); LBFGS needs it.
using Closure = std::function<Tensor()>;

/// Parameters sharing one set of options (an entry of PyTorch's param_groups), e.g.
///   optim::SGD sgd({{{w1, b1}, {.lr = 0.1}}, {{w2, b2}, {.lr = 0.01, .momentum = 0.9}}});
/// Each group carries complete options: a field left out takes the options struct's default,
/// not the value given to another group (unlike PyTorch's dicts, which inherit the defaults
/// passed to the constructor).
template <typename Options>
struct ParamGroup {
  std::vector<Tensor> params;
  Options options = {};
};

class Optimizer {
public:
  virtual ~Optimizer() = default;

  /// One update of every parameter that has a gradient. Returns the closure's loss when one
  /// is given (the closure is called once, before the update, except by LBFGS which calls it
  /// as often as its line search needs), otherwise an undefined tensor.
  virtual Tensor step(const Closure& closure = nullptr) = 0;

  /// Clears the gradients of every parameter in every group (set_to_none as PyTorch's default).
  void zero_grad(bool set_to_none = true);

  /// The optimiser's class name ("SGD").
  virtual std::string type_name() const = 0;

  // Learning rates per parameter group: what schedules read and write.
  size_t num_groups() const { return groups_params_.size(); }
  virtual double lr(size_t group = 0) const = 0;
  virtual void set_lr(double lr, size_t group) = 0;
  /// Sets the learning rate of every group.
  void set_lr(double lr);
  const std::vector<Tensor>& params(size_t group) const;

  /// Per-parameter state and per-group options as named tensors, keyed like PyTorch's
  /// optimizer.state_dict() flattened: "state.<param index>.<name>" (param indices count through
  /// the groups in order) and "param_groups.<group>.<option>" (scalars as 0-d float64 tensors).
  virtual nn::StateDict state_dict() const = 0;
  /// Restores what state_dict() produced; the error names any missing key or shape mismatch.
  virtual void load_state_dict(const nn::StateDict& state) = 0;

protected:
  // ---- helpers for optimisers ------------------------------------------------------------
  /// Checks and stores the groups: every parameter defined, a floating-point leaf, and in one
  /// group only; at least one parameter in all. `optimiser` names the class in errors.
  void set_param_groups(const std::string& optimiser, std::vector<std::vector<Tensor>> groups);
  /// Parameters in all groups; flat indices run 0..num_params()-1 through the groups in order.
  size_t num_params() const;
  /// Flat index of the first parameter of `group`.
  size_t first_index(size_t group) const;
  /// Flat index of `param` (the same tensor object, not an equal one); throws if not optimised.
  size_t index_of(const Tensor& param) const;
  /// Calls the closure with grad mode on, when there is one: what step() returns.
  static Tensor evaluate(const Closure& closure);
  /// Calls update(param, grad, group, index) for every parameter that has a gradient, under
  /// NoGradGuard, group by group. param and grad are contiguous and checked to share shape and
  /// dtype; a non-contiguous parameter is updated through a contiguous copy that is written back.
  /// The parameter's version counter is bumped, as for any in-place write.
  void for_each_param_with_grad(
      const std::function<void(Tensor& param, const Tensor& grad, size_t group, size_t index)>& update);

  std::vector<std::vector<Tensor>> groups_params_;
};

namespace detail {
// Options as state-dict tensors: double -> 0-d float64, bool -> 0-d float64 (0 or 1),
// a pair (betas) -> float64 of shape [2]. read_option returns "" or what is wrong.
Tensor option_tensor(double value);
Tensor option_tensor(bool value);
Tensor option_tensor(const std::array<double, 2>& value);
std::string read_option(const Tensor& t, double& value);
std::string read_option(const Tensor& t, bool& value);
std::string read_option(const Tensor& t, std::array<double, 2>& value);
/// `t` converted to `like`'s dtype and copied into it; "" or what is wrong (shape mismatch).
std::string read_state(const Tensor& t, Tensor& like);
/// Throws nabla::Error listing the problems, when there are any.
void throw_if_problems(const std::string& what, const std::vector<std::string>& problems);
}  // namespace detail

/// The shared machinery of an optimiser whose groups carry an `Options` struct and whose
/// parameters carry a `State` struct (e.g. AdamOptions and AdamState). Requirements:
///  - Options: an aggregate with `double lr`, `void check() const` (throws nabla::Error quoting
///    a bad value), and `template <typename F> void visit(F&& f)` calling f("name", field) for
///    every option (double, bool or std::array<double, 2>) under PyTorch's name.
///  - State: an aggregate of Tensors, undefined until the parameter's first update, with the
///    same `visit`. Tensors shaped like the parameter have its dtype; counters (step) are 0-d
///    float64.
/// It stores the options per group (options_) and the state per flat parameter index (state_),
/// and implements lr/set_lr and state_dict/load_state_dict. The optimiser implements step()
/// and init_state(), which load_state_dict also uses to know which state keys to expect.
template <typename Options, typename State>
class OptimizerBase : public Optimizer {
public:
  std::string type_name() const override { return name_; }
  double lr(size_t group = 0) const override { return options(group).lr; }
  void set_lr(double lr, size_t group) override {
    Options changed = options(group);
    changed.lr = lr;
    set_options(changed, group);
  }
  using Optimizer::set_lr;

  const Options& options(size_t group = 0) const {
    NABLA_CHECK(group < options_.size(), name_, ": no parameter group ", group, " (there are ", options_.size(), ")");
    return options_[group];
  }
  /// Replaces a group's options (checked first, as at construction).
  void set_options(const Options& options, size_t group) {
    NABLA_CHECK(group < options_.size(), name_, ": no parameter group ", group, " (there are ", options_.size(), ")");
    options.check();
    options_[group] = options;
  }

  /// A snapshot: the state tensors are copies, so saving it later gives the values at this call
  /// (PyTorch returns references that later steps overwrite).
  nn::StateDict state_dict() const override {
    nn::StateDict out;
    for (size_t i = 0; i < state_.size(); ++i) {
      State state = state_[i];
      state.visit([&](const char* name, const Tensor& t) {
        if (t.defined()) out.insert("state." + std::to_string(i) + "." + name, t.detach().clone());
      });
    }
    for (size_t g = 0; g < options_.size(); ++g) {
      const std::string prefix = "param_groups." + std::to_string(g) + ".";
      Options options = options_[g];
      options.visit(
          [&](const char* name, const auto& value) { out.insert(prefix + name, detail::option_tensor(value)); });
      std::vector<int64_t> indices(groups_params_[g].size());
      for (size_t k = 0; k < indices.size(); ++k) indices[k] = static_cast<int64_t>(first_index(g) + k);
      out.insert(prefix + "params", tensor(indices, {static_cast<int64_t>(indices.size())}));
    }
    return out;
  }

  /// Checks every key before changing anything: the group count and sizes, each option, and
  /// for each parameter with saved state exactly the state tensors init_state() makes under the
  /// loaded options, with matching shapes (values are converted to the parameter's dtype).
  /// As PyTorch, "param_groups.<g>.params" maps saved parameter ids to positions.
  void load_state_dict(const nn::StateDict& dict) override {
    std::vector<std::string> problems;
    std::set<std::string> used;
    auto find = [&](const std::string& key) {
      const Tensor* t = dict.find(key);
      if (t) used.insert(key);
      else problems.push_back("missing key '" + key + "'");
      return t;
    };
    std::vector<Options> options = options_;
    std::vector<int64_t> saved_ids = load_groups(dict, find, options, problems);
    detail::throw_if_problems(name_ + ".load_state_dict", problems);
    for (const Options& o : options) o.check();

    std::vector<State> states(num_params());
    for (size_t g = 0; g < options.size(); ++g)
      for (size_t k = 0; k < groups_params_[g].size(); ++k) {
        const size_t i = first_index(g) + k;
        const std::string prefix = "state." + std::to_string(saved_ids[i]) + ".";
        if (!has_prefix(dict, prefix)) continue;  // no saved state: starts afresh, as PyTorch
        states[i] = init_state(groups_params_[g][k], options[g]);
        states[i].visit([&](const char* name, Tensor& t) {
          const std::string key = prefix + name;
          if (!t.defined()) return;  // not expected: reported below as unexpected if present
          if (const Tensor* src = find(key)) {
            const std::string problem = detail::read_state(*src, t);
            if (!problem.empty()) problems.push_back("'" + key + "': " + problem);
          }
        });
      }
    for (const auto& [key, t] : dict)
      if (!used.contains(key)) problems.push_back("unexpected key '" + key + "'");
    detail::throw_if_problems(name_ + ".load_state_dict", problems);
    options_ = std::move(options);
    state_ = std::move(states);
  }

protected:
  /// Checks and stores the groups and their options; `name` is the class name for errors.
  OptimizerBase(std::string name, std::vector<ParamGroup<Options>> groups) : name_(std::move(name)) {
    std::vector<std::vector<Tensor>> params;
    for (auto& group : groups) {
      group.options.check();
      params.push_back(std::move(group.params));
      options_.push_back(group.options);
    }
    set_param_groups(name_, std::move(params));
    state_.resize(num_params());
  }

  /// A parameter's state before its first update, under `options` (tensors the optimiser will
  /// not use under these options stay undefined).
  virtual State init_state(const Tensor& param, const Options& options) const = 0;

  std::vector<Options> options_;  // per group
  std::vector<State> state_;      // per parameter, by flat index

private:
  static bool has_prefix(const nn::StateDict& dict, const std::string& prefix) {
    for (const auto& item : dict)
      if (item.first.rfind(prefix, 0) == 0) return true;
    return false;
  }

  // Reads every group's options and saved parameter ids; returns the saved id per position.
  template <typename Find>
  std::vector<int64_t> load_groups(const nn::StateDict& dict, Find& find, std::vector<Options>& options,
                                   std::vector<std::string>& problems) const {
    std::vector<int64_t> saved_ids(num_params());
    for (size_t g = 0; g < options.size(); ++g) {
      const std::string prefix = "param_groups." + std::to_string(g) + ".";
      options[g].visit([&](const char* name, auto& value) {
        if (const Tensor* t = find(prefix + name)) {
          const std::string problem = detail::read_option(*t, value);
          if (!problem.empty()) problems.push_back("'" + prefix + name + "': " + problem);
        }
      });
      const Tensor* ids = find(prefix + "params");
      if (!ids) continue;
      if (ids->ndim() != 1 || ids->size(0) != static_cast<int64_t>(groups_params_[g].size())) {
        problems.push_back("'" + prefix + "params' has shape " + nabla::detail::str(ids->shape()) + " but group " +
                           std::to_string(g) + " has " + std::to_string(groups_params_[g].size()) + " parameters");
        continue;
      }
      const std::vector<int64_t> values = ids->template to_vector<int64_t>();
      for (size_t k = 0; k < values.size(); ++k) saved_ids[first_index(g) + k] = values[k];
    }
    if (dict.contains("param_groups." + std::to_string(options.size()) + ".params"))
      problems.push_back("the state dict has more parameter groups than the optimiser's " +
                         std::to_string(options.size()));
    return saved_ids;
  }

  std::string name_;
};

}  // namespace nabla::optim
