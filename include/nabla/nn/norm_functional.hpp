// Functional forms of the normalisation layers (torch.nn.functional.batch_norm / layer_norm).
// Each is one recorded op with a fused forward kernel and a hand-written backward, float32 or
// float64; statistics accumulate in double, one channel (or row) per thread in a fixed order,
// so results are identical for any thread count.
//
//   namespace F = nabla::nn::functional;
//   Tensor y = F::batch_norm(x, running_mean, running_var, gamma, beta, /*training=*/true);
//   Tensor z = F::layer_norm(h, {512}, ln_weight, ln_bias);  // h (B, T, 512)
#pragma once

#include <nabla/tensor.hpp>

namespace nabla::nn::functional {

/// torch.nn.functional.batch_norm over (N, C, *) input (at least 2-D): each channel c is
/// normalised by the mean and biased variance of x[:, c, ...] (training), or by
/// running_mean[c] and running_var[c] (not training), then scaled by weight[c] and shifted by
/// bias[c] (weight and bias may be undefined: 1 and 0).
///
/// In training, when running_mean / running_var are defined they are updated in place (no graph)
/// as PyTorch does: running = (1 - momentum) * running + momentum * batch, with the batch's
/// UNBIASED variance. Training needs more than one value per channel (N * prod(*) > 1). Not
/// training, both running statistics are required. Gradients flow to input, weight and bias.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                  double momentum = 0.1, double eps = 1e-5);

/// relu(batch_norm(...)) as one op: the ReLU applied in batch norm's output pass and its gradient
/// mask in batch norm's backward passes, which saves the ReLU's own pass over the data each way.
/// Outputs, running statistics and gradients are bit-identical to the two ops'. BasicBlock and
/// Sequential (a BatchNorm followed by a ReLU) use it.
Tensor batch_norm_relu(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                       const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                       double momentum = 0.1, double eps = 1e-5);

/// torch.nn.functional.layer_norm: normalises over the trailing dims given by `normalized_shape`
/// (the input's last dims must equal it), with each row's mean and biased variance, then
/// y = x_hat * weight + bias elementwise, weight and bias shaped `normalized_shape` (or undefined).
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace nabla::nn::functional
