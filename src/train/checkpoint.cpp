// Training checkpoints: model, optimiser and callback state as prefixed tensors, generators,
// epoch and history as JSON in the safetensors __metadata__.
#include <nabla/io/safetensors.hpp>
#include <nabla/train/checkpoint.hpp>

#include "io/json_depth.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

namespace nabla::train {
namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "nabla.training_state";
constexpr const char* kVersion = "1";

std::string generator_json(const Generator::State& g) {
  json s = json::array();
  for (uint64_t word : g.s) s.push_back(std::to_string(word));
  // 64-bit words as decimal strings: JSON readers elsewhere hold numbers in doubles.
  return json{{"seed", std::to_string(g.seed)}, {"s", s}, {"has_spare_normal", g.has_spare_normal},
              {"spare_normal", g.spare_normal}}
      .dump();
}

uint64_t parse_u64(const std::string& where, const json& j) {
  NABLA_CHECK(j.is_string(), where, ": expected a decimal string, got ", j.dump());
  const std::string text = j.get<std::string>();
  size_t used = 0;
  uint64_t value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  NABLA_CHECK(used == text.size() && !text.empty() && text[0] != '-', where, ": '", text,
              "' is not an unsigned 64-bit integer");
  return value;
}

Generator::State parse_generator(const std::string& where, const std::string& text) {
  NABLA_CHECK(io::detail::json_depth(text) <= 2, where, ": nests deeper than {seed, s: [4 words], ...} can");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    NABLA_FAIL(where, ": not valid JSON (", e.what(), ")");
  }
  NABLA_CHECK(j.is_object() && j.contains("seed") && j.contains("s") && j["s"].is_array() && j["s"].size() == 4 &&
                  j.contains("has_spare_normal") && j["has_spare_normal"].is_boolean() &&
                  j.contains("spare_normal") && j["spare_normal"].is_number(),
              where, ": expected {seed, s: [4 words], has_spare_normal, spare_normal}, got ", text);
  Generator::State g;
  g.seed = parse_u64(where + ".seed", j["seed"]);
  for (size_t i = 0; i < 4; ++i) g.s[i] = parse_u64(where + ".s", j["s"][i]);
  g.has_spare_normal = j["has_spare_normal"].get<bool>();
  g.spare_normal = j["spare_normal"].get<double>();
  return g;
}

const std::string& metadata_at(const std::string& path, const std::map<std::string, std::string>& metadata,
                               const std::string& key) {
  const auto it = metadata.find(key);
  NABLA_CHECK(it != metadata.end(), "load_training_state: '", path, "' has no '", key,
              "' in its metadata; is it a training state written by save_training_state?");
  return it->second;
}

void check_callback_names(const std::vector<std::pair<std::string, nn::StateDict>>& callbacks) {
  std::set<std::string> seen{"model", "optimizer"};
  for (const auto& [name, state] : callbacks) {
    NABLA_CHECK(!name.empty() && name.find('.') == std::string::npos, "save_training_state: callback state name '",
                name, "' must be non-empty and contain no '.'");
    NABLA_CHECK(seen.insert(name).second, "save_training_state: two states are named '", name,
                "' (model and optimizer are reserved); give one callback another state_name()");
  }
}

std::vector<std::string> callback_names(const std::string& where, const std::string& text) {
  NABLA_CHECK(io::detail::json_depth(text) <= 1, where, "callbacks: expected a JSON array of names, got deeper nesting");
  json names;
  try {
    names = json::parse(text);
  } catch (const json::exception& e) {
    NABLA_FAIL(where, "callbacks: not valid JSON (", e.what(), ")");
  }
  NABLA_CHECK(names.is_array(), where, "callbacks: expected a JSON array of names, got ", names.dump());
  std::vector<std::string> out;
  for (const json& name : names) {
    NABLA_CHECK(name.is_string(), where, "callbacks: expected names, got ", name.dump());
    out.push_back(name.get<std::string>());
  }
  return out;
}

// The file's tensors by their first dotted component: "model", "optimizer" or a callback name.
std::map<std::string, nn::StateDict> group_tensors(const std::string& where,
                                                   const std::vector<std::pair<std::string, Tensor>>& tensors,
                                                   const std::vector<std::string>& names) {
  std::map<std::string, nn::StateDict> groups{{"model", {}}, {"optimizer", {}}};
  for (const std::string& name : names) groups[name];
  for (const auto& [key, t] : tensors) {
    const size_t dot = key.find('.');
    const auto group = dot == std::string::npos ? groups.end() : groups.find(key.substr(0, dot));
    NABLA_CHECK(group != groups.end(), where, "holds tensor '", key,
                "', which belongs to neither model, optimizer nor a listed callback");
    group->second.insert(key.substr(dot + 1), t);
  }
  return groups;
}

}  // namespace

std::string training_state_path(const std::string& checkpoint_dir) {
  return (std::filesystem::path(checkpoint_dir) / "training_state.safetensors").string();
}

