// accuracy and zero-one loss, for multi-class scores (argmax) and binary thresholded scores.
#include <nabla/nn/metrics.hpp>

#include "nn/loss_common.hpp"

#include <limits>

namespace nabla::nn {
namespace {

// Number of samples whose prediction matches the target, and the number of samples.
struct Count {
  int64_t correct = 0;
  int64_t total = 0;
};

Count count_multiclass(const char* op, const Tensor& scores, const Tensor& target) {
  NABLA_CHECK(scores.defined() && target.defined(), op, ": scores and target must be defined");
  NABLA_CHECK(target.dtype() == DType::Int64, op, ": target must hold int64 class indices, got ", target.dtype(),
              " of shape ", target.shape());
  Tensor predicted;
  if (scores.dtype() == DType::Int64) {
    NABLA_CHECK(scores.shape() == target.shape(), op, ": predicted labels of shape ", scores.shape(),
                " must have the target's shape ", target.shape());
    predicted = scores.contiguous();
  } else {
    NABLA_CHECK(is_floating(scores.dtype()) && scores.ndim() == 2, op,
                ": expected (N, C) floating scores or int64 predicted labels, got ", scores.dtype(), " of shape ",
                scores.shape());
    NABLA_CHECK(target.shape() == Shape{scores.size(0)}, op, ": expected a target of shape ", Shape{scores.size(0)},
                " for scores of shape ", scores.shape(), ", got ", target.shape());
    loss_detail::check_class_targets(op, target, scores.size(1), std::nullopt);
    if (scores.size(0) == 0) return {};
    predicted = scores.detach().argmax(1).contiguous();
  }
  const Tensor y = target.contiguous();
  const int64_t* p = predicted.data_ptr<int64_t>();
  const int64_t* t = y.data_ptr<int64_t>();
  Count count{0, y.numel()};
  for (int64_t i = 0; i < count.total; ++i) count.correct += p[i] == t[i];
  return count;
}

Count count_binary(const char* op, const Tensor& scores, const Tensor& target, double threshold) {
  NABLA_CHECK(scores.defined() && target.defined(), op, ": scores and target must be defined");
  NABLA_CHECK(scores.numel() == target.numel(), op, ": scores of shape ", scores.shape(), " and target of shape ",
              target.shape(), " must have the same number of elements");
  const std::vector<double> s = scores.detach().to_vector<double>();
  const std::vector<double> t = target.detach().to_vector<double>();
  // The negative label: 0 for {0, 1} targets, -1 for {-1, +1}; a mix of 0 and -1 is an error.
  double negative = 0;
  bool seen_negative = false;
  for (size_t i = 0; i < t.size(); ++i) {
    const double v = t[i];
    NABLA_CHECK(v == 1.0 || v == 0.0 || v == -1.0, op, ": target values must be in {0, 1} or {-1, +1}, got ", v,
                " at position ", loss_detail::unravel(static_cast<int64_t>(i), target.shape()));
    if (v == 1.0) continue;
    NABLA_CHECK(!seen_negative || v == negative, op, ": target mixes the labels ", negative, " and ", v,
                " (position ", loss_detail::unravel(static_cast<int64_t>(i), target.shape()),
                "); use {0, 1} or {-1, +1}");
    negative = v;
    seen_negative = true;
  }
  Count count{0, static_cast<int64_t>(t.size())};
  for (size_t i = 0; i < t.size(); ++i) count.correct += (s[i] > threshold ? 1.0 : negative) == t[i];
  return count;
}

double fraction(const Count& c) {
  return c.total == 0 ? std::numeric_limits<double>::quiet_NaN()
                      : static_cast<double>(c.correct) / static_cast<double>(c.total);
}

double errors(const Count& c, bool normalize) {
  return normalize ? 1.0 - fraction(c) : static_cast<double>(c.total - c.correct);
}

}  // namespace

double accuracy(const Tensor& scores, const Tensor& target) {
  return fraction(count_multiclass("accuracy", scores, target));
}

double zero_one_loss(const Tensor& scores, const Tensor& target, bool normalize) {
  return errors(count_multiclass("zero_one_loss", scores, target), normalize);
}

double binary_accuracy(const Tensor& scores, const Tensor& target, double threshold) {
  return fraction(count_binary("binary_accuracy", scores, target, threshold));
}

double binary_zero_one_loss(const Tensor& scores, const Tensor& target, double threshold, bool normalize) {
  return errors(count_binary("binary_zero_one_loss", scores, target, threshold), normalize);
}

}  // namespace nabla::nn
