// Model checkpoints: state_dict tensors plus the metadata that rebuilds the model from its spec.
#include <nabla/io/checkpoint.hpp>
#include <nabla/io/spec.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace nabla::io {
namespace {

using json = nlohmann::json;

const std::string& required(const std::map<std::string, std::string>& metadata, const std::string& key,
                            const std::string& source) {
  const auto it = metadata.find(key);
  NABLA_CHECK(it != metadata.end(), "load_model: '", source, "': metadata has no '", key,
              "', so the model cannot be rebuilt from the file alone (was it saved by io::save_model? "
              "otherwise build the model and call nabla::load)");
  return it->second;
}

}  // namespace

std::map<std::string, std::string> model_metadata(const ModelInfo& info) {
  std::map<std::string, std::string> metadata;
  metadata[kSpecKey] = resolve_spec(info.spec);
  metadata[kInputShapeKey] = json(info.input_shape).dump();
  metadata[kNumOutputsKey] = std::to_string(info.num_outputs);
  if (!info.config.empty()) {
    NABLA_CHECK(json::accept(info.config), "model_metadata: config is not valid JSON: ", info.config);
    metadata[kConfigKey] = info.config;
  }
#ifdef NABLA_VERSION
  metadata[kVersionKey] = NABLA_VERSION;
#endif
  return metadata;
}

ModelInfo model_info(const std::map<std::string, std::string>& metadata, const std::string& source) {
  ModelInfo info;
  info.spec = required(metadata, kSpecKey, source);
  const std::string& shape_text = required(metadata, kInputShapeKey, source);
  const json shape = json::parse(shape_text, nullptr, /*allow_exceptions=*/false);
  const bool shape_ok = shape.is_array() && std::all_of(shape.begin(), shape.end(), [](const json& d) {
                          return d.is_number_integer() && d.get<int64_t>() > 0;
                        });
  NABLA_CHECK(shape_ok, "load_model: '", source, "': ", kInputShapeKey,
              " must be a JSON list of positive integers, got '",
              shape_text, "'");
  info.input_shape = shape.get<Shape>();
  const std::string& outputs = required(metadata, kNumOutputsKey, source);
  size_t used = 0;
  try {
    info.num_outputs = std::stoll(outputs, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  NABLA_CHECK(used == outputs.size() && used > 0 && info.num_outputs >= 0, "load_model: '", source, "': ",
              kNumOutputsKey, " must be a non-negative integer, got '", outputs, "'");
  if (const auto it = metadata.find(kConfigKey); it != metadata.end()) info.config = it->second;
  return info;
}

void save_model(const nn::Module& model, const std::string& path, const ModelInfo& info,
                const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> metadata = extra;
  for (auto& [key, value] : model_metadata(info)) metadata[key] = value;
  save(model, path, metadata);
}

LoadedModel load_model(const std::string& path, bool strict) {
  SafetensorsFile file = read_safetensors(path);
  LoadedModel out;
  out.metadata = file.metadata;
  out.info = model_info(file.metadata, path);
  // A private generator: the initial weights are overwritten anyway, and loading a model must
  // not shift the random stream of a program that seeded the default generator.
  Generator scratch(0);
  try {
    out.model = build_model(out.info.spec, out.info.input_shape, out.info.num_outputs, &scratch);
  } catch (const Error& e) {
    NABLA_FAIL("load_model: '", path, "': cannot rebuild the model from its spec: ", e.what());
  }
  nn::StateDict state;
  for (auto& [name, t] : file.tensors) state.insert(name, std::move(t));
  // Missing weights would leave random ones in place: always an error, strict or not.
  const nn::StateDict own = out.model->state_dict();
  std::vector<std::string> missing;
  for (const auto& [key, t] : own)
    if (!state.contains(key)) missing.push_back(key);
  NABLA_CHECK(missing.empty(), "load_model: '", path, "': the file lacks the model's tensors ", missing);
  try {
    out.model->load_state_dict(state, strict);
  } catch (const Error& e) {
    NABLA_FAIL("load_model: '", path, "': ", e.what());
  }
  out.model->eval();
  return out;
}

}  // namespace nabla::io
