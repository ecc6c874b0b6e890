// Gradchecks of whole modules for the CNN tests: the layers' parameters and buffers moved to
// float64 in place (through the members their forward reads), and a finite-difference check of
// the module's output w.r.t. its input and every parameter at once.
#pragma once

#include <nabla/nabla.hpp>
#include <nabla/nn/cnn.hpp>
#include <nabla/nn/norm_all.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace nabla::testing {

/// Moves every Conv2d / ConvTranspose2d / BatchNorm / Linear of `root` (itself included) to
/// float64 and returns pointers to the parameter members, in traversal order.
inline std::vector<Tensor*> to_float64(nn::Module& root) {
  std::vector<Tensor*> params;
  root.apply([&](nn::Module& m) {
    std::vector<Tensor*> weights, buffers;
    if (auto* c = dynamic_cast<nn::Conv2d*>(&m)) weights = {&c->weight, &c->bias};
    if (auto* t = dynamic_cast<nn::ConvTranspose2d*>(&m)) weights = {&t->weight, &t->bias};
    if (auto* l = dynamic_cast<nn::Linear*>(&m)) weights = {&l->weight, &l->bias};
    if (auto* bn = dynamic_cast<nn::BatchNorm*>(&m)) {
      weights = {&bn->weight, &bn->bias};
      buffers = {&bn->running_mean, &bn->running_var};
    }
    const auto known = std::count_if(weights.begin(), weights.end(), [](Tensor* t) { return t->defined(); });
    EXPECT_EQ(m.named_parameters(false).size(), static_cast<size_t>(known))
        << m.type_name() << " has parameters this helper does not know";
    for (Tensor* t : weights)
      if (t->defined()) {
        *t = t->detach().to(float64);
        params.push_back(t);
      }
    for (Tensor* t : buffers)
      if (t->defined()) *t = t->detach().to(float64);
  });
  return params;
}

/// Gradchecks module.forward(x) w.r.t. x and every parameter, in float64.
inline GradcheckResult module_gradcheck(nn::Module& module, const Tensor& x) {
  std::vector<Tensor*> params = to_float64(module);
  std::vector<Tensor> inputs = {x.to(float64)};
  for (Tensor* p : params) inputs.push_back(*p);
  auto fn = [&](const std::vector<Tensor>& in) {
    std::vector<Tensor> saved;
    for (size_t i = 0; i < params.size(); ++i) {
      saved.push_back(*params[i]);
      *params[i] = in[i + 1];
    }
    Tensor y = module.forward(in[0]);
    for (size_t i = 0; i < params.size(); ++i) *params[i] = saved[i];
    return y;
  };
  return gradcheck(fn, inputs, {.raise = false});
}

}  // namespace nabla::testing
