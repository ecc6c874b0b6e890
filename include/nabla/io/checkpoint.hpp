// Self-describing model checkpoints: a safetensors file whose tensors are the model's
// state_dict and whose "__metadata__" also records the model spec, the per-example input shape,
// the number of outputs and the training configuration, so the file alone rebuilds the model:
//   io::save_model(*model, "runs/a/model.safetensors", {.spec = "mlp:256,128",
//                  .input_shape = {1, 28, 28}, .num_outputs = 10, .config = config_json});
//   auto [model, info, metadata] = io::load_model("runs/a/model.safetensors");
#pragma once

#include <nabla/io/safetensors.hpp>

#include <map>
#include <memory>
#include <string>

namespace nabla::io {

// Metadata keys (all values are strings, as safetensors requires).
inline constexpr const char* kSpecKey = "nabla.spec";                // text spec or inline JSON layer list
inline constexpr const char* kInputShapeKey = "nabla.input_shape";   // JSON array, e.g. "[1,28,28]"
inline constexpr const char* kNumOutputsKey = "nabla.num_outputs";   // decimal, e.g. "10"
inline constexpr const char* kConfigKey = "nabla.config";            // JSON object text (may be absent)
inline constexpr const char* kVersionKey = "nabla.version";          // nabla version that wrote the file

/// What a checkpoint needs to rebuild its model.
struct ModelInfo {
  std::string spec;     // as accepted by build_model; a JSON file path is stored inline
  Shape input_shape;    // per example, batch dimension excluded
  int64_t num_outputs = 0;
  std::string config;   // the training configuration as JSON text; "" for none
};

/// The metadata entries for `info` (validated: the spec must parse and config must be JSON).
std::map<std::string, std::string> model_metadata(const ModelInfo& info);
/// Reads ModelInfo back from checkpoint metadata; `source` names the file in errors.
ModelInfo model_info(const std::map<std::string, std::string>& metadata, const std::string& source);

/// Saves model.state_dict() with model_metadata(info) plus `extra` metadata, atomically.
void save_model(const nn::Module& model, const std::string& path, const ModelInfo& info,
                const std::map<std::string, std::string>& extra = {});

struct LoadedModel {
  std::shared_ptr<nn::Module> model;
  ModelInfo info;
  std::map<std::string, std::string> metadata;  // everything in __metadata__
};

/// Rebuilds the model from a checkpoint's metadata and loads its weights. Every parameter and
/// buffer of the model must be in the file with its shape; tensors the model does not have
/// (e.g. optimiser state kept in the same file) are an error when `strict`, skipped otherwise.
/// The default generator is not touched. The model is returned in eval mode.
LoadedModel load_model(const std::string& path, bool strict = true);

}  // namespace nabla::io
