// Containers: Sequential chains modules (children named "0", "1", ... as in PyTorch, so
// state_dict keys read "0.weight"); ModuleList holds modules without defining forward.
#pragma once

#include <nabla/nn/module.hpp>

#include <initializer_list>

namespace nabla::nn {

class Sequential : public Module {
public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& modules);

  /// Appends a module under the next index.
  Sequential& push_back(std::shared_ptr<Module> module);
  /// Appends a module under a chosen name (torch's Sequential(OrderedDict(...))).
  Sequential& push_back(const std::string& name, std::shared_ptr<Module> module);
  size_t size() const { return named_children().size(); }
  std::shared_ptr<Module> operator[](size_t index) const;

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Sequential"; }
};

class ModuleList : public Module {
public:
  ModuleList() = default;
  ModuleList(std::initializer_list<std::shared_ptr<Module>> modules);

  ModuleList& push_back(std::shared_ptr<Module> module);
  size_t size() const { return named_children().size(); }
  std::shared_ptr<Module> operator[](size_t index) const;
  auto begin() const { return named_children().begin(); }
  auto end() const { return named_children().end(); }

  std::string type_name() const override { return "ModuleList"; }
};

}  // namespace nabla::nn
