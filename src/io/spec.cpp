// Model specs: the two registries, typed option access, the text and JSON parsers and the
// builder that walks a layer list, tracking the per-example shape from layer to layer.
#include <nabla/io/spec.hpp>

#include "io/json_depth.hpp"
#include "io/spec_internal.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace nabla::io {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

std::map<std::string, LayerType>& layer_registry() {
  static std::map<std::string, LayerType> registry = detail::builtin_layer_types();
  return registry;
}

std::map<std::string, ModelType>& model_registry() {
  static std::map<std::string, ModelType> registry = detail::builtin_model_types();
  return registry;
}

template <typename Map>
std::string key_list(const Map& map) {
  std::string out;
  for (const auto& item : map) out += (out.empty() ? "" : ", ") + item.first;
  return out;
}

std::string repr(const OptionValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string>) return "'" + v + "'";
        else return nabla::detail::str(v);
      },
      value);
}

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!s.empty() && s.back() == sep) parts.emplace_back();
  return parts;
}

std::optional<int64_t> parse_int(const std::string& s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// A text option value: true/false, an integer, a number, integers separated by commas, or text.
OptionValue text_value(const std::string& s) {
  if (s == "true") return true;
  if (s == "false") return false;
  if (auto v = parse_int(s)) return *v;
  if (!s.empty()) {
    char* end = nullptr;
    errno = 0;
    const double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() + s.size() && errno == 0 && std::isfinite(d)) return d;
  }
  if (s.find(',') != std::string::npos) {
    std::vector<int64_t> list;
    for (const std::string& part : split(s, ',')) {
      const auto v = parse_int(trim(part));
      if (!v) return s;
      list.push_back(*v);
    }
    return list;
  }
  return s;
}

// Checks a layer's type and option names against the registry.
const LayerType& check_layer(const std::string& where, const LayerSpec& layer) {
  const auto& types = layer_types();
  const auto it = types.find(layer.type);
  NABLA_CHECK(it != types.end(), where, "unknown layer type '", layer.type, "'; known types: ", key_list(types));
  for (const auto& [key, value] : layer.options) {
    const auto& allowed = it->second.options;
    const bool known =
        std::any_of(allowed.begin(), allowed.end(), [&key = key](const OptionInfo& o) { return o.name == key; });
    NABLA_CHECK(known, where, "unknown option '", key, "' for layer type '", layer.type,
                "'; allowed: ", detail::option_names(allowed));
  }
  return it->second;
}

std::vector<LayerSpec> parse_text(const std::string& spec) {
  const std::string where = "model spec '" + spec + "': ";
  const std::vector<std::string> fields = split(spec, ':');
  const std::string name = fields.empty() ? "" : trim(fields[0]);
  const auto& models = model_types();
  const auto it = models.find(name);
  NABLA_CHECK(it != models.end(), where, "unknown model '", name, "'; known models: ", key_list(models),
              " (or a JSON layer list: inline {\"layers\": [...]} or a .json file)");
  const ModelType& model = it->second;

  std::optional<std::vector<int64_t>> sizes;
  std::map<std::string, OptionValue> values;
  for (size_t i = 1; i < fields.size(); ++i) {
    const std::string field = trim(fields[i]);
    NABLA_CHECK(!field.empty(), where, "empty field (a trailing ':' or two in a row); usage: ", model.usage);
    const auto eq = field.find('=');
    if (eq == std::string::npos) {
      NABLA_CHECK(!sizes, where, "more than one size list; usage: ", model.usage);
      sizes.emplace();
      for (const std::string& part : split(field, ',')) {
        const auto size = parse_int(trim(part));
        NABLA_CHECK(size && *size > 0, where, "sizes must be positive integers separated by commas, got '", field,
                    "'; usage: ", model.usage);
        sizes->push_back(*size);
      }
      continue;
    }
    const std::string key = trim(field.substr(0, eq));
    const bool known =
        std::any_of(model.options.begin(), model.options.end(), [&](const OptionInfo& o) { return o.name == key; });
    NABLA_CHECK(known, where, "unknown option '", key, "' for model '", name,
                "'; allowed: ", detail::option_names(model.options));
    NABLA_CHECK(values.count(key) == 0, where, "option '", key, "' given twice");
    values[key] = text_value(trim(field.substr(eq + 1)));
  }
  NABLA_CHECK(!model.takes_sizes || sizes, where, "'", name, "' needs layer sizes; usage: ", model.usage);
  NABLA_CHECK(model.takes_sizes || !sizes, where, "'", name, "' takes no sizes; usage: ", model.usage);
  return model.expand(sizes.value_or(std::vector<int64_t>{}), Options("model spec '" + spec + "'", values));
}

