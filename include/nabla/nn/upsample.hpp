// Resampling of image batches: functional::interpolate and nn::Upsample (nearest and bilinear,
// as torch.nn.functional.interpolate computes them on the CPU, index rules included), e.g. the
// decoder half of a U-Net or a feature pyramid:
//
//   namespace F = nabla::nn::functional;
//   Tensor up = F::interpolate(x, {.scale_factor = {2.0}, .mode = "bilinear", .align_corners = false});
//   nn::Upsample to_28({.size = {28, 28}});                         // nearest by default
#pragma once

#include <nabla/nn/module.hpp>

#include <optional>
#include <string>
#include <vector>

namespace nabla::nn {

namespace functional {

/// Options of interpolate and Upsample, with PyTorch's names. Give exactly one of size and
/// scale_factor, each as one value (used for both H and W) or two (H, W).
struct InterpolateOptions {
  std::vector<int64_t> size{};           // output (H, W), each > 0
  std::vector<double> scale_factor{};    // output = floor(input * scale), each scale > 0
  std::string mode = "nearest";          // "nearest" or "bilinear"
  std::optional<bool> align_corners{};   // bilinear only (unset means false); must stay unset for nearest
};

/// torch.nn.functional.interpolate for (N, C, H, W) float input, differentiable w.r.t. the input.
///  - nearest: output pixel (oh, ow) copies input (floor(oh * s_h), floor(ow * s_w)) (clamped),
///    with s = 1 / scale_factor when a scale factor was given and in / out otherwise.
///  - bilinear, align_corners false: source coordinate (o + 0.5) * s - 0.5 (negative ones
///    clamped to 0), s as for nearest; align_corners true: o * (in - 1) / (out - 1), so the corner
///    pixels of input and output coincide. The value mixes the two neighbours along each axis.
/// An axis whose output size equals its input size is copied unchanged (as PyTorch).
Tensor interpolate(const Tensor& input, const InterpolateOptions& options);

}  // namespace functional

using UpsampleOptions = functional::InterpolateOptions;

/// torch.nn.Upsample: functional::interpolate with fixed options, checked at construction.
/// Prints as PyTorch does: "Upsample(scale_factor=2.0, mode=nearest)", "Upsample(size=(5, 7),
/// mode=bilinear)".
class Upsample : public Module {
public:
  explicit Upsample(UpsampleOptions options);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Upsample"; }
  std::string extra_repr() const override;

  UpsampleOptions options;
};

}  // namespace nabla::nn
