// History: epoch records by metric name, as CSV (history.csv) and as exact JSON (checkpoints).
#include <nabla/error.hpp>
#include <nabla/train/history.hpp>

#include "io/json_depth.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace nabla::train {
namespace {

using json = nlohmann::json;

// The fixed fields by name, in CSV column order.
struct Field {
  const char* name;
  double EpochRecord::*member;
};
constexpr Field kFields[] = {
    {"train_loss", &EpochRecord::train_loss},
    {"train_acc", &EpochRecord::train_acc},
    {"val_loss", &EpochRecord::val_loss},
    {"val_acc", &EpochRecord::val_acc},
    {"lr", &EpochRecord::lr},
    {"seconds", &EpochRecord::seconds},
    {"samples_per_second", &EpochRecord::samples_per_second},
};

const double* find_value(const EpochRecord& r, const std::string& name) {
  for (const Field& f : kFields)
    if (name == f.name) return &(r.*f.member);
  const auto it = r.extra.find(name);
  return it == r.extra.end() ? nullptr : &it->second;
}

// Shortest text that reads back as exactly `v`; empty for NaN.
std::string number(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

json value_json(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

double json_value(const json& j, const std::string& key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return EpochRecord::nan;
  NABLA_CHECK(it->is_number(), "History::from_json: '", key, "' is not a number: ", it->dump());
  return it->get<double>();
}

}  // namespace

bool EpochRecord::has(const std::string& name) const {
  const double* v = find_value(*this, name);
  return v && !std::isnan(*v);
}

double EpochRecord::get(const std::string& name) const {
  if (name == "epoch") return static_cast<double>(epoch);
  NABLA_CHECK(has(name), "EpochRecord: metric '", name, "' was not measured in epoch ", epoch,
              " (measured: ", names(), ")", name.rfind("val_", 0) == 0 ? "; is there a validation loader?" : "");
  return *find_value(*this, name);
}

std::vector<std::string> EpochRecord::names() const {
  std::vector<std::string> out;
  for (const Field& f : kFields)
    if (!std::isnan(this->*f.member)) out.push_back(f.name);
  for (const auto& [name, v] : extra)
    if (!std::isnan(v)) out.push_back(name);
  return out;
}

const EpochRecord& History::back() const {
  NABLA_CHECK(!records_.empty(), "History::back: the history is empty");
  return records_.back();
}

std::vector<double> History::values(const std::string& name) const {
  std::vector<double> out;
  for (const EpochRecord& r : records_) {
    const double* v = find_value(r, name);
    out.push_back(name == "epoch" ? static_cast<double>(r.epoch) : v ? *v : EpochRecord::nan);
  }
  return out;
}

void History::write_csv(std::ostream& out) const {
  std::set<std::string> extra;
  for (const EpochRecord& r : records_)
    for (const auto& item : r.extra) extra.insert(item.first);
  out << "epoch";
  for (const Field& f : kFields) out << ',' << f.name;
  for (const std::string& name : extra) out << ',' << name;
  out << '\n';
  for (const EpochRecord& r : records_) {
    out << r.epoch;
    for (const Field& f : kFields) out << ',' << number(r.*f.member);
    for (const std::string& name : extra) {
      const auto it = r.extra.find(name);
      out << ',' << (it == r.extra.end() ? "" : number(it->second));
    }
    out << '\n';
  }
}

std::string History::to_csv() const {
  std::ostringstream out;
  write_csv(out);
  return out.str();
}

void History::save_csv(const std::string& path) const {
  std::ofstream file(path, std::ios::binary);
  NABLA_CHECK(file.good(), "History::save_csv: cannot open '", path, "' for writing");
  write_csv(file);
  file.flush();
  NABLA_CHECK(file.good(), "History::save_csv: writing '", path, "' failed");
}

std::string History::to_json() const {
  json records = json::array();
  for (const EpochRecord& r : records_) {
    json j = {{"epoch", r.epoch}};
    for (const Field& f : kFields) j[f.name] = value_json(r.*f.member);
    json extra = json::object();
    for (const auto& [name, v] : r.extra) extra[name] = value_json(v);
    j["extra"] = extra;
    records.push_back(j);
  }
  return records.dump();
}

History History::from_json(const std::string& text) {
  const int depth = io::detail::json_depth(text);  // records, their "extra" object
  NABLA_CHECK(depth <= 3, "History::from_json: the JSON nests ", depth, " levels deep; a history needs at most 3");
  json records;
  try {
    records = json::parse(text);
  } catch (const json::exception& e) {
    NABLA_FAIL("History::from_json: not valid JSON (", e.what(), ")");
  }
  NABLA_CHECK(records.is_array(), "History::from_json: expected a JSON array of epoch records");
  History history;
  for (const json& j : records) {
    NABLA_CHECK(j.is_object() && j.contains("epoch") && j["epoch"].is_number_integer(),
                "History::from_json: each record needs an integer 'epoch', got ", j.dump());
    EpochRecord r;
    r.epoch = j["epoch"].get<int64_t>();
    for (const Field& f : kFields) r.*f.member = json_value(j, f.name);
    if (const auto it = j.find("extra"); it != j.end()) {
      NABLA_CHECK(it->is_object(), "History::from_json: 'extra' must be an object, got ", it->dump());
      for (const auto& item : it->items()) r.extra[item.key()] = json_value(*it, item.key());
    }
    history.append(std::move(r));
  }
  return history;
}

}  // namespace nabla::train