OptionValue json_value(const std::string& where, const std::string& key, const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer() && (!v.is_number_unsigned() || v.get<uint64_t>() <= INT64_MAX)) return v.get<int64_t>();
  if (v.is_number_float()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::vector<int64_t> list;
    for (const json& item : v) {
      NABLA_CHECK(item.is_number_integer() && (!item.is_number_unsigned() || item.get<uint64_t>() <= INT64_MAX), where,
                  "option '", key, "' must be a list of integers, got ", v.dump());
      list.push_back(item.get<int64_t>());
    }
    return list;
  }
  NABLA_FAIL(where, "option '", key, "' must be a boolean, number, string or list of integers, got ", v.dump());
}

std::vector<LayerSpec> parse_json(const std::string& text, const std::string& source) {
  const std::string where = source + ": ";
  const int depth = detail::json_depth(text);  // {"layers": [{"kernel": [3, 3]}]} is 4
  NABLA_CHECK(depth <= 16, where, "the JSON nests ", depth, " levels deep; a model spec needs at most 4");
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    NABLA_FAIL(where, "not valid JSON: ", e.what());
  }
  NABLA_CHECK(root.is_object(), where, "expected an object {\"layers\": [...]}, got ", root.type_name());
  for (const auto& [key, value] : root.items())
    NABLA_CHECK(key == "layers" || key == "description", where, "unknown key '", key,
                "' (allowed: layers, description)");
  NABLA_CHECK(root.contains("layers") && root["layers"].is_array() && !root["layers"].empty(), where,
              "expected a non-empty array \"layers\": [{\"type\": ...}, ...]");
  std::vector<LayerSpec> layers;
  for (size_t i = 0; i < root["layers"].size(); ++i) {
    const json& item = root["layers"][i];
    std::string at = where + "layer " + std::to_string(i) + ": ";
    NABLA_CHECK(item.is_object(), at, "expected an object {\"type\": ..., options...}, got ", item.dump());
    NABLA_CHECK(item.contains("type") && item["type"].is_string(), at, "needs a string \"type\"; known types: ",
                key_list(layer_types()));
    LayerSpec layer{item["type"].get<std::string>(), {}};
    at = where + "layer " + std::to_string(i) + " (" + layer.type + "): ";
    for (const auto& [key, value] : item.items())
      if (key != "type") layer.options[key] = json_value(at, key, value);
    check_layer(at, layer);
    layers.push_back(std::move(layer));
  }
  return layers;
}

// Every pixel of a (C, spatial...) input sees itself: field 1, jump 1; none for flat inputs.
std::optional<ReceptiveField> image_field(const Shape& shape) {
  if (shape.size() < 2) return std::nullopt;
  const std::vector<int64_t> ones(shape.size() - 1, 1);
  return ReceptiveField{ones, ones};
}

