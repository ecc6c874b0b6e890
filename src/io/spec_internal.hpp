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

/// Adds the spatial layer types (src/io/spec_layers_cnn.cpp) to a layer table.
void add_cnn_layer_types(std::map<std::string, LayerType>& types);

/// A dim option counted as in PyTorch, over (N, *input_shape); the batch dim is refused with an
/// error naming the layer, the option and the input shape.
int64_t feature_dim(const LayerContext& ctx, const std::string& option, int64_t dim);

/// Names of the options, for "allowed: a, b" in messages ("none" when there are none).
std::string option_names(const std::vector<OptionInfo>& options);

}  // namespace nabla::io::detail
