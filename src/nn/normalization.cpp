// nn::BatchNorm1d / BatchNorm2d / LayerNorm: options checked at construction, PyTorch's
// parameter and buffer names, the running-statistics bookkeeping of _BatchNorm.forward, and
// PyTorch's printed form. The arithmetic lives in functional_norm.cpp.
#include <nabla/autograd.hpp>
#include <nabla/nn/normalization.hpp>

#include "nn/repr.hpp"
#include "tensor/internal.hpp"

#include <algorithm>
#include <cmath>

namespace nabla::nn {

// ---- BatchNorm ----------------------------------------------------------------------------------

BatchNorm::BatchNorm(std::string name, std::vector<int64_t> ranks, int64_t num_features,
                     const BatchNormOptions& options)
    : num_features(num_features),
      eps(options.eps),
      momentum(options.momentum),
      affine(options.affine),
      track_running_stats(options.track_running_stats),
      name_(std::move(name)),
      ranks_(std::move(ranks)) {
  NABLA_CHECK(num_features > 0, name_, ": num_features must be positive, got ", num_features);
  NABLA_CHECK(std::isfinite(eps) && eps >= 0.0, name_, ": eps must be finite and non-negative, got ", eps);
  NABLA_CHECK(!momentum || (*momentum >= 0.0 && *momentum <= 1.0), name_, ": momentum must lie in [0, 1], got ",
              momentum.value_or(0.0));
  NABLA_CHECK(is_floating(options.dtype), name_, ": dtype must be float32 or float64, got ", options.dtype);
  if (affine) {
    weight = register_parameter("weight", ones({num_features}, options.dtype));
    bias = register_parameter("bias", zeros({num_features}, options.dtype));
  }
  if (track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}, options.dtype));
    running_var = register_buffer("running_var", ones({num_features}, options.dtype));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, DType::Int64));
  }
}

void BatchNorm::reset_running_stats() {
  if (!track_running_stats) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1.0);
  num_batches_tracked.zero_();
}

void BatchNorm::reset_parameters() {
  reset_running_stats();
  if (!affine) return;
  NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

Tensor BatchNorm::forward(const Tensor& input) { return run(input, /*relu=*/false); }

Tensor BatchNorm::forward_relu(const Tensor& input) { return run(input, /*relu=*/true); }

Tensor BatchNorm::run(const Tensor& input, bool relu) {
  detail::check_defined(name_.c_str(), input);
  if (std::find(ranks_.begin(), ranks_.end(), input.ndim()) == ranks_.end()) {
    std::string expected;  // "2-D or 3-D"
    for (size_t i = 0; i < ranks_.size(); ++i) expected += (i ? " or " : "") + std::to_string(ranks_[i]) + "-D";
    NABLA_FAIL(name_, ": expected ", expected, " input, got ", input.ndim(), "-D input of shape ", input.shape());
  }
  NABLA_CHECK(input.size(1) == num_features, to_string(), ": expected ", num_features,
              " channels in dim 1, got input of shape ", input.shape());
  // PyTorch's _BatchNorm.forward: count the batch, pick the averaging factor, and use the batch
  // statistics while training (or always, when no running statistics are kept).
  double factor = momentum.value_or(0.0);
  if (is_training() && track_running_stats) {
    {
      NoGradGuard no_grad;
      num_batches_tracked.add_(1.0);
    }
    if (!momentum) factor = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
  }
  const bool use_batch_stats = is_training() || !track_running_stats;
  const bool pass_running = !is_training() || track_running_stats;
  const auto op = relu ? functional::batch_norm_relu : functional::batch_norm;
  return op(input, pass_running ? running_mean : Tensor(), pass_running ? running_var : Tensor(), weight, bias,
            use_batch_stats, factor, eps);
}

std::string BatchNorm::extra_repr() const {
  return std::to_string(num_features) + ", eps=" + repr::python_float(eps) +
         ", momentum=" + (momentum ? repr::python_float(*momentum) : std::string("None")) +
         ", affine=" + repr::python_bool(affine) + ", track_running_stats=" + repr::python_bool(track_running_stats);
}

BatchNorm1d::BatchNorm1d(int64_t num_features, const BatchNormOptions& options)
    : BatchNorm("BatchNorm1d", {2, 3}, num_features, options) {}

BatchNorm2d::BatchNorm2d(int64_t num_features, const BatchNormOptions& options)
    : BatchNorm("BatchNorm2d", {4}, num_features, options) {}

// ---- LayerNorm ----------------------------------------------------------------------------------

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine, DType dtype)
    : normalized_shape(std::move(normalized_shape)), eps(eps), elementwise_affine(elementwise_affine) {
  const Shape& shape = this->normalized_shape;
  NABLA_CHECK(!shape.empty() && std::all_of(shape.begin(), shape.end(), [](int64_t s) { return s > 0; }),
              "LayerNorm: normalized_shape must be one or more positive sizes, got ", shape);
  NABLA_CHECK(std::isfinite(eps) && eps >= 0.0, "LayerNorm: eps must be finite and non-negative, got ", eps);
  NABLA_CHECK(is_floating(dtype), "LayerNorm: dtype must be float32 or float64, got ", dtype);
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(shape, dtype));
    bias = register_parameter("bias", zeros(shape, dtype));
  }
}

void LayerNorm::reset_parameters() {
  if (!elementwise_affine) return;
  NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

Tensor LayerNorm::forward(const Tensor& input) {
  return functional::layer_norm(input, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  // Python's tuple repr: "(10,)" for one size, "(3, 4)" for more.
  std::string shape = "(";
  for (size_t i = 0; i < normalized_shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(normalized_shape[i]);
  shape += normalized_shape.size() == 1 ? ",)" : ")";
  return shape + ", eps=" + repr::python_float(eps) + ", elementwise_affine=" + repr::python_bool(elementwise_affine);
}

}  // namespace nabla::nn
