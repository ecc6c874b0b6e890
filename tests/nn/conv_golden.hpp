// Shared by the convolution and pooling tests: the cases PyTorch recorded in
// tests/golden/nn_conv.json (scripts/golden/nn_conv.py), and their size arguments.
#pragma once

#include <nabla/nn/conv_functional.hpp>

#include "../support/golden.hpp"

#include <array>

namespace nabla::testing {

/// The recorded cases of one kind ("conv", "max_pool", ...).
inline const nlohmann::json& conv_golden_cases(const char* kind) {
  static const nlohmann::json j = golden("nn_conv");
  return j[kind];
}

/// A JSON int or list as the size argument PyTorch received.
template <size_t D>
nn::ExpandingArray<D> golden_sizes(const nlohmann::json& j) {
  if (j.is_number()) return nn::ExpandingArray<D>(j.get<int64_t>());
  std::array<int64_t, D> a{};
  for (size_t i = 0; i < D; ++i) a[i] = j[i].get<int64_t>();
  return a;
}

}  // namespace nabla::testing
