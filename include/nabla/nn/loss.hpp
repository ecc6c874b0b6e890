// Loss functions (torch.nn.functional's *_loss) and the loss modules wrapping them. Every loss
// follows PyTorch: argument order, defaults, broadcasting, reductions, class weights, and edge
// cases (an empty batch gives NaN under Reduction::Mean, as torch's 0/0).
//
//   namespace F = nabla::nn::functional;
//   Tensor loss = F::cross_entropy(logits, labels);           // logits (N, C), labels (N) int64
//   Tensor soft = F::cross_entropy(logits, labels, {.label_smoothing = 0.1});
//   loss.backward();
//
// cross_entropy with class indices, nll_loss and multi_margin_loss are single fused ops (one
// forward and one backward kernel). binary_cross_entropy(_with_logits) and kl_div are fused
// elementwise kernels whose backward composes Tensor ops; the rest compose Tensor ops.
#pragma once

#include <nabla/nn/module.hpp>
#include <nabla/tensor.hpp>

#include <string>

namespace nabla::nn::functional {

/// How the per-element losses are combined (PyTorch's reduction='mean' | 'sum' | 'none').
/// BatchMean (sum divided by the batch size, input.size(0)) is only valid for kl_div, where it
/// gives the true KL divergence per sample; Mean there divides by every element, as torch does.
enum class Reduction { Mean, Sum, None, BatchMean };

/// "mean", "sum", "none" or "batchmean".
std::string reduction_name(Reduction reduction);

/// (input - target)^2 (torch.nn.functional.mse_loss). input and target broadcast together as in
/// PyTorch, so a (N, 1) prediction against a (N) target becomes (N, N): reshape first.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

/// |input - target| (torch.nn.functional.l1_loss); broadcasting as mse_loss. The gradient at
/// input == target is 0 (sign(0), as PyTorch).
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

/// -weight * (t log(p) + (1 - t) log(1 - p)) (torch.nn.functional.binary_cross_entropy), each log
/// clamped to >= -100 so p = 0 or 1 gives a finite loss. probs must lie in [0, 1] (checked) and
/// target must have probs' shape; weight (optional) broadcasts to it. The gradient w.r.t. probs is
/// PyTorch's weight * (p - t) / max(p (1 - p), 1e-12); target is differentiated too (unclamped
/// logs, as PyTorch); weight is not.
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, const Tensor& weight = Tensor(),
                            Reduction reduction = Reduction::Mean);

/// Sigmoid + binary cross-entropy in one stable expression
/// (torch.nn.functional.binary_cross_entropy_with_logits):
///   weight * [(1 - t) x + (1 + (pos_weight - 1) t) (max(-x, 0) + log(1 + exp(-|x|)))]
/// which is max(x, 0) - x t + log(1 + exp(-|x|)) without pos_weight: finite for any logit.
/// target has logits' shape; weight and pos_weight (the positive class's weight, usually one per
/// class along the last dimension) broadcast to it. Gradients flow to logits and target.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, const Tensor& weight = Tensor(),
                                        const Tensor& pos_weight = Tensor(), Reduction reduction = Reduction::Mean);

/// Options of cross_entropy and CrossEntropyLoss, with PyTorch's names and defaults.
struct CrossEntropyOptions {
  Tensor weight{};               // (C) rescaling weight per class (not differentiated); undefined for none
  int64_t ignore_index = -100;   // class-index targets equal to this contribute nothing
  Reduction reduction = Reduction::Mean;
  double label_smoothing = 0.0;  // in [0, 1]: the target becomes (1 - s) target + s / C
};

/// log_softmax + negative log-likelihood (torch.nn.functional.cross_entropy). logits are (N, C),
/// (N, C, d1, ...) or unbatched (C). target is either
///  - int64 class indices of shape (N) / (N, d1, ...) / (): every value must be in [0, C) or equal
///    ignore_index (checked; the error names the value and its position). With weights, Mean
///    divides by the summed weights of the non-ignored targets. A single fused op, stable for any
///    finite logits ([1e4, 0, -1e4] is exact).
///  - class probabilities, floating, of logits' shape: loss = -sum_c weight_c target_c
///    log_softmax_c; Mean divides by the number of rows (N * d1 * ...), weights or not, and
///    ignore_index must stay negative (PyTorch's rules). Gradients flow to the target too.
/// With label_smoothing s and class indices, the loss is (1 - s) nll + s / C * sum_c w_c (-log
/// softmax_c) per target (PyTorch's formula), with the same Mean denominator as the nll term.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& options = {});

/// -weight[y] * log_probs[y] per target (torch.nn.functional.nll_loss); shapes, ignore_index and
/// the weighted Mean as cross_entropy with class indices. A single fused op.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight = Tensor(),
                int64_t ignore_index = -100, Reduction reduction = Reduction::Mean);

