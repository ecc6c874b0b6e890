// Classification metrics: accuracy and zero-one loss (sklearn.metrics' definitions). They read
// values only, return plain doubles and record nothing for autograd.
//
//   double acc = nn::accuracy(logits, labels);            // logits (N, C), labels (N) int64
//   double err = nn::binary_zero_one_loss(scores, y, 0.0);  // perceptron scores, y in {-1, +1}
#pragma once

#include <nabla/tensor.hpp>

namespace nabla::nn {

/// Fraction of samples whose predicted class equals the target (sklearn's accuracy_score).
/// `scores` is either (N, C) floating (logits, probabilities or any scores: the prediction is the
/// argmax over dim 1, the first one on ties) or already predicted labels, int64 of target's shape.
/// target is int64 (N) with values in [0, C) for (N, C) scores (checked, the error names the value
/// and its position). An empty batch gives NaN (0 / 0, as sklearn).
double accuracy(const Tensor& scores, const Tensor& target);

/// 1 - accuracy (normalize, sklearn's default), or the number of misclassified samples.
double zero_one_loss(const Tensor& scores, const Tensor& target, bool normalize = true);

/// Accuracy of binary predictions `scores > threshold` against labels in {0, 1} or in {-1, +1}
/// (all targets from one of the two sets, checked): a prediction above the threshold means label
/// 1 (or +1), otherwise 0 (or -1). scores and target have the same number of elements, so (N) and
/// (N, 1) mix freely. The default threshold 0.5 suits probabilities; use 0 for logits or for the
/// signed scores of a perceptron or SVM.
double binary_accuracy(const Tensor& scores, const Tensor& target, double threshold = 0.5);

/// 1 - binary_accuracy (normalize), or the number of misclassified samples.
double binary_zero_one_loss(const Tensor& scores, const Tensor& target, double threshold = 0.5,
                            bool normalize = true);

}  // namespace nabla::nn
