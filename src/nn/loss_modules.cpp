// The loss modules: options validated at construction, weights registered as buffers under
// PyTorch's names, forward delegating to nn::functional.
#include "nn/loss_common.hpp"

namespace nabla::nn {

namespace F = functional;
using loss_detail::check_reduction;

namespace {

// Registers an optional weight buffer (PyTorch registers none for an undefined weight).
Tensor optional_buffer(Module& module, const char* name, const Tensor& value) {
  return value.defined() ? module.register_buffer(name, value) : Tensor();
}

// Class weights must be one value per class: 1-D and floating.
void check_class_weight_option(const char* loss, const Tensor& weight) {
  if (!weight.defined()) return;
  NABLA_CHECK(weight.ndim() == 1 && is_floating(weight.dtype()), loss,
              ": weight must be a 1-D floating tensor with one value per class, got ", weight.dtype(), " of shape ",
              weight.shape());
}

}  // namespace

MSELoss::MSELoss(Reduction reduction) : reduction(reduction) { check_reduction("MSELoss", reduction); }

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) { return F::mse_loss(input, target, reduction); }

L1Loss::L1Loss(Reduction reduction) : reduction(reduction) { check_reduction("L1Loss", reduction); }

Tensor L1Loss::forward(const Tensor& input, const Tensor& target) { return F::l1_loss(input, target, reduction); }

BCELoss::BCELoss(const BCELossOptions& options) : reduction(options.reduction) {
  check_reduction("BCELoss", reduction);
  weight = optional_buffer(*this, "weight", options.weight);
}

Tensor BCELoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy(input, target, weight, reduction);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(const BCEWithLogitsLossOptions& options) : reduction(options.reduction) {
  check_reduction("BCEWithLogitsLoss", reduction);
  weight = optional_buffer(*this, "weight", options.weight);
  pos_weight = optional_buffer(*this, "pos_weight", options.pos_weight);
}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction);
}

CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyOptions& options) : options(options) {
  check_reduction("CrossEntropyLoss", options.reduction);
  NABLA_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0,
              "CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got ", options.label_smoothing);
  check_class_weight_option("CrossEntropyLoss", options.weight);
  this->options.weight = optional_buffer(*this, "weight", options.weight);
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return F::cross_entropy(input, target, options);
}

NLLLoss::NLLLoss(const NLLLossOptions& options) : options(options) {
  check_reduction("NLLLoss", options.reduction);
  check_class_weight_option("NLLLoss", options.weight);
  this->options.weight = optional_buffer(*this, "weight", options.weight);
}

Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
  return F::nll_loss(input, target, options.weight, options.ignore_index, options.reduction);
}

HingeLoss::HingeLoss(Reduction reduction) : reduction(reduction) { check_reduction("HingeLoss", reduction); }

Tensor HingeLoss::forward(const Tensor& input, const Tensor& target) {
  return F::hinge_loss(input, target, reduction);
}

MultiMarginLoss::MultiMarginLoss(const MultiMarginLossOptions& options) : options(options) {
  check_reduction("MultiMarginLoss", options.reduction);
  NABLA_CHECK(options.p == 1 || options.p == 2, "MultiMarginLoss: only p == 1 and p == 2 are supported, got p = ",
              options.p);
  check_class_weight_option("MultiMarginLoss", options.weight);
  this->options.weight = optional_buffer(*this, "weight", options.weight);
}

Tensor MultiMarginLoss::forward(const Tensor& input, const Tensor& target) {
  return F::multi_margin_loss(input, target, options.p, options.margin, options.weight, options.reduction);
}

KLDivLoss::KLDivLoss(const KLDivLossOptions& options) : options(options) {}

Tensor KLDivLoss::forward(const Tensor& input, const Tensor& target) {
  return F::kl_div(input, target, options.reduction, options.log_target);
}

}  // namespace nabla::nn
