// Model specs: a model named in a few characters on the command line ("logreg", "mlp:256,128",
// "mlp:512:act=tanh:dropout=0.2", "lenet5", "resnet_small:blocks=2"), or, for anything custom, a
// JSON list of layers:
//   {"layers": [{"type": "flatten"}, {"type": "linear", "out": 256}, {"type": "relu"},
//               {"type": "dropout", "p": 0.2}, {"type": "linear"}]}
// Both are built against the data: the per-example input shape fixes each layer's input size
// and the number of outputs is the last linear layer's default width. Every model is an
// nn::Sequential laid out like the equivalent torch.nn.Sequential, so state_dict keys match
// ("1.weight" for the first Linear after the Flatten). Built models also record each layer's
// receptive field and jump while its output has a spatial layout. docs/FORMATS.md has the full
// grammar.
//
// Adding a layer or a model is one entry in a table: builtin_layer_types() in
// src/io/spec_layers.cpp (type name -> options + builder from input shape to module and output
// shape), builtin_model_types() in src/io/spec_models.cpp (text name -> list of layers).
#pragma once

#include <nabla/generator.hpp>
#include <nabla/nn/container.hpp>
#include <nabla/shape.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nabla::io {

/// Sizes above these are refused with a nabla::Error before anything is allocated (see the
/// "Limits" section of docs/FORMATS.md): far beyond what nabla trains on a CPU, and low enough
/// that no size arithmetic can overflow.
inline constexpr int64_t kMaxSpecParameters = int64_t{1} << 31;  // a whole model's: 8 GiB of float32
inline constexpr int64_t kMaxSpecValues = int64_t{1} << 31;      // per example, input and every layer's output
inline constexpr int64_t kMaxSpecSize = int64_t{1} << 31;        // any size option (kernel, stride, padding, ...)
inline constexpr int64_t kMaxSpecLayers = 100'000;               // layers of one model

/// One option value: a boolean, an integer, a number, a string or a list of integers.
using OptionValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>>;

/// The options of one layer or model with typed access. Every error names the owner
/// ("layer 2 (linear)") and the option, and quotes the bad value.
class Options {
public:
  Options() = default;
  Options(std::string owner, std::map<std::string, OptionValue> values)
      : owner_(std::move(owner)), values_(std::move(values)) {}

  const std::string& owner() const { return owner_; }
  const std::map<std::string, OptionValue>& values() const { return values_; }
  bool has(const std::string& key) const { return values_.count(key) > 0; }

  // Each getter returns `fallback` when the option is absent; absent without a fallback is an
  // error saying the option is required.
  int64_t get_int(const std::string& key, std::optional<int64_t> fallback = std::nullopt) const;
  /// A number; integers are accepted.
  double get_double(const std::string& key, std::optional<double> fallback = std::nullopt) const;
  bool get_bool(const std::string& key, std::optional<bool> fallback = std::nullopt) const;
  std::string get_string(const std::string& key, std::optional<std::string> fallback = std::nullopt) const;
  /// A list of integers; a single integer k is accepted as the one-element list [k].
  std::vector<int64_t> get_ints(const std::string& key,
                                std::optional<std::vector<int64_t>> fallback = std::nullopt) const;

private:
  const OptionValue* find(const std::string& key, bool has_fallback) const;
  std::string owner_;
  std::map<std::string, OptionValue> values_;
};

/// One allowed option of a layer or model, for validation, error messages and documentation.
struct OptionInfo {
  std::string name;
  std::string default_value;  // as written in a spec; "" when required
  std::string description;
};

/// What a layer builder sees.
struct LayerContext {
  std::string where;              // "layer 2 (linear)", to start error messages with
  Shape input_shape;              // per example, batch dimension excluded, e.g. {1, 28, 28}
  int64_t num_outputs = 0;        // the data's classes or targets; 0 when not fixed
  Generator* generator = nullptr; // initial weights only (not kept); nullptr: default generator
  int64_t max_parameters = kMaxSpecParameters;  // what the layer may still allocate (check_parameters)
};

/// Refuses, before the layer allocates them, `count` parameters (computed in double, so that
/// absurd sizes cannot overflow) above ctx.max_parameters; the message names the layer.
void check_parameters(const LayerContext& ctx, double count);

/// A sliding window over the spatial dims, as a convolution or pooling layer applies it (one
/// entry per spatial dim), for receptive fields. Padding does not matter to them.
struct Window {
  std::vector<int64_t> kernel, stride, dilation;
  bool transposed = false;  // ConvTranspose: the output steps 1 / stride input pixels
};

/// How a layer's output pixels depend on its input pixels.
enum class SpatialMap {
  Pointwise,  // each on the same pixel (activations, batch norm, dropout): receptive field kept
  Windows,    // through LayerResult::windows, applied in order (a conv, a pool, a residual block's body)
  Restart,    // a new image from a reshape (unflatten): its pixels count as the input's
  Global,     // no spatial layout after it (flatten, linear, global pooling): no receptive field
};

