// nabla::nn::Module: the base of every layer and model. Parameters, buffers and sub-modules
// are registered by name, so named_parameters() and state_dict() give PyTorch's dotted keys
// ("fc1.weight", "0.bias") and checkpoints move between nabla and PyTorch unchanged.
//
//   struct Net : nn::Module {
//     std::shared_ptr<nn::Linear> fc1, fc2;
//     Net() {
//       fc1 = register_module("fc1", std::make_shared<nn::Linear>(784, 256));
//       fc2 = register_module("fc2", std::make_shared<nn::Linear>(256, 10));
//     }
//     Tensor forward(const Tensor& x) override { return fc2->forward(fc1->forward(x).relu()); }
//   };
#pragma once

#include <nabla/tensor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nabla::nn {

/// Named tensors in insertion order (PyTorch's OrderedDict state_dict).
class StateDict {
public:
  using Item = std::pair<std::string, Tensor>;

  void insert(std::string key, Tensor value);
  bool contains(const std::string& key) const { return find(key) != nullptr; }
  /// The tensor under `key`, or nullptr.
  const Tensor* find(const std::string& key) const;
  /// The tensor under `key`; throws nabla::Error listing the keys when absent.
  const Tensor& at(const std::string& key) const;
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::vector<std::string> keys() const;
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

private:
  std::vector<Item> items_;
};

class Module {
public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The computation; single-input modules override this.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }

  /// The class name shown when printing ("Linear").
  virtual std::string type_name() const { return "Module"; }
  /// The options shown inside the parentheses when printing ("in_features=784, ...").
  virtual std::string extra_repr() const { return ""; }

  /// Registers `value` as a learnable parameter (requires_grad set unless told otherwise) and
  /// returns a handle sharing its data.
  Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  /// Registers state that is saved and loaded but not learned (e.g. running means).
  Tensor register_buffer(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  /// Replaces a registered parameter or buffer's tensor (same name, any shape).
  void replace_tensor(const std::string& name, Tensor value);

  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const { return children_; }
  /// This module's descendants with dotted names (this module itself excluded).
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules() const;

  /// Parameters and buffers under their dotted names, sharing data with the module.
  StateDict state_dict() const;
  /// Copies values in. Strict: every key must match, with the same shape; the error names each
  /// missing, unexpected or mis-shaped key (and both shapes). Non-strict skips missing and
  /// unexpected keys but still refuses mis-shaped ones.
  void load_state_dict(const StateDict& state, bool strict = true);

  /// Training mode for this module and all descendants (affects Dropout, BatchNorm).
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Clears every parameter's gradient (set_to_none, PyTorch's default) or zeroes it.
  void zero_grad(bool set_to_none = true);
  /// Calls fn on this module and every descendant, children first (as torch's apply).
  void apply(const std::function<void(Module&)>& fn);
  /// Number of parameter elements (only those requiring grad when trainable_only).
  int64_t num_parameters(bool trainable_only = false) const;
  /// Freezes (false) or unfreezes (true) every parameter of this module and its descendants.
  Module& requires_grad_(bool requires_grad = true);

  /// PyTorch-style tree: "Sequential(\n  (0): Linear(in_features=2, ...)\n ...)".
  std::string to_string() const;

private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, bool recurse, bool want_buffers,
               std::vector<std::pair<std::string, Tensor>>& out) const;

  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace nabla::nn