/// max(0, 1 - y f(x)) per element, the SVM hinge loss, for labels y in {-1, +1} (any other target
/// value is an error naming it). scores and target must have the same shape. PyTorch has no
/// function with exactly this meaning (its hinge_embedding_loss differs); this equals
/// torch.clamp(1 - y * f, min=0) reduced, including the gradient at the kink y f = 1 (-y: clamp
/// passes the gradient at its bound).
Tensor hinge_loss(const Tensor& scores, const Tensor& target, Reduction reduction = Reduction::Mean);

/// Multi-class hinge loss (torch.nn.functional.multi_margin_loss): for input (N, C) or (C) and
/// int64 target (N) or (), sample i's loss is
///   sum_{j != y} weight[y] * max(0, margin - x[y] + x[j])^p / C,   p in {1, 2}.
/// Mean averages over samples. The gradient at the kink (margin - x[y] + x[j] == 0) is 0.
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p = 1, double margin = 1.0,
                         const Tensor& weight = Tensor(), Reduction reduction = Reduction::Mean);

/// Kullback-Leibler divergence with input given as log-probabilities
/// (torch.nn.functional.kl_div): target (log(target) - input), 0 where target == 0, or with
/// log_target exp(target) (target - input). input and target broadcast. Reduction::Mean divides
/// by the number of elements (as torch's 'mean'); Reduction::BatchMean by input.size(0), which is
/// the mathematical KL divergence averaged over the batch. The gradient w.r.t. a target of
/// exactly 0 is NaN without log_target, as in PyTorch.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
              bool log_target = false);

}  // namespace nabla::nn::functional

namespace nabla::nn {

using functional::CrossEntropyOptions;
using functional::Reduction;

/// The loss modules: each holds its options (class weights as buffers named "weight" and
/// "pos_weight", so state_dict() matches PyTorch's) and calls the functional form. They print
/// as PyTorch's do, e.g. "CrossEntropyLoss()". Options are validated at construction.
class Loss : public Module {
public:
  using Module::forward;
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
};

class MSELoss : public Loss {
public:
  using Loss::forward;
  explicit MSELoss(Reduction reduction = Reduction::Mean);
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string type_name() const override { return "MSELoss"; }
  Reduction reduction;
};

class L1Loss : public Loss {
public:
  using Loss::forward;
  explicit L1Loss(Reduction reduction = Reduction::Mean);
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string type_name() const override { return "L1Loss"; }
  Reduction reduction;
};

struct BCELossOptions {
  Tensor weight{};  // broadcast to the input's shape; undefined for none
  Reduction reduction = Reduction::Mean;
};

class BCELoss : public Loss {
public:
  using Loss::forward;
  explicit BCELoss(const BCELossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string type_name() const override { return "BCELoss"; }
  Tensor weight{};
  Reduction reduction;
};

struct BCEWithLogitsLossOptions {
  Tensor weight{};      // broadcast to the input's shape; undefined for none
  Reduction reduction = Reduction::Mean;
  Tensor pos_weight{};  // weight of positive examples, broadcast along the last dims; undefined for none
};

class BCEWithLogitsLoss : public Loss {
public:
  using Loss::forward;
  explicit BCEWithLogitsLoss(const BCEWithLogitsLossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string type_name() const override { return "BCEWithLogitsLoss"; }
  Tensor weight{};
  Tensor pos_weight{};
  Reduction reduction;
};

class CrossEntropyLoss : public Loss {
public:
  using Loss::forward;
  explicit CrossEntropyLoss(const CrossEntropyOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string type_name() const override { return "CrossEntropyLoss"; }
  CrossEntropyOptions options;  // options.weight shares data with the "weight" buffer
};

struct NLLLossOptions {
  Tensor weight{};  // (C); undefined for none
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};

class NLLLoss : public Loss {
public:
  using Loss::forward;
  explicit NLLLoss(const NLLLossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string type_name() const override { return "NLLLoss"; }
  NLLLossOptions options;
};

/// max(0, 1 - y f(x)) for y in {-1, +1}; see functional::hinge_loss (no PyTorch equivalent).
class HingeLoss : public Loss {
public:
  using Loss::forward;
  explicit HingeLoss(Reduction reduction = Reduction::Mean);
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string type_name() const override { return "HingeLoss"; }
  Reduction reduction;
};

struct MultiMarginLossOptions {
  int64_t p = 1;        // 1 or 2
  double margin = 1.0;
  Tensor weight{};        // (C); undefined for none
  Reduction reduction = Reduction::Mean;
};

class MultiMarginLoss : public Loss {
public:
  using Loss::forward;
  explicit MultiMarginLoss(const MultiMarginLossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string type_name() const override { return "MultiMarginLoss"; }
  MultiMarginLossOptions options;
};

struct KLDivLossOptions {
  Reduction reduction = Reduction::Mean;  // BatchMean gives the true KL divergence per sample
  bool log_target = false;
};

class KLDivLoss : public Loss {
public:
  using Loss::forward;
  explicit KLDivLoss(const KLDivLossOptions& options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string type_name() const override { return "KLDivLoss"; }
  KLDivLossOptions options;
};

}  // namespace nabla::nn
