// The layer types of model specs: for each name, its options and a builder that makes the
// module from the per-example input shape and returns the output shape. This file holds the
// flat layers (linear, dropout, activations, flatten); spec_layers_cnn.cpp the spatial ones.
// A new layer is one more entry in builtin_layer_types() or add_cnn_layer_types().
#include <nabla/nn/activation.hpp>
#include <nabla/nn/basic.hpp>
#include <nabla/nn/dropout.hpp>
#include <nabla/nn/linear.hpp>

#include "io/spec_internal.hpp"


namespace nabla::io::detail {
namespace {

// A layer that keeps the shape and has no options, e.g. ReLU.
template <typename M>
LayerType plain(std::string summary, bool is_activation = true) {
  return {std::move(summary), {}, is_activation, [](const Options&, const LayerContext& ctx) {
            return LayerResult{std::make_shared<M>(), ctx.input_shape};
          }};
}


LayerResult build_flatten(const Options& o, const LayerContext& ctx) {
  const int64_t start = o.get_int("start_dim", 1), end = o.get_int("end_dim", -1);
  const int64_t s = feature_dim(ctx, "start_dim", start), e = feature_dim(ctx, "end_dim", end);
  NABLA_CHECK(s <= e, ctx.where, ": start_dim ", start, " comes after end_dim ", end);
  const Shape& in = ctx.input_shape;  // in[k] is dim k + 1 of the batch
  Shape out(in.begin(), in.begin() + (s - 1));
  int64_t merged = 1;
  for (int64_t k = s - 1; k < e; ++k) merged *= in[static_cast<size_t>(k)];
  out.push_back(merged);
  out.insert(out.end(), in.begin() + e, in.end());
  return {std::make_shared<nn::Flatten>(start, end), out, SpatialMap::Global};
}

LayerResult build_linear(const Options& o, const LayerContext& ctx) {
  const int64_t in = ctx.input_shape.back();
  if (o.has("in"))  // a model laid out for one input size (lenet5's C5) says so
    NABLA_CHECK(o.get_int("in") == in, ctx.where, ": in=", o.get_int("in"), " input features were expected but the "
                "input per example is ", ctx.input_shape, " (the model is laid out for another input size)");
  const int64_t out = ctx.num_outputs > 0 ? o.get_int("out", ctx.num_outputs) : o.get_int("out");
  NABLA_CHECK(out > 0, ctx.where, ": out must be positive, got ", out);
  const bool bias = o.get_bool("bias", true);
  check_parameters(ctx, (static_cast<double>(in) + bias) * static_cast<double>(out));
  Shape shape = ctx.input_shape;
  shape.back() = out;
  return {std::make_shared<nn::Linear>(in, out, bias, ctx.generator), shape, SpatialMap::Global};
}

LayerResult build_dropout(const Options& o, const LayerContext& ctx) {
  const double p = o.get_double("p", 0.5);
  NABLA_CHECK(p >= 0.0 && p <= 1.0, ctx.where, ": p must be in [0, 1], got ", p);
  // The builder's generator is for initial weights only and may not outlive the model.
  return {std::make_shared<nn::Dropout>(p), ctx.input_shape};
}

LayerResult build_gelu(const Options& o, const LayerContext& ctx) {
  const std::string approximate = o.get_string("approximate", "none");
  NABLA_CHECK(approximate == "none" || approximate == "tanh", ctx.where,
              ": approximate must be 'none' or 'tanh', got '", approximate, "'");
  return {std::make_shared<nn::GELU>(approximate), ctx.input_shape};
}

template <typename M>
LayerResult build_softmax_like(const Options& o, const LayerContext& ctx) {
  const int64_t dim = o.get_int("dim", 1);
  feature_dim(ctx, "dim", dim);
  return {std::make_shared<M>(dim), ctx.input_shape};
}


}  // namespace

int64_t feature_dim(const LayerContext& ctx, const std::string& option, int64_t dim) {
  const auto ndim = static_cast<int64_t>(ctx.input_shape.size()) + 1;
  NABLA_CHECK(dim >= -ndim && dim < ndim, ctx.where, ": ", option, " ", dim, " is out of range for input (N, ",
              ctx.input_shape, ") with ", ndim, " dims");
  const int64_t wrapped = dim < 0 ? dim + ndim : dim;
  NABLA_CHECK(wrapped >= 1, ctx.where, ": ", option, " ", dim, " is the batch dimension; use 1 or more");
  return wrapped;
}

std::map<std::string, LayerType> builtin_layer_types() {
  std::map<std::string, LayerType> types;
  types["flatten"] = {"nn.Flatten(start_dim, end_dim): merges dims (counted with the batch dim 0)",
                      {{"start_dim", "1", "first dim to merge (>= 1)"}, {"end_dim", "-1", "last dim to merge"}},
                      false,
                      build_flatten};
  types["linear"] = {"nn.Linear(in, out, bias): in is the last dim of its input",
                     {{"out", "number of outputs", "output features"},
                      {"bias", "true", "learn an additive bias"},
                      {"in", "(unchecked)", "the input features expected; another input size is an error"}},
                     false,
                     build_linear};
  types["dropout"] = {"nn.Dropout(p): zeroes elements with probability p while training",
                      {{"p", "0.5", "drop probability in [0, 1]"}},
                      false,
                      build_dropout};
  types["relu"] = plain<nn::ReLU>("nn.ReLU()");
  types["tanh"] = plain<nn::Tanh>("nn.Tanh()");
  types["sigmoid"] = plain<nn::Sigmoid>("nn.Sigmoid()");
  types["step"] = plain<nn::Step>("Heaviside step (no PyTorch equivalent; not trainable by gradients)");
  types["identity"] = plain<nn::Identity>("nn.Identity()");
  types["leaky_relu"] = {"nn.LeakyReLU(negative_slope)",
                         {{"negative_slope", "0.01", "slope for x < 0"}},
                         true,
                         [](const Options& o, const LayerContext& ctx) {
                           return LayerResult{std::make_shared<nn::LeakyReLU>(o.get_double("negative_slope", 0.01)),
                                              ctx.input_shape};
                         }};
  types["elu"] = {"nn.ELU(alpha)", {{"alpha", "1.0", "saturation value for x < 0"}}, true,
                  [](const Options& o, const LayerContext& ctx) {
                    return LayerResult{std::make_shared<nn::ELU>(o.get_double("alpha", 1.0)), ctx.input_shape};
                  }};
  types["gelu"] = {"nn.GELU(approximate)", {{"approximate", "none", "'none' (exact) or 'tanh'"}}, true, build_gelu};
  types["softplus"] = {"nn.Softplus(beta, threshold)",
                       {{"beta", "1", "sharpness"}, {"threshold", "20", "linear above beta*x > threshold"}},
                       true,
                       [](const Options& o, const LayerContext& ctx) {
                         return LayerResult{std::make_shared<nn::Softplus>(o.get_double("beta", 1.0),
                                                                           o.get_double("threshold", 20.0)),
                                            ctx.input_shape};
                       }};
  types["softmax"] = {"nn.Softmax(dim)", {{"dim", "1", "dim to normalise (>= 1)"}}, false,
                      build_softmax_like<nn::Softmax>};
  types["log_softmax"] = {"nn.LogSoftmax(dim)", {{"dim", "1", "dim to normalise (>= 1)"}}, false,
                          build_softmax_like<nn::LogSoftmax>};
  add_cnn_layer_types(types);
  return types;
}

}  // namespace nabla::io::detail