/// A built layer and its per-example output shape.
struct LayerResult {
  std::shared_ptr<nn::Module> module;
  Shape output_shape;
  SpatialMap spatial = SpatialMap::Pointwise;
  std::vector<Window> windows{};  // SpatialMap::Windows: the path with the largest receptive field
};

/// The receptive field of a layer's output pixels and the jump (cumulative stride) between them,
/// in input pixels, one entry per spatial dim.
struct ReceptiveField {
  std::vector<int64_t> size, jump;
};
/// The field after one window: r_out = r_in + (k - 1) d j_in and j_out = j_in s, so a w x w
/// stride-1 layer grows it by w - 1. A transposed window reaches ceil(((k - 1) d + 1) / s) input
/// pixels and divides the jump by s; nullopt when the jump is not divisible (fractional pixels).
std::optional<ReceptiveField> grow_receptive_field(const ReceptiveField& in, const Window& window);

/// A layer type of the JSON form.
struct LayerType {
  std::string summary;              // one line: what it is and its PyTorch equivalent
  std::vector<OptionInfo> options;  // the allowed options; any other is refused
  bool is_activation = false;       // may be named by the act= option of text specs
  std::function<LayerResult(const Options&, const LayerContext&)> build;
};

/// One entry of a layer list.
struct LayerSpec {
  std::string type;
  std::map<std::string, OptionValue> options;
};

/// A model of the text form: expands its sizes and options into a list of layers.
struct ModelType {
  std::string summary;              // one line
  std::string usage;                // e.g. "mlp:H1,H2,...[:act=relu][:dropout=0]"
  bool takes_sizes = false;         // whether "name:256,128" sizes are required
  std::vector<OptionInfo> options;  // the allowed name=value options
  std::function<std::vector<LayerSpec>(const std::vector<int64_t>& sizes, const Options&)> expand;
};

/// The known layer types (built-in ones plus any registered), by name.
const std::map<std::string, LayerType>& layer_types();
/// Adds or replaces a layer type, e.g. for a custom layer in a user's program.
void register_layer(const std::string& type, LayerType layer);
/// The known text model names, by name.
const std::map<std::string, ModelType>& model_types();
void register_model(const std::string& name, ModelType model);

/// The layer list a spec stands for: a text spec ("mlp:256,128:act=tanh"), inline JSON
/// ("{\"layers\": [...]}") or the path of a JSON file (ending in ".json"). Malformed specs,
/// unknown names and unknown options are errors that list what is allowed.
std::vector<LayerSpec> parse_spec(const std::string& spec);
/// The JSON form of a layer list: {"layers": [{"type": ..., options...}, ...]}.
std::string layers_to_json(const std::vector<LayerSpec>& layers);

/// A spec that needs no other file: text and inline JSON are returned unchanged, a JSON file's
/// contents are returned inline (for a checkpoint's "nabla.spec").
std::string resolve_spec(const std::string& spec);

struct BuiltLayer {
  std::string name;    // child name in the Sequential ("0", "1", ...)
  std::string type;    // layer type ("linear")
  Shape output_shape;  // per example
  /// Receptive field and jump of an output pixel per spatial dim, from an input of shape (C,
  /// spatial...); both empty when the output has no spatial layout (e.g. after a flatten).
  std::vector<int64_t> receptive_field{}, jump{};
};
struct BuiltModel {
  std::shared_ptr<nn::Sequential> model;
  std::vector<BuiltLayer> layers;
  Shape output_shape;  // per example
};

/// Builds a layer list for examples of `input_shape` (batch dimension excluded). With
/// num_outputs > 0 the model's output must be (N, num_outputs), or an image of num_outputs values
/// per example (N, C, H, W) for image-to-image models; 0 leaves it free (then every linear layer
/// needs "out"). A module's own error gets the layer's name in front. `generator` draws the
/// initial weights (default generator when null). A model of more than `max_parameters`
/// parameters (at most kMaxSpecParameters) is refused before the layer that passes the limit
/// allocates anything.
BuiltModel build_layers(const std::vector<LayerSpec>& layers, const Shape& input_shape, int64_t num_outputs,
                        Generator* generator = nullptr, int64_t max_parameters = kMaxSpecParameters);
/// build_layers(parse_spec(spec), ...) with the per-layer details, e.g. for a summary table.
BuiltModel build_sequential(const std::string& spec, const Shape& input_shape, int64_t num_outputs,
                            Generator* generator = nullptr);
/// The model a spec (text, inline JSON or JSON file) describes, built for the data.
std::shared_ptr<nn::Module> build_model(const std::string& spec, const Shape& input_shape, int64_t num_outputs,
                                        Generator* generator = nullptr);
/// The JSON form only: `json_or_path` is JSON text or the path of a JSON file.
std::shared_ptr<nn::Module> build_model_from_json(const std::string& json_or_path, const Shape& input_shape,
                                                  int64_t num_outputs, Generator* generator = nullptr);

}  // namespace nabla::io
