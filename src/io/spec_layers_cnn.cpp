// The spatial layer types of model specs: convolutions, pooling, normalisation, resampling,
// unflatten, residual blocks and U-Net. Each builder also says how its output positions map
// onto its input's (the windows that give receptive fields); see spec_layers.cpp for the rest.
#include <nabla/nn/basic.hpp>
#include <nabla/nn/cnn.hpp>
#include <nabla/nn/norm_all.hpp>

#include "io/spec_internal.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace nabla::io::detail {
namespace {

// ---- convolutional layers -------------------------------------------------------------------

// "H, W" for 2 spatial dims: how the messages name an input's dims.
std::string spatial_names(size_t dims) {
  return dims == 1 ? "L" : dims == 2 ? "H, W" : "D, H, W";
}

// Refuses an input per example that is not (C, spatial...) with `dims` spatial dims.
void check_image(const LayerContext& ctx, const std::string& type, size_t dims) {
  const Shape& in = ctx.input_shape;
  if (in.size() == dims + 1) return;
  NABLA_FAIL(ctx.where, ": ", type, " needs (C, ", spatial_names(dims), ") per example, got ", in, " (",
             in.size(), in.size() == 1 ? " dim" : " dims", ")",
             in.size() == 1 ? "; for flat data start the model with {\"type\": \"unflatten\", \"sizes\": [C, " +
                                  spatial_names(dims) + "]}"
                            : "");
}

// A size option given as one number for every spatial dim or one per dim ("kernel": 3 or [3, 5]),
// kept in the form given (modules print it so, as PyTorch's do).
template <size_t D>
nn::ExpandingArray<D> sizes(const Options& o, const LayerContext& ctx, const std::string& key,
                            std::optional<int64_t> fallback, int64_t minimum) {
  const std::vector<int64_t> given = fallback ? o.get_ints(key, std::vector<int64_t>{*fallback}) : o.get_ints(key);
  NABLA_CHECK(given.size() == 1 || given.size() == D, ctx.where, ": option '", key, "' must be one size or ", D,
              " (one per spatial dim), got ", given);
  for (int64_t v : given) {
    NABLA_CHECK(v >= minimum, ctx.where, ": option '", key, "' must be ", minimum == 0 ? "non-negative" : "positive",
                ", got ", given);
    NABLA_CHECK(v <= kMaxSpecSize, ctx.where, ": option '", key, "' ", given, " is above the limit of ", kMaxSpecSize);
  }
  if (given.size() == 1) return nn::ExpandingArray<D>(given[0]);
  std::array<int64_t, D> values{};
  std::copy(given.begin(), given.end(), values.begin());
  return nn::ExpandingArray<D>(values);
}

template <size_t D>
std::vector<int64_t> as_vector(const nn::ExpandingArray<D>& a) {
  return {a.values.begin(), a.values.end()};
}

// One output size of a sliding window: floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1,
// or PyTorch's ceil_mode rule for pooling (the last window must start inside the input or its
// left padding). At least one window must fit.
int64_t window_output(const LayerContext& ctx, size_t d, int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                      int64_t dilation, bool ceil_mode = false) {
  const int64_t room = in + 2 * pad - dilation * (kernel - 1) - 1;
  NABLA_CHECK(room >= 0, ctx.where, ": the window (kernel ", kernel, ", dilation ", dilation, ") spans ",
              dilation * (kernel - 1) + 1, " pixels but spatial dim ", d, " of the input ", ctx.input_shape,
              " has only ", in + 2 * pad, " with padding ", pad);
  int64_t out = (room + (ceil_mode ? stride - 1 : 0)) / stride + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// Weights of a convolution: out x (in / groups) x kernel, plus the bias; an invalid `groups` is
// left to the module to refuse.
template <size_t D>
double conv_parameters(int64_t in, int64_t out, int64_t groups, const nn::ExpandingArray<D>& kernel, bool bias) {
  double count = static_cast<double>(out) * static_cast<double>(in / std::max<int64_t>(groups, 1));
  for (int64_t k : kernel.values) count *= static_cast<double>(k);
  return count + (bias ? static_cast<double>(out) : 0.0);
}

template <size_t D>
LayerResult build_conv(const Options& o, const LayerContext& ctx) {
  const std::string type = "conv" + std::to_string(D) + "d";
  check_image(ctx, type, D);
  const int64_t in = ctx.input_shape[0], out = o.get_int("out");
  const auto kernel = sizes<D>(o, ctx, "kernel", std::nullopt, 1);
  const auto stride = sizes<D>(o, ctx, "stride", 1, 1), dilation = sizes<D>(o, ctx, "dilation", 1, 1);
  nn::ConvOptions<D> options{.in_channels = in, .out_channels = out, .kernel_size = kernel, .stride = stride,
                             .dilation = dilation, .groups = o.get_int("groups", 1), .bias = o.get_bool("bias", true)};
  nn::ExpandingArray<D> pad = 0;
  if (o.has("padding") && std::holds_alternative<std::string>(o.values().at("padding"))) {
    options.padding = nn::ConvPadding<D>(o.get_string("padding"));
  } else {
    pad = sizes<D>(o, ctx, "padding", 0, 0);
    options.padding = pad;
  }
  check_parameters(ctx, conv_parameters<D>(in, out, options.groups, kernel, options.bias));
  auto module = std::make_shared<nn::ConvNd<D>>(options, ctx.generator);  // checks out, groups, "same" + stride
  Shape shape = {out};
  for (size_t d = 0; d < D; ++d) {
    const int64_t size = ctx.input_shape[d + 1];
    shape.push_back(options.padding.mode == nn::ConvPaddingMode::Same
                        ? size
                        : window_output(ctx, d, size, kernel[d], stride[d], pad[d], dilation[d]));
  }
  return {module, shape, SpatialMap::Windows, {{as_vector(kernel), as_vector(stride), as_vector(dilation)}}};
}

template <size_t D>
LayerResult build_conv_transpose(const Options& o, const LayerContext& ctx) {
  check_image(ctx, "conv_transpose" + std::to_string(D) + "d", D);
  const int64_t in = ctx.input_shape[0], out = o.get_int("out");
  const auto kernel = sizes<D>(o, ctx, "kernel", std::nullopt, 1);
  const auto stride = sizes<D>(o, ctx, "stride", 1, 1), dilation = sizes<D>(o, ctx, "dilation", 1, 1);
  const auto pad = sizes<D>(o, ctx, "padding", 0, 0), output_pad = sizes<D>(o, ctx, "output_padding", 0, 0);
  const nn::ConvTransposeOptions<D> options{
      .in_channels = in, .out_channels = out, .kernel_size = kernel, .stride = stride, .padding = pad,
      .output_padding = output_pad, .groups = o.get_int("groups", 1), .bias = o.get_bool("bias", true),
      .dilation = dilation};
  check_parameters(ctx, conv_parameters<D>(out, in, options.groups, kernel, false) + (options.bias ? out : 0));
  auto module = std::make_shared<nn::ConvTransposeNd<D>>(options, ctx.generator);
  Shape shape = {out};
  for (size_t d = 0; d < D; ++d) {
    const int64_t size =
        (ctx.input_shape[d + 1] - 1) * stride[d] - 2 * pad[d] + dilation[d] * (kernel[d] - 1) + output_pad[d] + 1;
    NABLA_CHECK(size >= 1, ctx.where, ": the output would have size ", size, " in spatial dim ", d, " for input ",
                ctx.input_shape, "; reduce the padding ", pad[d]);
    shape.push_back(size);
  }
  return {module, shape, SpatialMap::Windows, {{as_vector(kernel), as_vector(stride), as_vector(dilation), true}}};
}

// maxpool / avgpool: kernel, stride (the kernel by default), padding, ceil_mode, and dilation
// (max) or count_include_pad (avg).
template <size_t D, bool Max>
LayerResult build_pool(const Options& o, const LayerContext& ctx) {
  check_image(ctx, std::string(Max ? "maxpool" : "avgpool") + std::to_string(D) + "d", D);
  const auto kernel = sizes<D>(o, ctx, "kernel", std::nullopt, 1);
  const auto stride = o.has("stride") ? sizes<D>(o, ctx, "stride", std::nullopt, 1) : kernel;
  const auto pad = sizes<D>(o, ctx, "padding", 0, 0);
  const nn::ExpandingArray<D> dilation = Max ? sizes<D>(o, ctx, "dilation", 1, 1) : nn::ExpandingArray<D>(1);
  const bool ceil_mode = o.get_bool("ceil_mode", false);
  std::shared_ptr<nn::Module> module;  // its constructor checks the padding (at most half the kernel)
  if constexpr (Max)
    module = std::make_shared<nn::MaxPoolNd<D>>(nn::MaxPoolOptions<D>{
        .kernel_size = kernel, .stride = stride, .padding = pad, .dilation = dilation,
        .ceil_mode = ceil_mode});
  else
    module = std::make_shared<nn::AvgPoolNd<D>>(nn::AvgPoolOptions<D>{
        .kernel_size = kernel, .stride = stride, .padding = pad, .ceil_mode = ceil_mode,
        .count_include_pad = o.get_bool("count_include_pad", true)});
  Shape shape = {ctx.input_shape[0]};
  for (size_t d = 0; d < D; ++d)
    shape.push_back(
        window_output(ctx, d, ctx.input_shape[d + 1], kernel[d], stride[d], pad[d], dilation[d], ceil_mode));
  return {module, shape, SpatialMap::Windows, {{as_vector(kernel), as_vector(stride), as_vector(dilation)}}};
}

template <size_t D>
LayerResult build_adaptive_avgpool(const Options& o, const LayerContext& ctx) {
  check_image(ctx, "adaptive_avgpool" + std::to_string(D) + "d", D);
  const nn::ExpandingArray<D> size = sizes<D>(o, ctx, "size", 1, 1);
  Shape shape = {ctx.input_shape[0]};
  shape.insert(shape.end(), size.values.begin(), size.values.end());
  std::array<std::optional<int64_t>, D> output_size;
  std::copy(size.values.begin(), size.values.end(), output_size.begin());
  nn::ExpandingArrayWithOptionalElem<D> arg(output_size);
  arg.scalar = size.scalar;
  // Adaptive windows differ in size from pixel to pixel: no single receptive field.
  return {std::make_shared<nn::AdaptiveAvgPoolNd<D>>(arg), shape, SpatialMap::Global};
}

// Global average pooling to (C): AdaptiveAvgPoolNd(1) then Flatten, as one child.
LayerResult build_global_avgpool(const Options&, const LayerContext& ctx) {
  const size_t dims = ctx.input_shape.size() - 1;
  NABLA_CHECK(dims >= 1 && dims <= 3, ctx.where, ": global_avgpool needs (C, L), (C, H, W) or (C, D, H, W) per "
              "example, got ", ctx.input_shape);
  auto seq = std::make_shared<nn::Sequential>();
  if (dims == 1) seq->push_back(std::make_shared<nn::AdaptiveAvgPool1d>(1));
  if (dims == 2) seq->push_back(std::make_shared<nn::AdaptiveAvgPool2d>(1));
  if (dims == 3) seq->push_back(std::make_shared<nn::AdaptiveAvgPool3d>(1));
  seq->push_back(std::make_shared<nn::Flatten>());
  return {seq, {ctx.input_shape[0]}, SpatialMap::Global};
}

nn::BatchNormOptions batch_norm_options(const Options& o, const LayerContext& ctx) {
  const double momentum = o.get_double("momentum", 0.1);
  NABLA_CHECK(momentum >= 0.0 && momentum <= 1.0, ctx.where, ": momentum must be in [0, 1], got ", momentum);
  check_parameters(ctx, 2.0 * static_cast<double>(ctx.input_shape[0]));  // weight and bias
  return {.eps = o.get_double("eps", 1e-5), .momentum = momentum};
}

LayerResult build_batchnorm1d(const Options& o, const LayerContext& ctx) {
  const size_t n = ctx.input_shape.size();
  NABLA_CHECK(n == 1 || n == 2, ctx.where, ": batchnorm1d needs (C) or (C, L) per example, got ", ctx.input_shape);
  return {std::make_shared<nn::BatchNorm1d>(ctx.input_shape[0], batch_norm_options(o, ctx)), ctx.input_shape};
}

LayerResult build_batchnorm2d(const Options& o, const LayerContext& ctx) {
  check_image(ctx, "batchnorm2d", 2);
  return {std::make_shared<nn::BatchNorm2d>(ctx.input_shape[0], batch_norm_options(o, ctx)), ctx.input_shape};
}

// LayerNorm over the last `dims` dims of the example (PyTorch's normalized_shape).
LayerResult build_layernorm(const Options& o, const LayerContext& ctx) {
  const int64_t dims = o.get_int("dims", 1), n = static_cast<int64_t>(ctx.input_shape.size());
  NABLA_CHECK(dims >= 1 && dims <= n, ctx.where, ": dims must be in [1, ", n, "] for input ", ctx.input_shape,
              ", got ", dims);
  const Shape normalized(ctx.input_shape.end() - dims, ctx.input_shape.end());
  const double eps = o.get_double("eps", 1e-5);
  check_parameters(ctx, 2.0 * static_cast<double>(shape_numel(normalized)));
  return {std::make_shared<nn::LayerNorm>(normalized, eps, o.get_bool("elementwise_affine", true)), ctx.input_shape};
}

LayerResult build_dropout2d(const Options& o, const LayerContext& ctx) {
  check_image(ctx, "dropout2d", 2);
  const double p = o.get_double("p", 0.5);
  NABLA_CHECK(p >= 0.0 && p <= 1.0, ctx.where, ": p must be in [0, 1], got ", p);
  return {std::make_shared<nn::Dropout2d>(p), ctx.input_shape};
}

// Upsample by `scale` or to `size`; an integer scale is a transposed window for receptive fields
// (nearest: each output pixel copies one input pixel; bilinear: it mixes two per dim).
LayerResult build_upsample(const Options& o, const LayerContext& ctx) {
  check_image(ctx, "upsample", 2);
  nn::UpsampleOptions options{.mode = o.get_string("mode", "nearest")};
  NABLA_CHECK(options.mode == "nearest" || options.mode == "bilinear", ctx.where,
              ": mode must be 'nearest' or 'bilinear', got '", options.mode, "'");
  NABLA_CHECK(!(o.has("size") && o.has("scale")), ctx.where, ": give 'scale' or 'size', not both");
  Shape shape = {ctx.input_shape[0]};
  if (o.has("size")) {
    options.size = as_vector(sizes<2>(o, ctx, "size", std::nullopt, 1));
    shape.insert(shape.end(), options.size.begin(), options.size.end());
  } else {
    const double scale = o.get_double("scale", 2.0);
    NABLA_CHECK(scale > 0.0, ctx.where, ": scale must be positive, got ", scale);
    options.scale_factor = {scale};
    for (size_t d = 1; d <= 2; ++d) {
      const double size = std::floor(static_cast<double>(ctx.input_shape[d]) * scale);
      NABLA_CHECK(size >= 1, ctx.where, ": scale ", scale, " leaves no pixels of input ", ctx.input_shape);
      NABLA_CHECK(size <= static_cast<double>(kMaxSpecValues), ctx.where, ": scale ", scale, " makes ", size,
                  " pixels of input ", ctx.input_shape, ", more than the limit of ", kMaxSpecValues);
      shape.push_back(static_cast<int64_t>(size));
    }
  }
  auto module = std::make_shared<nn::Upsample>(options);
  const double scale = options.scale_factor.empty() ? 0.0 : options.scale_factor[0];
  if (scale < 1.0 || scale != std::floor(scale)) return {module, shape, SpatialMap::Global};
  const auto s = static_cast<int64_t>(scale);
  const int64_t k = options.mode == "nearest" || s == 1 ? s : s + 1;  // scale 1 copies
  return {module, shape, SpatialMap::Windows, {{{k, k}, {s, s}, {1, 1}, true}}};
}

// nn.Unflatten(dim, sizes); from a flat example it starts a new image (receptive field 1).
LayerResult build_unflatten(const Options& o, const LayerContext& ctx) {
  const int64_t dim = feature_dim(ctx, "dim", o.get_int("dim", 1));
  const std::vector<int64_t> sizes_given = o.get_ints("sizes");
  double held = 1;  // in double: absurd sizes must not overflow
  for (int64_t s : sizes_given) {
    NABLA_CHECK(s > 0, ctx.where, ": sizes must be positive, got ", sizes_given);
    held *= static_cast<double>(s);
  }
  const auto at = static_cast<size_t>(dim - 1);
  NABLA_CHECK(static_cast<double>(ctx.input_shape[at]) == held, ctx.where, ": dim ", dim, " of the input ",
              ctx.input_shape, " has ", ctx.input_shape[at], " values but sizes ", sizes_given, " hold ", held);
  Shape shape(ctx.input_shape.begin(), ctx.input_shape.begin() + static_cast<std::ptrdiff_t>(at));
  shape.insert(shape.end(), sizes_given.begin(), sizes_given.end());
  shape.insert(shape.end(), ctx.input_shape.begin() + static_cast<std::ptrdiff_t>(at) + 1, ctx.input_shape.end());
  const SpatialMap map = ctx.input_shape.size() == 1 ? SpatialMap::Restart : SpatialMap::Global;
  return {std::make_shared<nn::Unflatten>(dim, sizes_given), shape, map};
}

// torchvision's BasicBlock; its receptive field is its body's: conv3x3(stride), conv3x3.
LayerResult build_basic_block(const Options& o, const LayerContext& ctx) {
  check_image(ctx, "basic_block", 2);
  const int64_t in = ctx.input_shape[0], out = o.get_int("out", in), stride = o.get_int("stride", 1);
  NABLA_CHECK(out > 0 && stride > 0, ctx.where, ": out and stride must be positive, got ", out, " and ", stride);
  const double i = static_cast<double>(in), w = static_cast<double>(out);
  check_parameters(ctx, 9 * i * w + 9 * w * w + 4 * w + (in != out || stride != 1 ? i * w + 2 * w : 0.0));
  const Shape shape = {out, (ctx.input_shape[1] - 1) / stride + 1, (ctx.input_shape[2] - 1) / stride + 1};
  const Window first{{3, 3}, {stride, stride}, {1, 1}}, second{{3, 3}, {1, 1}, {1, 1}};
  return {std::make_shared<nn::BasicBlock>(in, out, stride, ctx.generator), shape, SpatialMap::Windows,
          {first, second}};
}

// The U-Net as one layer; its largest receptive field is the path through the bottleneck.
LayerResult build_unet(const Options& o, const LayerContext& ctx) {
  check_image(ctx, "unet", 2);
  const nn::UNetOptions options{.in_channels = ctx.input_shape[0], .out_channels = o.get_int("out", 1),
                                .width = o.get_int("width", 16), .depth = o.get_int("depth", 2),
                                .batch_norm = o.get_bool("batch_norm", true)};
  if (options.depth >= 1 && options.depth <= 8) {  // else nn::UNet refuses it
    // Its widest convolutions: the bottleneck's second one and the last decoder's first.
    const double bottom = static_cast<double>(options.width) * std::pow(2.0, static_cast<double>(options.depth));
    check_parameters(ctx, 9 * bottom * bottom + static_cast<double>(options.width) * options.out_channels);
  }
  auto module = std::make_shared<nn::UNet>(options, ctx.generator);
  const int64_t multiple = int64_t{1} << options.depth;
  NABLA_CHECK(ctx.input_shape[1] % multiple == 0 && ctx.input_shape[2] % multiple == 0, ctx.where,
              ": unet needs height and width divisible by 2^depth = ", multiple, " (depth ", options.depth,
              "), got input ", ctx.input_shape);
  const Shape shape = {options.out_channels, ctx.input_shape[1], ctx.input_shape[2]};
  NABLA_CHECK(ctx.num_outputs == 0 || shape_numel(shape) == ctx.num_outputs, ctx.where,
              ": unet maps an image to an image, ", shape, " (", shape_numel(shape),
              " values) per example, but the data has ", ctx.num_outputs,
              " outputs per example; it needs image targets (e.g. class labels cannot train it)");
  const Window conv{{3, 3}, {1, 1}, {1, 1}}, down{{2, 2}, {2, 2}, {1, 1}}, up{{2, 2}, {2, 2}, {1, 1}, true};
  std::vector<Window> path;
  for (int64_t level = 0; level < options.depth; ++level) path.insert(path.end(), {conv, conv, down});
  path.insert(path.end(), {conv, conv});
  for (int64_t level = 0; level < options.depth; ++level) path.insert(path.end(), {up, conv, conv});
  path.push_back({{1, 1}, {1, 1}, {1, 1}});
  return {module, shape, SpatialMap::Windows, path};
}

// The options of the convolution and pooling layers, shared by their 1-, 2- and 3-d types.
const std::vector<OptionInfo>& conv_options() {
  static const std::vector<OptionInfo> options = {
      {"out", "", "output channels"},
      {"kernel", "", "kernel size: one number or one per spatial dim"},
      {"stride", "1", "step: one number or one per dim"},
      {"padding", "0", "zeros added on both sides: sizes, \"same\" (stride 1) or \"valid\""},
      {"dilation", "1", "spacing of the kernel's taps"},
      {"groups", "1", "channel groups (divides the input and output channels)"},
      {"bias", "true", "learn an additive bias per output channel"}};
  return options;
}

const std::vector<OptionInfo>& conv_transpose_options() {
  static const std::vector<OptionInfo> options = {
      {"out", "", "output channels"},
      {"kernel", "", "kernel size: one number or one per spatial dim"},
      {"stride", "1", "step (the upsampling factor)"},
      {"padding", "0", "removed from both sides of the output"},
      {"output_padding", "0", "added to one side of the output (smaller than stride or dilation)"},
      {"dilation", "1", "spacing of the kernel's taps"},
      {"groups", "1", "channel groups"},
      {"bias", "true", "learn an additive bias per output channel"}};
  return options;
}

std::vector<OptionInfo> pool_options(bool max) {
  std::vector<OptionInfo> options = {{"kernel", "", "window size: one number or one per spatial dim"},
                                     {"stride", "kernel", "step"},
                                     {"padding", "0", "at most half the kernel (max: -inf, avg: zeros)"},
                                     {"ceil_mode", "false", "round the output size up"}};
  if (max) options.push_back({"dilation", "1", "spacing of the window's taps"});
  else options.push_back({"count_include_pad", "true", "count the padding in each window's divisor"});
  return options;
}

const std::vector<OptionInfo>& batch_norm_option_info() {
  static const std::vector<OptionInfo> options = {{"eps", "1e-5", "added to the variance"},
                                                  {"momentum", "0.1", "running-statistics factor in [0, 1]"}};
  return options;
}

}  // namespace

void add_cnn_layer_types(std::map<std::string, LayerType>& types) {
  const std::array<std::string, 3> d = {"1d", "2d", "3d"};
  const std::array<std::function<LayerResult(const Options&, const LayerContext&)>, 3> conv = {
      build_conv<1>, build_conv<2>, build_conv<3>};
  const std::array<std::function<LayerResult(const Options&, const LayerContext&)>, 3> maxpool = {
      build_pool<1, true>, build_pool<2, true>, build_pool<3, true>};
  const std::array<std::function<LayerResult(const Options&, const LayerContext&)>, 3> avgpool = {
      build_pool<1, false>, build_pool<2, false>, build_pool<3, false>};
  const std::array<std::function<LayerResult(const Options&, const LayerContext&)>, 3> adaptive = {
      build_adaptive_avgpool<1>, build_adaptive_avgpool<2>, build_adaptive_avgpool<3>};
  for (size_t i = 0; i < 3; ++i) {
    const std::string input = "(C, " + spatial_names(i + 1) + ")";
    types["conv" + d[i]] = {"nn.Conv" + d[i] + "(in, out, kernel, stride, padding, dilation, groups, bias) on " +
                                input + "; in = C",
                            conv_options(), false, conv[i]};
    types["maxpool" + d[i]] = {"nn.MaxPool" + d[i] + "(kernel, stride, padding, dilation, ceil_mode) on " + input,
                               pool_options(true), false, maxpool[i]};
    types["avgpool" + d[i]] = {"nn.AvgPool" + d[i] + "(kernel, stride, padding, ceil_mode, count_include_pad) on " +
                                   input,
                               pool_options(false), false, avgpool[i]};
    types["adaptive_avgpool" + d[i]] = {"nn.AdaptiveAvgPool" + d[i] + "(size) on " + input,
                                        {{"size", "1", "output size: one number or one per spatial dim"}}, false,
                                        adaptive[i]};
  }
  types["conv_transpose1d"] = {"nn.ConvTranspose1d(in, out, kernel, stride, padding, output_padding, groups, bias, "
                               "dilation) on (C, L)",
                               conv_transpose_options(), false, build_conv_transpose<1>};
  types["conv_transpose2d"] = {"nn.ConvTranspose2d(...) on (C, H, W)", conv_transpose_options(), false,
                               build_conv_transpose<2>};
  types["conv_transpose3d"] = {"nn.ConvTranspose3d(...) on (C, D, H, W)", conv_transpose_options(), false,
                               build_conv_transpose<3>};
  types["global_avgpool"] = {"nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()) (1d/3d alike): (C, ...) -> (C)",
                             {}, false, build_global_avgpool};
  types["batchnorm1d"] = {"nn.BatchNorm1d(C, eps, momentum) on (C) or (C, L)", batch_norm_option_info(), false,
                          build_batchnorm1d};
  types["batchnorm2d"] = {"nn.BatchNorm2d(C, eps, momentum) on (C, H, W)", batch_norm_option_info(), false,
                          build_batchnorm2d};
  types["layernorm"] = {"nn.LayerNorm(the last `dims` dims of the input, eps, elementwise_affine)",
                        {{"dims", "1", "how many trailing dims to normalise over"},
                         {"eps", "1e-5", "added to the variance"},
                         {"elementwise_affine", "true", "learn a weight and bias per normalised element"}},
                        false,
                        build_layernorm};
  types["dropout2d"] = {"nn.Dropout2d(p): zeroes whole channels of (C, H, W) with probability p while training",
                        {{"p", "0.5", "drop probability in [0, 1]"}}, false, build_dropout2d};
  types["upsample"] = {"nn.Upsample(size or scale_factor, mode) on (C, H, W)",
                       {{"scale", "2", "scale factor (output = floor(input * scale))"},
                        {"size", "", "output size (H, W) instead of a scale"},
                        {"mode", "nearest", "'nearest' or 'bilinear'"}},
                       false,
                       build_upsample};
  types["unflatten"] = {"nn.Unflatten(dim, sizes): one dim becomes several, e.g. 784 -> (1, 28, 28)",
                        {{"sizes", "", "the new dims, e.g. [1, 28, 28]"}, {"dim", "1", "the dim to split (>= 1)"}},
                        false,
                        build_unflatten};
  types["basic_block"] = {"torchvision's ResNet BasicBlock(in, out, stride) on (C, H, W): two conv3x3 + batch norms, "
                          "identity or 1x1-conv projection shortcut",
                          {{"out", "C (the input's channels)", "output channels"},
                           {"stride", "1", "stride of the first conv (2 halves H and W)"}},
                          false,
                          build_basic_block};
  types["unet"] = {"U-Net (nabla::nn::UNet) on (C, H, W) -> (out, H, W); H, W divisible by 2^depth",
                   {{"out", "1", "output channels"},
                    {"width", "16", "channels at full resolution (doubled per level)"},
                    {"depth", "2", "number of 2x downsamplings"},
                    {"batch_norm", "true", "BatchNorm2d after every 3x3 conv"}},
                   false,
                   build_unet};
}

}  // namespace nabla::io::detail