// The field after a built layer (see SpatialMap).
std::optional<ReceptiveField> next_field(std::optional<ReceptiveField> field, const LayerResult& layer) {
  switch (layer.spatial) {
    case SpatialMap::Pointwise:
      return field;
    case SpatialMap::Restart:
      return image_field(layer.output_shape);
    case SpatialMap::Global:
      return std::nullopt;
    case SpatialMap::Windows:
      for (const Window& window : layer.windows) {
        if (!field || field->size.size() != window.kernel.size()) return std::nullopt;
        field = grow_receptive_field(*field, window);
      }
      return field;
  }
  return std::nullopt;
}

bool is_json_file(const std::string& spec) { return spec.size() > 5 && spec.ends_with(".json"); }

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  NABLA_CHECK(in.good(), "model spec: cannot open the JSON file '", path, "': ", std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  NABLA_CHECK(!in.bad(), "model spec: cannot read the JSON file '", path, "'");
  return text.str();
}

// Refuses a per-example shape with a size below 1 or more than kMaxSpecValues values, so that no
// later size arithmetic can overflow.
void check_values(const std::string& what, const Shape& shape) {
  double values = 1;
  for (int64_t d : shape) {
    NABLA_CHECK(d > 0, what, " must have positive sizes, got ", shape);
    values *= static_cast<double>(d);
  }
  NABLA_CHECK(values <= static_cast<double>(kMaxSpecValues), what, " ", shape, " holds ", values,
              " values, more than the limit of ", kMaxSpecValues);
}

}  // namespace

// ---- options ------------------------------------------------------------------------------

const OptionValue* Options::find(const std::string& key, bool has_fallback) const {
  const auto it = values_.find(key);
  NABLA_CHECK(it != values_.end() || has_fallback, owner_, ": option '", key, "' is required");
  return it == values_.end() ? nullptr : &it->second;
}

int64_t Options::get_int(const std::string& key, std::optional<int64_t> fallback) const {
  const OptionValue* v = find(key, fallback.has_value());
  if (!v) return *fallback;
  NABLA_CHECK(std::holds_alternative<int64_t>(*v), owner_, ": option '", key, "' must be an integer, got ", repr(*v));
  return std::get<int64_t>(*v);
}

double Options::get_double(const std::string& key, std::optional<double> fallback) const {
  const OptionValue* v = find(key, fallback.has_value());
  if (!v) return *fallback;
  if (std::holds_alternative<int64_t>(*v)) return static_cast<double>(std::get<int64_t>(*v));
  NABLA_CHECK(std::holds_alternative<double>(*v), owner_, ": option '", key, "' must be a number, got ", repr(*v));
  return std::get<double>(*v);
}

bool Options::get_bool(const std::string& key, std::optional<bool> fallback) const {
  const OptionValue* v = find(key, fallback.has_value());
  if (!v) return *fallback;
  NABLA_CHECK(std::holds_alternative<bool>(*v), owner_, ": option '", key, "' must be true or false, got ", repr(*v));
  return std::get<bool>(*v);
}

std::string Options::get_string(const std::string& key, std::optional<std::string> fallback) const {
  const OptionValue* v = find(key, fallback.has_value());
  if (!v) return *fallback;
  NABLA_CHECK(std::holds_alternative<std::string>(*v), owner_, ": option '", key, "' must be a string, got ",
              repr(*v));
  return std::get<std::string>(*v);
}

std::vector<int64_t> Options::get_ints(const std::string& key, std::optional<std::vector<int64_t>> fallback) const {
  const OptionValue* v = find(key, fallback.has_value());
  if (!v) return *fallback;
  if (std::holds_alternative<int64_t>(*v)) return {std::get<int64_t>(*v)};
  NABLA_CHECK(std::holds_alternative<std::vector<int64_t>>(*v), owner_, ": option '", key,
              "' must be a list of integers, got ", repr(*v));
  return std::get<std::vector<int64_t>>(*v);
}

// ---- registries ---------------------------------------------------------------------------

const std::map<std::string, LayerType>& layer_types() { return layer_registry(); }

