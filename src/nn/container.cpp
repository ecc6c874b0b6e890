// Sequential and ModuleList: indexing by position and chaining forward calls.
#include <nabla/nn/activation.hpp>
#include <nabla/nn/container.hpp>
#include <nabla/nn/normalization.hpp>

#include <typeinfo>

namespace nabla::nn {
namespace {

// Exactly a BatchNorm1d/2d (a subclass may override forward, so it is run as it is).
bool is_batch_norm(const Module& m) { return typeid(m) == typeid(BatchNorm1d) || typeid(m) == typeid(BatchNorm2d); }
bool is_relu(const Module& m) { return typeid(m) == typeid(ReLU); }

}  // namespace

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
  const auto& children = named_children();
  for (size_t i = 0; i < children.size(); ++i) {
    Module& module = *children[i].second;
    // A batch norm and the ReLU after it run as one fused op: bit-identical, one pass fewer over
    // the activations each way.
    if (i + 1 < children.size() && is_batch_norm(module) && is_relu(*children[i + 1].second)) {
      x = static_cast<BatchNorm&>(module).forward_relu(x);
      ++i;
      continue;
    }
    x = module.forward(x);
  }
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
