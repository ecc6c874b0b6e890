// Normalisation layers: nn::BatchNorm1d, nn::BatchNorm2d and nn::LayerNorm, with PyTorch's
// parameters, buffers, names, defaults and printed form, so state dicts (num_batches_tracked
// included) move between nabla and PyTorch unchanged.
//
//   auto bn = std::make_shared<nn::BatchNorm2d>(64);                      // after a 64-channel conv
//   auto bn_cma = nn::BatchNorm1d(128, {.momentum = std::nullopt});      // cumulative average
//   bn->eval();                                                          // use running statistics
#pragma once

#include <nabla/nn/module.hpp>
#include <nabla/nn/norm_functional.hpp>

#include <optional>
#include <string>

namespace nabla::nn {

/// Options of BatchNorm1d / BatchNorm2d, with PyTorch's names and defaults.
struct BatchNormOptions {
  double eps = 1e-5;                     // added to the variance before the square root (>= 0)
  std::optional<double> momentum = 0.1;  // running-statistics factor in [0, 1]; nullopt: cumulative average
  bool affine = true;                    // learnable per-channel weight (1) and bias (0)
  bool track_running_stats = true;       // keep running_mean / running_var / num_batches_tracked
  DType dtype = DType::Float32;          // of the parameters and running statistics (PyTorch's dtype=)
};

/// What BatchNorm1d and BatchNorm2d share (PyTorch's _BatchNorm): parameters "weight" and "bias"
/// (C) when affine; buffers "running_mean" (zeros), "running_var" (ones) and
/// "num_batches_tracked" (0-D int64) when tracking running statistics.
///
/// forward, in training mode: normalises with the batch statistics and, when tracking, adds one
/// to num_batches_tracked and updates the running statistics with factor momentum (or
/// 1 / num_batches_tracked when momentum is nullopt), using the batch's unbiased variance. In
/// eval mode it normalises with the running statistics (with the batch's when not tracking).
class BatchNorm : public Module {
public:
  Tensor forward(const Tensor& input) override;
  /// relu(forward(input)) as one op (functional::batch_norm_relu), bit-identical to the two.
  Tensor forward_relu(const Tensor& input);
  std::string type_name() const override { return name_; }
  /// "6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True"
  std::string extra_repr() const override;

  /// running_mean = 0, running_var = 1, num_batches_tracked = 0.
  void reset_running_stats();
  /// reset_running_stats(), weight = 1, bias = 0.
  void reset_parameters();

  int64_t num_features;
  double eps;
  std::optional<double> momentum;
  bool affine;
  bool track_running_stats;
  Tensor weight;               // (C), undefined unless affine
  Tensor bias;                 // (C), undefined unless affine
  Tensor running_mean;         // (C), undefined unless track_running_stats
  Tensor running_var;          // (C), undefined unless track_running_stats
  Tensor num_batches_tracked;  // 0-D int64, undefined unless track_running_stats

protected:
  /// `name` is the class name; `ranks` lists the input ranks accepted (e.g. {2, 3}).
  BatchNorm(std::string name, std::vector<int64_t> ranks, int64_t num_features, const BatchNormOptions& options);

private:
  Tensor run(const Tensor& input, bool relu);

  std::string name_;
  std::vector<int64_t> ranks_;
};

/// torch.nn.BatchNorm1d: input (N, C) or (N, C, L), statistics over N (and L) per channel.
class BatchNorm1d : public BatchNorm {
public:
  explicit BatchNorm1d(int64_t num_features, const BatchNormOptions& options = {});
};

/// torch.nn.BatchNorm2d: input (N, C, H, W), statistics over N, H and W per channel.
class BatchNorm2d : public BatchNorm {
public:
  explicit BatchNorm2d(int64_t num_features, const BatchNormOptions& options = {});
};

/// torch.nn.LayerNorm: normalises each input over its trailing dims `normalized_shape` (see
/// functional::layer_norm); parameters "weight" (ones) and "bias" (zeros) of that shape when
/// elementwise_affine. Same behaviour in training and eval mode.
class LayerNorm : public Module {
public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                     DType dtype = DType::Float32);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "LayerNorm"; }
  /// "(10,), eps=1e-05, elementwise_affine=True"
  std::string extra_repr() const override;
  /// weight = 1, bias = 0.
  void reset_parameters();

  Shape normalized_shape;
  double eps;
  bool elementwise_affine;
  Tensor weight;  // normalized_shape, undefined unless elementwise_affine
  Tensor bias;    // normalized_shape, undefined unless elementwise_affine
};

}  // namespace nabla::nn
