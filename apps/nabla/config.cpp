// TrainConfig <-> JSON, and JSON files written atomically.
#include "config.hpp"

#include <nabla/error.hpp>

#include <cstdio>
#include <fstream>
#include <limits>
#include <type_traits>
#include <utility>
#include <sstream>

#include <unistd.h>

namespace nabla::cli {
namespace {

using nlohmann::json;

// A value for an error message: scalars as written, objects and arrays by their type only
// (dump() would recurse once per nesting level of a hostile file).
std::string shown(const json& value) { return value.is_structured() ? value.type_name() : value.dump(); }

template <typename T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

// json[key] as T, or `fallback` when absent; a value of the wrong type names the key and file.
template <typename T>
T get(const json& j, const char* key, const T& fallback, const std::string& source) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // nlohmann would convert any number, e.g. 1e300 or -1 to a uint64_t, without a word.
    const json& v = j[key];
    const bool fits = v.is_number_unsigned() ? std::in_range<T>(v.get<uint64_t>())
                      : v.is_number_integer() && std::in_range<T>(v.get<int64_t>());
    NABLA_CHECK(fits, source, ": \"", key, "\" must be an integer in [", std::numeric_limits<T>::min(), ", ",
                std::numeric_limits<T>::max(), "], got ", shown(v));
    return static_cast<T>(v.is_number_unsigned() ? v.get<uint64_t>() : v.get<int64_t>());
  }
  try {
    return j[key].get<T>();
  } catch (const json::exception&) {
    NABLA_FAIL(source, ": \"", key, "\" has the wrong type (", shown(j[key]), ")");
  }
}

template <typename T>
std::optional<T> get_optional(const json& j, const char* key, const std::string& source) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return get<T>(j, key, T{}, source);
}

}  // namespace

json training_options_json(const TrainConfig& c) {
  json data = {{"name", c.data.name},   {"data_dir", c.data.data_dir}, {"csv", c.data.csv},
               {"label_column", c.data.label_column}, {"limit", c.data.limit}};
  json betas = c.betas ? json::array({(*c.betas)[0], (*c.betas)[1]}) : json(nullptr);
  return {{"model", c.model},
          {"data", data},
          {"epochs", c.epochs},
          {"batch_size", c.batch_size},
          {"optimizer", c.optimizer},
          {"lr", optional_json(c.lr)},
          {"momentum", optional_json(c.momentum)},
          {"nesterov", c.nesterov},
          {"weight_decay", optional_json(c.weight_decay)},
          {"betas", betas},
          {"schedule", c.schedule},
          {"augment", c.augment},
          {"val_split", c.val_split},
          {"early_stopping", c.early_stopping},
          {"clip_grad_norm", optional_json(c.clip_grad_norm)},
          {"label_smoothing", c.label_smoothing},
          {"seed", c.seed}};
}

DataConfig data_config_from_json(const json& j, const std::string& source) {
  NABLA_CHECK(j.is_object(), source, ": \"data\" must be an object, got ", shown(j));
  DataConfig d;
  d.name = get<std::string>(j, "name", "", source);
  d.data_dir = get<std::string>(j, "data_dir", "", source);
  d.csv = get<std::string>(j, "csv", "", source);
  d.label_column = get<std::string>(j, "label_column", "", source);
  d.limit = get<int64_t>(j, "limit", 0, source);
  NABLA_CHECK(!d.name.empty(), source, ": the configuration names no data set (\"data\": {\"name\": ...})");
  return d;
}

TrainConfig train_config_from_json(const json& j, const std::string& source) {
  NABLA_CHECK(j.is_object(), source, ": expected a JSON object with the run's options");
  TrainConfig c;
  c.model = get<std::string>(j, "model", "", source);
  NABLA_CHECK(!c.model.empty(), source, ": the configuration has no \"model\"");
  NABLA_CHECK(j.contains("data"), source, ": the configuration has no \"data\"");
  c.data = data_config_from_json(j["data"], source);
  c.epochs = get<int64_t>(j, "epochs", c.epochs, source);
  c.batch_size = get<int64_t>(j, "batch_size", c.batch_size, source);
  c.optimizer = get<std::string>(j, "optimizer", c.optimizer, source);
  c.lr = get_optional<double>(j, "lr", source);
  c.momentum = get_optional<double>(j, "momentum", source);
  c.nesterov = get<bool>(j, "nesterov", false, source);
  c.weight_decay = get_optional<double>(j, "weight_decay", source);
  if (j.contains("betas") && !j["betas"].is_null()) {
    const auto betas = get<std::vector<double>>(j, "betas", {}, source);
    NABLA_CHECK(betas.size() == 2, source, ": \"betas\" must hold two numbers, got ", j["betas"].dump());
    c.betas = std::array<double, 2>{betas[0], betas[1]};
  }
  c.schedule = get<std::string>(j, "schedule", c.schedule, source);
  c.augment = get<std::string>(j, "augment", c.augment, source);
  c.val_split = get<double>(j, "val_split", c.val_split, source);
  c.early_stopping = get<int64_t>(j, "early_stopping", 0, source);
  c.clip_grad_norm = get_optional<double>(j, "clip_grad_norm", source);
  c.label_smoothing = get<double>(j, "label_smoothing", 0.0, source);  // absent from runs written before the option: none
  c.seed = get<uint64_t>(j, "seed", 0, source);
  c.threads = get<int>(j, "threads", 0, source);
  c.out = get<std::string>(j, "out", c.out, source);
  c.name = get<std::string>(j, "name", "", source);
  return c;
}

json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  NABLA_CHECK(in.good(), "cannot open '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::exception& e) {
    NABLA_FAIL("'", path, "' is not valid JSON: ", e.what());
  }
}

void write_json_file(const std::string& path, const json& j) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    NABLA_CHECK(out.good(), "cannot write '", tmp, "'");
    out << j.dump(2) << '\n';
    out.flush();
    NABLA_CHECK(out.good(), "writing '", tmp, "' failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    NABLA_FAIL("cannot rename '", tmp, "' to '", path, "'");
  }
}

std::array<double, 2> parse_betas(const std::string& text) {
  std::array<double, 2> betas{};
  char comma = 0;
  std::istringstream in(text);
  const bool ok = (in >> betas[0] >> comma >> betas[1]) && comma == ',' && (in >> std::ws).eof();
  NABLA_CHECK(ok, "--betas must be two numbers separated by a comma (e.g. 0.9,0.999), got '", text, "'");
  return betas;
}

}  // namespace nabla::cli
