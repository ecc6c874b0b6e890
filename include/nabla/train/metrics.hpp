// Evaluation metrics (sklearn.metrics' definitions) and evaluate(), which runs a model over a
// loader and reports them: accuracy, top-k accuracy, the confusion matrix and per-class
// precision / recall / F1 for classification; MSE, MAE and R² for regression.
//
//   auto ce = [](const Tensor& logits, const Tensor& y) { return nn::functional::cross_entropy(logits, y); };
//   train::Evaluation e = train::evaluate(*model, test_loader, {.loss = ce});
//   std::cout << e.accuracy << " " << e.report.macro_f1 << "\n" << e.confusion << "\n";
#pragma once

#include <nabla/data/dataset.hpp>
#include <nabla/nn/metrics.hpp>
#include <nabla/nn/module.hpp>
#include <nabla/tensor.hpp>

#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace nabla::train {

/// Classification: the model outputs (N, C) scores (logits) and targets are int64 class indices
/// (N). Regression: outputs and targets are floating with the same number of elements per
/// example. Auto decides from the first batch's targets: int64 means classification.
enum class Task { Auto, Classification, Regression };

/// "auto", "classification" or "regression".
std::string task_name(Task task);
/// `task`, or for Task::Auto the task implied by a batch's targets (int64 → classification).
Task resolve_task(Task task, const Tensor& target);

/// The loss the training loop minimises: (model output, target) → a one-element tensor, the
/// batch mean, e.g. a lambda calling nn::functional::cross_entropy (fit() also takes an nn::Loss).
using LossFn = std::function<Tensor(const Tensor& output, const Tensor& target)>;

// ---- classification ------------------------------------------------------------------------
/// Fraction of correct argmax predictions (nn::accuracy, re-exported here).
using nn::accuracy;

/// Fraction of samples whose target is among the k highest-scoring classes
/// (sklearn.metrics.top_k_accuracy_score). Classes are ranked by score, ties broken towards the
/// lower class index (as argmax), so k = 1 is accuracy(). scores (N, C) floating, target (N)
/// int64 in [0, C); k >= 1 (k >= C gives 1). An empty batch gives NaN.
double top_k_accuracy(const Tensor& scores, const Tensor& target, int64_t k);

/// C×C int64 counts, rows the true class and columns the predicted one
/// (sklearn.metrics.confusion_matrix with labels 0..C-1). `predicted` is (N, C) scores (argmax
/// taken) or int64 labels of target's shape. num_classes = -1 takes C from the scores, or
/// 1 + the largest label seen when both are labels. Every label must be in [0, C) (checked).
Tensor confusion_matrix(const Tensor& predicted, const Tensor& target, int64_t num_classes = -1);

/// Per-class precision, recall and F1 with their macro (unweighted) averages over all C
/// classes, from a confusion matrix (sklearn.metrics.precision_recall_fscore_support with
/// zero_division=0): a class never predicted has precision 0, a class that never occurs has
/// recall 0, and F1 is 0 when precision + recall is 0. support[c] counts the true examples of c.
struct ClassReport {
  std::vector<double> precision, recall, f1;
  std::vector<int64_t> support;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
};
ClassReport classification_report(const Tensor& confusion);

// ---- regression ------------------------------------------------------------------------------
// prediction and target: floating, the same number of elements; (N) and (N, 1) mix freely, and
// (N, D) is D outputs. An empty input gives NaN.

/// Mean squared error over all elements (sklearn.metrics.mean_squared_error).
double mean_squared_error(const Tensor& prediction, const Tensor& target);
/// Mean absolute error over all elements (sklearn.metrics.mean_absolute_error).
double mean_absolute_error(const Tensor& prediction, const Tensor& target);
/// Coefficient of determination 1 - SS_res / SS_tot per output column, averaged over the
/// columns (sklearn.metrics.r2_score, multioutput='uniform_average'). A constant target column
/// scores 1 when predicted exactly and 0 otherwise (sklearn's force_finite).
double r2_score(const Tensor& prediction, const Tensor& target);

// ---- evaluate ----------------------------------------------------------------------------------
struct EvaluateOptions {
  Task task = Task::Auto;
  LossFn loss{};      // optional: Evaluation::loss is NaN without it
  int64_t top_k = 5;  // the k of Evaluation::top_k_accuracy
};

/// What evaluate() measured; fields of the other task are NaN (or empty).
struct Evaluation {
  Task task = Task::Auto;
  int64_t samples = 0;
  double loss = std::numeric_limits<double>::quiet_NaN();  // per-sample mean of the batch losses
  // classification
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  int64_t top_k = 0;
  double top_k_accuracy = std::numeric_limits<double>::quiet_NaN();
  Tensor confusion{};  // C×C int64, rows true, columns predicted
  Tensor predicted{};  // (N,) int64: each example's predicted class (argmax of its outputs), in loader order
  ClassReport report{};
  // regression
  double mse = std::numeric_limits<double>::quiet_NaN();
  double mae = std::numeric_limits<double>::quiet_NaN();
  double r2 = std::numeric_limits<double>::quiet_NaN();
};

/// Runs `model` over every batch of `loader` under NoGradGuard in eval mode (the model's
/// previous training mode is restored afterwards, also on error) and computes the metrics of
/// the task over all examples. The loss is the batch losses weighted by batch size.
Evaluation evaluate(nn::Module& model, data::DataLoader& loader, const EvaluateOptions& options = {});
inline Evaluation evaluate(nn::Module& model, data::DataLoader& loader, Task task) {
  return evaluate(model, loader, EvaluateOptions{.task = task});
}

}  // namespace nabla::train