void register_layer(const std::string& type, LayerType layer) {
  NABLA_CHECK(!type.empty() && layer.build, "register_layer: needs a name and a build function");
  layer_registry()[type] = std::move(layer);
}

const std::map<std::string, ModelType>& model_types() { return model_registry(); }

void register_model(const std::string& name, ModelType model) {
  NABLA_CHECK(!name.empty() && name.find(':') == std::string::npos && model.expand,
              "register_model: needs a name without ':' and an expand function");
  model_registry()[name] = std::move(model);
}

std::string detail::option_names(const std::vector<OptionInfo>& options) {
  std::string out;
  for (const OptionInfo& o : options) out += (out.empty() ? "" : ", ") + o.name;
  return out.empty() ? "none" : out;
}

// ---- parsing ------------------------------------------------------------------------------

std::vector<LayerSpec> parse_spec(const std::string& spec) {
  const std::string s = trim(spec);
  if (s.starts_with("{")) return parse_json(s, "inline JSON model spec");
  if (is_json_file(s)) return parse_json(read_text_file(s), "model file '" + s + "'");
  return parse_text(s);
}

std::string layers_to_json(const std::vector<LayerSpec>& layers) {
  ordered_json list = ordered_json::array();
  for (const LayerSpec& layer : layers) {
    ordered_json item;
    item["type"] = layer.type;
    for (const auto& [key, value] : layer.options)
      std::visit([&, &key = key](const auto& v) { item[key] = v; }, value);
    list.push_back(std::move(item));
  }
  ordered_json root;
  root["layers"] = std::move(list);
  return root.dump();
}

std::string resolve_spec(const std::string& spec) {
  const std::string s = trim(spec);
  if (!s.starts_with("{") && is_json_file(s)) return layers_to_json(parse_spec(s));
  parse_spec(s);  // validate now rather than when the checkpoint is read back
  return s;
}

// ---- receptive fields -----------------------------------------------------------------------

namespace {

// Receptive fields of absurd strides or kernels stop growing at INT64_MAX instead of overflowing.
int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t out = 0;
  return __builtin_mul_overflow(a, b, &out) ? std::numeric_limits<int64_t>::max() : out;
}
int64_t saturating_add(int64_t a, int64_t b) {
  int64_t out = 0;
  return __builtin_add_overflow(a, b, &out) ? std::numeric_limits<int64_t>::max() : out;
}

}  // namespace

std::optional<ReceptiveField> grow_receptive_field(const ReceptiveField& in, const Window& w) {
  const size_t dims = in.size.size();
  NABLA_CHECK(in.jump.size() == dims && w.kernel.size() == dims && w.stride.size() == dims &&
                  w.dilation.size() == dims,
              "grow_receptive_field: a field over ", dims, " dims needs windows of ", dims, " sizes; got kernel ",
              w.kernel, ", stride ", w.stride, ", dilation ", w.dilation);
  ReceptiveField out = in;
  for (size_t d = 0; d < dims; ++d) {
    const int64_t span = saturating_mul(w.kernel[d] - 1, w.dilation[d]);  // input pixels a window spans, minus one
    if (!w.transposed) {
      out.size[d] = saturating_add(in.size[d], saturating_mul(span, in.jump[d]));
      out.jump[d] = saturating_mul(in.jump[d], w.stride[d]);
      continue;
    }
    if (in.jump[d] % w.stride[d] != 0) return std::nullopt;
    const int64_t reached = span / w.stride[d] + 1;  // ceil((span + 1) / stride) input pixels
    out.size[d] = saturating_add(in.size[d], saturating_mul(reached - 1, in.jump[d]));
    out.jump[d] = in.jump[d] / w.stride[d];
  }
  return out;
}

// ---- building -----------------------------------------------------------------------------

