// libFuzzer target: the JSON a run reads back. An input goes to the reader it looks like: a JSON
// model spec ({"layers": [...]}, as build_model_from_json parses it) built for a
// small image, a checkpoint's metadata ({"nabla.spec": ..., "nabla.input_shape": ...}, as
// io::load_model reads it, the model rebuilt and its "nabla.config" read as `nabla eval` does),
// a run's config.json (`nabla train --resume`) or a training history (a JSON array, and any text
// that is not JSON).
#include <nabla/io/checkpoint.hpp>
#include <nabla/io/spec.hpp>
#include <nabla/train/history.hpp>

#include "config.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace {

using nlohmann::json;

constexpr int64_t kMaxParameters = int64_t{1} << 12;  // small models only: see spec_fuzz.cpp

// Runs one reader; only nabla::Error may come out of it.
void attempt(const std::function<void()>& reader) {
  try {
    reader();
  } catch (const nabla::Error&) {
  }
}

void build(const std::string& spec, const nabla::Shape& input_shape, int64_t num_outputs) {
  if (spec.find(".json") != std::string::npos) return;  // a file name: stay off the disk
  nabla::Generator generator(0);
  nabla::io::build_layers(nabla::io::parse_spec(spec), input_shape, num_outputs, &generator, kMaxParameters);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // One reader per input, chosen by what the JSON looks like: each failed parse costs an
  // exception or two, and exceptions are what makes this target slow.
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  const auto first = text.find_first_not_of(" \t\r\n");
  if (!j.is_object()) {
    if (first != std::string::npos && text[first] == '{') attempt([&] { build(text, {1, 8, 8}, 3); });
    else attempt([&] { nabla::train::History::from_json(text); });
    return 0;
  }
  if (j.contains("layers")) {
    attempt([&] { build(text, {1, 8, 8}, 3); });
    return 0;
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, value] : j.items())
    if (value.is_string()) metadata[key] = value.get<std::string>();
  if (!metadata.contains(nabla::io::kSpecKey)) {
    attempt([&] { nabla::cli::train_config_from_json(j, "fuzz"); });
    return 0;
  }
  attempt([&] {
    const nabla::io::ModelInfo info = nabla::io::model_info(metadata, "fuzz");
    build(info.spec, info.input_shape, info.num_outputs);
    // As `nabla eval` reads the checkpoint's configuration.
    const json config = json::parse(info.config.empty() ? "{}" : info.config, nullptr, false);
    if (config.is_object() && config.contains("data")) nabla::cli::data_config_from_json(config["data"], "fuzz");
  });
  return 0;
}
