// The named models of text specs ("logreg", "mlp:256,128"): each expands to a list of layers
// of the JSON form. New models (lenet5, ...) are one more entry in builtin_model_types().
#include "io/spec_internal.hpp"

namespace nabla::io::detail {
namespace {

std::vector<LayerSpec> expand_logreg(const std::vector<int64_t>&, const Options&) {
  return {{"flatten", {}}, {"linear", {}}};
}

std::vector<LayerSpec> expand_mlp(const std::vector<int64_t>& sizes, const Options& o) {
  const std::string act = o.get_string("act", "relu");
  const auto& types = layer_types();
  const auto it = types.find(act);
  if (it == types.end() || !it->second.is_activation) {
    std::string known;
    for (const auto& [name, type] : types)
      if (type.is_activation) known += (known.empty() ? "" : ", ") + name;
    NABLA_FAIL(o.owner(), ": option 'act' must be an activation, one of ", known, "; got '", act, "'");
  }
  const double dropout = o.get_double("dropout", 0.0);
  NABLA_CHECK(dropout >= 0.0 && dropout < 1.0, o.owner(), ": option 'dropout' must be in [0, 1), got ", dropout);

  std::vector<LayerSpec> layers = {{"flatten", {}}};
  for (int64_t width : sizes) {
    layers.push_back({"linear", {{"out", width}}});
    layers.push_back({act, {}});
    if (dropout > 0.0) layers.push_back({"dropout", {{"p", dropout}}});
  }
  layers.push_back({"linear", {}});
  return layers;
}

}  // namespace

std::map<std::string, ModelType> builtin_model_types() {
  std::map<std::string, ModelType> models;
  models["logreg"] = {"softmax (multinomial logistic) regression: Flatten, Linear(in, outputs)",
                      "logreg", false, {}, expand_logreg};
  models["mlp"] = {"multi-layer perceptron: Flatten, then Linear(h), act[, Dropout] per hidden size, then "
                   "Linear(outputs)",
                   "mlp:H1,H2,...[:act=relu][:dropout=0]",
                   true,
                   {{"act", "relu", "activation after each hidden layer (any activation layer type)"},
                    {"dropout", "0", "Dropout probability after each hidden activation, in [0, 1)"}},
                   expand_mlp};
  return models;
}

}  // namespace nabla::io::detail