void check_parameters(const LayerContext& ctx, double count) {
  NABLA_CHECK(count <= static_cast<double>(ctx.max_parameters), ctx.where, ": needs ", count,
              " parameters, more than the ", ctx.max_parameters, " left of the model's limit of ", kMaxSpecParameters,
              " (8 GiB of float32); ask for smaller sizes");
}

BuiltModel build_layers(const std::vector<LayerSpec>& layers, const Shape& input_shape, int64_t num_outputs,
                        Generator* generator, int64_t max_parameters) {
  NABLA_CHECK(!layers.empty(), "build_model: the layer list is empty");
  NABLA_CHECK(layers.size() <= static_cast<size_t>(kMaxSpecLayers), "build_model: ", layers.size(),
              " layers, more than the limit of ", kMaxSpecLayers);
  NABLA_CHECK(!input_shape.empty(), "build_model: the input shape per example must have at least one dimension");
  check_values("build_model: the input per example", input_shape);
  NABLA_CHECK(num_outputs >= 0 && num_outputs <= kMaxSpecValues, "build_model: num_outputs must be in [0, ",
              kMaxSpecValues, "], got ", num_outputs);
  NABLA_CHECK(max_parameters >= 0 && max_parameters <= kMaxSpecParameters,
              "build_model: max_parameters must be in [0, ", kMaxSpecParameters, "], got ", max_parameters);

  BuiltModel out;
  out.model = std::make_shared<nn::Sequential>();
  int64_t parameters = 0;
  Shape shape = input_shape;
  std::optional<ReceptiveField> field = image_field(shape);
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string where = "build_model: layer " + std::to_string(i) + " (" + layers[i].type + ")";
    const LayerType& type = check_layer(where + ": ", layers[i]);
    const int64_t budget = std::max<int64_t>(max_parameters - parameters, 0);  // a registered layer may overspend
    const LayerContext context{where, shape, num_outputs, generator, budget};
    LayerResult result;
    try {
      result = type.build(Options(where, layers[i].options), context);
      check_values("the output per example", result.output_shape);
    } catch (const Error& e) {
      // A module's own check (e.g. Conv2d's groups) does not know which layer it is.
      if (std::string(e.what()).starts_with(where)) throw;
      throw Error(where + ": " + e.what());
    }
    parameters += result.module->num_parameters();
    field = next_field(field, result);
    out.model->push_back(result.module);
    out.layers.push_back({std::to_string(i), layers[i].type, result.output_shape,
                          field ? field->size : std::vector<int64_t>{}, field ? field->jump : std::vector<int64_t>{}});
    shape = result.output_shape;
  }
  // Image-to-image models (e.g. unet) give an image per example; the data counts its values.
  const bool image_output = shape.size() > 1 && shape_numel(shape) == num_outputs;
  NABLA_CHECK(num_outputs == 0 || shape == Shape{num_outputs} || image_output,
              "build_model: the model's output per example is ", shape, " but the data needs [", num_outputs,
              "]; end with a linear layer (its \"out\" defaults to the number of outputs)");
  out.output_shape = shape;
  return out;
}

BuiltModel build_sequential(const std::string& spec, const Shape& input_shape, int64_t num_outputs,
                            Generator* generator) {
  return build_layers(parse_spec(spec), input_shape, num_outputs, generator);
}

std::shared_ptr<nn::Module> build_model(const std::string& spec, const Shape& input_shape, int64_t num_outputs,
                                        Generator* generator) {
  return build_sequential(spec, input_shape, num_outputs, generator).model;
}

std::shared_ptr<nn::Module> build_model_from_json(const std::string& json_or_path, const Shape& input_shape,
                                                  int64_t num_outputs, Generator* generator) {
  const std::string s = trim(json_or_path);
  const std::vector<LayerSpec> layers = s.starts_with("{")
                                            ? parse_json(s, "inline JSON model spec")
                                            : parse_json(read_text_file(s), "model file '" + s + "'");
  return build_layers(layers, input_shape, num_outputs, generator).model;
}

}  // namespace nabla::io
