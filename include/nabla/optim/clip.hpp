// Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_: call between
// loss.backward() and optimizer.step().
//
//   loss.backward();
//   optim::clip_grad_norm_(model->parameters(), /*max_norm=*/1.0);
//   optimizer.step();
#pragma once

#include <nabla/tensor.hpp>

#include <vector>

namespace nabla::optim {

/// Scales the gradients of `params` in place so that their total `norm_type`-norm (all
/// gradients taken as one vector) is at most max_norm: each is multiplied by
/// min(1, max_norm / (total_norm + 1e-6)). norm_type may be any p (0 counts non-zeros) or
/// +/-infinity (std::numeric_limits<double>::infinity()). Parameters without a gradient are
/// skipped. Returns the total norm before clipping as a 0-d tensor of the gradients' dtype
/// (0-d float32 zero when there are none). With error_if_nonfinite a NaN or infinite total norm
/// is an Error instead of being applied.
Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient of `params` to [-clip_value, clip_value] in place.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace nabla::optim
