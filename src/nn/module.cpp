// Module bookkeeping: registration, recursive traversal with dotted names, state dicts,
// train/eval, and the printed tree. Layers only register things; this file names them.
#include <nabla/autograd.hpp>
#include <nabla/nn/module.hpp>

#include <algorithm>
#include <ostream>
#include <sstream>

namespace nabla::nn {

// ---- StateDict ------------------------------------------------------------------------------

void StateDict::insert(std::string key, Tensor value) {
  NABLA_CHECK(!contains(key), "StateDict: duplicate key '", key, "'");
  items_.emplace_back(std::move(key), std::move(value));
}

const Tensor* StateDict::find(const std::string& key) const {
  for (const auto& [k, v] : items_)
    if (k == key) return &v;
  return nullptr;
}

const Tensor& StateDict::at(const std::string& key) const {
  const Tensor* t = find(key);
  NABLA_CHECK(t != nullptr, "StateDict: no key '", key, "'; keys are ", keys());
  return *t;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> out;
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

// ---- registration ---------------------------------------------------------------------------

Tensor Module::forward(const Tensor&) {
  NABLA_FAIL(type_name(), " does not define forward(const Tensor&); override it or call its own forward overload");
}

void Module::check_new_name(const std::string& name) const {
  NABLA_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name(), ": invalid name '", name,
              "' (must be non-empty and contain no '.')");
  auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& item) { return item.first == name; });
  };
  NABLA_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_), type_name(), ": the name '", name,
              "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name);
  NABLA_CHECK(value.defined(), type_name(), ": parameter '", name, "' is undefined");
  NABLA_CHECK(value.is_leaf(), type_name(), ": parameter '", name,
              "' must be a leaf tensor (detach() it, or create it under NoGradGuard)");
  value.requires_grad_(requires_grad);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name);
  NABLA_CHECK(value.defined(), type_name(), ": buffer '", name, "' is undefined");
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  NABLA_CHECK(module != nullptr, type_name(), ": sub-module '", name, "' is null");
  children_.emplace_back(name, std::move(module));
}

void Module::replace_tensor(const std::string& name, Tensor value) {
  for (auto* list : {&parameters_, &buffers_})
    for (auto& item : *list)
      if (item.first == name) {
        item.second = std::move(value);
        return;
      }
  NABLA_FAIL(type_name(), ": no parameter or buffer named '", name, "'");
}

// ---- traversal ------------------------------------------------------------------------------

void Module::collect(const std::string& prefix, bool recurse, bool want_buffers,
                     std::vector<std::pair<std::string, Tensor>>& out) const {
  for (const auto& [name, t] : want_buffers ? buffers_ : parameters_) out.emplace_back(prefix + name, t);
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", true, want_buffers, out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", recurse, false, out);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", recurse, true, out);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& item : named_parameters(recurse)) out.push_back(item.second);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& item : named_buffers(recurse)) out.push_back(item.second);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& item : children_) out.push_back(item.second);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  for (const auto& [name, child] : children_) {
    out.emplace_back(name, child);
    for (auto& [sub, m] : child->named_modules()) out.emplace_back(name + "." + sub, m);
  }
  return out;
}

// ---- state dict -----------------------------------------------------------------------------

StateDict Module::state_dict() const {
  // PyTorch's order: a module's parameters, then its buffers, then each child in turn.
  StateDict out;
  std::function<void(const Module&, const std::string&)> visit = [&](const Module& m, const std::string& prefix) {
    for (const auto& [name, t] : m.parameters_) out.insert(prefix + name, t);
    for (const auto& [name, t] : m.buffers_) out.insert(prefix + name, t);
    for (const auto& [name, child] : m.children_) visit(*child, prefix + name + ".");
  };
  visit(*this, "");
  return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  const StateDict own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [key, t] : own) {
    const Tensor* src = state.find(key);
    if (!src) {
      missing.push_back(key);
    } else if (src->shape() != t.shape()) {
      mismatched.push_back(key + ": checkpoint " + detail::str(src->shape()) + " vs model " + detail::str(t.shape()));
    }
  }
  for (const auto& [key, t] : state)
    if (!own.contains(key)) unexpected.push_back(key);
  std::string problems;
  if (strict && !missing.empty()) problems += " missing keys " + detail::str(missing) + ";";
  if (strict && !unexpected.empty()) problems += " unexpected keys " + detail::str(unexpected) + ";";
  if (!mismatched.empty()) problems += " shape mismatch for " + detail::str(mismatched) + ";";
  NABLA_CHECK(problems.empty(), "load_state_dict(", type_name(), "):", problems);
  // Validate everything before writing anything, so a failed load leaves the model untouched.
  NoGradGuard no_grad;
  for (const auto& [key, t] : own)
    if (const Tensor* src = state.find(key)) Tensor(t).copy_(*src);
}

// ---- modes and utilities ----------------------------------------------------------------------

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) {
    if (!p.grad().defined()) continue;
    if (set_to_none) {
      p.set_grad(Tensor());
    } else {
      NoGradGuard no_grad;
      p.grad().zero_();
    }
  }
}

void Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& [name, child] : children_) child->apply(fn);
  fn(*this);
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t n = 0;
  for (const Tensor& p : parameters())
    if (!trainable_only || p.requires_grad()) n += p.numel();
  return n;
}

Module& Module::requires_grad_(bool requires_grad) {
  for (Tensor& p : parameters()) p.requires_grad_(requires_grad);
  return *this;
}

std::string Module::to_string() const {
  std::ostringstream os;
  os << type_name() << '(' << extra_repr();
  if (!children_.empty()) {
    os << '\n';
    for (const auto& [name, child] : children_) {
      std::string sub = child->to_string();
      // Indent the child's continuation lines by two spaces, as torch's repr does.
      for (size_t pos = sub.find('\n'); pos != std::string::npos; pos = sub.find('\n', pos + 3)) sub.insert(pos + 1, "  ");
      os << "  (" << name << "): " << sub << '\n';
    }
  }
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.to_string(); }

}  // namespace nabla::nn
