// The built-in tables behind the model-spec registries, and helpers their entries share.
#pragma once

#include <nabla/io/spec.hpp>

#include <string>
#include <vector>

namespace nabla::io::detail {

/// Layer types of the JSON form (src/io/spec_layers.cpp).
std::map<std::string, LayerType> builtin_layer_types();
/// Model names of the text form (src/io/spec_models.cpp).
std::map<std::string, ModelType> builtin_model_types();

/// Names of the options, for "allowed: a, b" in messages ("none" when there are none).
std::string option_names(const std::vector<OptionInfo>& options);

}  // namespace nabla::io::detail