void save_training_state(const std::string& path, const TrainingState& state) {
  check_callback_names(state.callbacks);
  std::vector<std::pair<std::string, Tensor>> tensors;
  auto add = [&](const std::string& prefix, const nn::StateDict& dict) {
    for (const auto& [key, t] : dict) tensors.emplace_back(prefix + "." + key, t);
  };
  add("model", state.model);
  add("optimizer", state.optimizer);
  json names = json::array();
  for (const auto& [name, dict] : state.callbacks) {
    add(name, dict);
    names.push_back(name);
  }
  std::map<std::string, std::string> metadata{
      {"format", kFormat},
      {"version", kVersion},
      {"epoch", std::to_string(state.epoch)},
      {"callbacks", names.dump()},
      {"default_generator", generator_json(state.default_generator)},
      {"history", state.history.to_json()},
  };
  if (state.train_loader_generator) metadata["train_loader_generator"] = generator_json(*state.train_loader_generator);
  if (state.val_loader_generator) metadata["val_loader_generator"] = generator_json(*state.val_loader_generator);
  io::write_safetensors(path, tensors, metadata);
}

TrainingState load_training_state(const std::string& path) {
  const io::SafetensorsFile file = io::read_safetensors(path);
  const auto& meta = file.metadata;
  const auto format = meta.find("format");
  NABLA_CHECK(format != meta.end() && format->second == kFormat, "load_training_state: '", path,
              "' is not a nabla training state (its metadata has no format \"", kFormat,
              "\"); model checkpoints are read with nabla::load");
  NABLA_CHECK(metadata_at(path, meta, "version") == kVersion, "load_training_state: '", path, "' has version ",
              metadata_at(path, meta, "version"), ", this nabla reads version ", kVersion);
  TrainingState state;
  const std::string& epoch = metadata_at(path, meta, "epoch");
  try {
    size_t used = 0;
    state.epoch = std::stoll(epoch, &used);
    NABLA_CHECK(used == epoch.size() && state.epoch >= 0, "bad epoch");
  } catch (const std::exception&) {
    NABLA_FAIL("load_training_state: '", path, "' has a malformed epoch '", epoch, "'");
  }
  const std::string where = "load_training_state: '" + path + "' ";
  state.default_generator = parse_generator(where + "default_generator", metadata_at(path, meta, "default_generator"));
  for (const auto& [key, slot] : {std::pair{"train_loader_generator", &state.train_loader_generator},
                                  std::pair{"val_loader_generator", &state.val_loader_generator}})
    if (meta.contains(key)) *slot = parse_generator(where + key, meta.at(key));
  try {
    state.history = History::from_json(metadata_at(path, meta, "history"));
  } catch (const Error& e) {
    NABLA_FAIL(where, "history: ", e.what());
  }

  const std::vector<std::string> names = callback_names(where, metadata_at(path, meta, "callbacks"));
  std::map<std::string, nn::StateDict> groups = group_tensors(where, file.tensors, names);
  state.model = std::move(groups["model"]);
  state.optimizer = std::move(groups["optimizer"]);
  for (const std::string& name : names) state.callbacks.emplace_back(name, std::move(groups[name]));
  return state;
}

TrainingState capture_training_state(const nn::Module& model, const optim::Optimizer& optimizer,
                                     const std::vector<std::shared_ptr<Callback>>& callbacks,
                                     data::DataLoader* train_loader, data::DataLoader* val_loader, int64_t epoch,
                                     const History& history) {
  TrainingState state;
  state.epoch = epoch;
  state.model = model.state_dict();
  state.optimizer = optimizer.state_dict();
  for (const auto& callback : callbacks)
    if (!callback->state_name().empty()) state.callbacks.emplace_back(callback->state_name(), callback->state_dict());
  state.default_generator = default_generator().get_state();
  if (train_loader) state.train_loader_generator = train_loader->generator().get_state();
  if (val_loader) state.val_loader_generator = val_loader->generator().get_state();
  state.history = history;
  return state;
}

void restore_training_state(const TrainingState& state, nn::Module& model, optim::Optimizer& optimizer,
                            const std::vector<std::shared_ptr<Callback>>& callbacks, data::DataLoader* train_loader,
                            data::DataLoader* val_loader) {
  std::map<std::string, const nn::StateDict*> saved;
  std::vector<std::string> saved_names;
  for (const auto& [name, dict] : state.callbacks) {
    saved[name] = &dict;
    saved_names.push_back(name);
  }
  std::set<std::string> wanted;
  for (const auto& callback : callbacks) {
    const std::string name = callback->state_name();
    if (name.empty()) continue;
    NABLA_CHECK(wanted.insert(name).second, "restore_training_state: two callbacks keep state under '", name, "'");
    NABLA_CHECK(saved.contains(name), "restore_training_state: the checkpoint has no state for callback '", name,
                "' (it holds: ", saved_names, "); resume with the callbacks of the saved run");
  }
  for (const auto& [name, dict] : saved)
    NABLA_CHECK(wanted.contains(name), "restore_training_state: the checkpoint holds state for callback '", name,
                "' but no callback of this run keeps it; resume with the callbacks of the saved run");
  NABLA_CHECK(!train_loader || state.train_loader_generator, "restore_training_state: the checkpoint has no state "
              "for the training loader's generator");

  model.load_state_dict(state.model);
  optimizer.load_state_dict(state.optimizer);
  for (const auto& callback : callbacks)
    if (!callback->state_name().empty()) callback->load_state_dict(*saved.at(callback->state_name()));
  if (train_loader) train_loader->generator().set_state(*state.train_loader_generator);
  if (val_loader && state.val_loader_generator) val_loader->generator().set_state(*state.val_loader_generator);
  default_generator().set_state(state.default_generator);
}

}  // namespace nabla::train
