// Sequential and ModuleList: indexing by position and chaining forward calls.
#include <nabla/nn/container.hpp>

namespace nabla::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) push_back(m);
}

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& m : modules) push_back(m);
}

Sequential& Sequential::push_back(std::shared_ptr<Module> module) {
  return push_back(std::to_string(size()), std::move(module));
}

Sequential& Sequential::push_back(const std::string& name, std::shared_ptr<Module> module) {
  register_module(name, std::move(module));
  return *this;
}

std::shared_ptr<Module> Sequential::operator[](size_t index) const {
  NABLA_CHECK(index < size(), "Sequential: index ", index, " out of range for ", size(), " modules");
  return named_children()[index].second;
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& [name, module] : named_children()) x = module->forward(x);
  return x;
}

ModuleList::ModuleList(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) push_back(m);
}

ModuleList& ModuleList::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(size()), std::move(module));
  return *this;
}

std::shared_ptr<Module> ModuleList::operator[](size_t index) const {
  NABLA_CHECK(index < size(), "ModuleList: index ", index, " out of range for ", size(), " modules");
  return named_children()[index].second;
}

}  // namespace nabla::nn
