// Classification and regression metrics over whole tensors (sklearn.metrics' definitions),
// computed in double precision in a fixed order.
#include <nabla/train/metrics.hpp>

#include <cmath>
#include <limits>

namespace nabla::train {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Throws unless every label lies in [0, classes), naming `what`, the value and its position.
void check_labels(const char* op, const char* what, const std::vector<int64_t>& labels, int64_t classes) {
  for (size_t i = 0; i < labels.size(); ++i)
    NABLA_CHECK(labels[i] >= 0 && labels[i] < classes, op, ": ", what, " ", labels[i], " at position ", i,
                " is not a class index in [0, ", classes, ")");
}

void check_int64_target(const char* op, const Tensor& target) {
  NABLA_CHECK(target.defined() && target.dtype() == DType::Int64 && target.ndim() == 1, op,
              ": expected an int64 target of shape (N), got ",
              target.defined() ? detail::str(target.dtype(), " of shape ", target.shape()) : std::string("undefined"));
}

// (N, C) floating scores: checks the shapes against an (N) target.
void check_scores(const char* op, const Tensor& scores, const Tensor& target) {
  NABLA_CHECK(scores.defined() && is_floating(scores.dtype()) && scores.ndim() == 2, op,
              ": expected (N, C) floating scores, got ",
              scores.defined() ? detail::str(scores.dtype(), " of shape ", scores.shape()) : std::string("undefined"));
  check_int64_target(op, target);
  NABLA_CHECK(target.size(0) == scores.size(0), op, ": scores of shape ", scores.shape(),
              " and target of shape ", target.shape(), " disagree on N");
}

// Prediction and target as (N, D) double rows, checked to be floating with equal sizes.
struct Columns {
  std::vector<double> p, t;
  int64_t rows = 0, cols = 1;
};

Columns regression_columns(const char* op, const Tensor& prediction, const Tensor& target) {
  NABLA_CHECK(prediction.defined() && target.defined(), op, ": prediction and target must be defined");
  NABLA_CHECK(is_floating(prediction.dtype()) && is_floating(target.dtype()), op,
              ": expected floating prediction and target, got ", prediction.dtype(), " and ", target.dtype());
  NABLA_CHECK(prediction.numel() == target.numel(), op, ": prediction of shape ", prediction.shape(),
              " and target of shape ", target.shape(), " must have the same number of elements");
  Columns c;
  c.p = prediction.detach().to_vector<double>();
  c.t = target.detach().to_vector<double>();
  // (N, D) with D > 1 (in either tensor) is D outputs; everything else is one column.
  const Tensor& shaped = prediction.ndim() == 2 ? prediction : target;
  c.cols = shaped.ndim() == 2 ? std::max<int64_t>(shaped.size(1), 1) : 1;
  c.rows = static_cast<int64_t>(c.p.size()) / c.cols;
  return c;
}

}  // namespace

std::string task_name(Task task) {
  switch (task) {
    case Task::Auto: return "auto";
    case Task::Classification: return "classification";
    case Task::Regression: return "regression";
  }
  return "?";
}

Task resolve_task(Task task, const Tensor& target) {
  if (task != Task::Auto) return task;
  NABLA_CHECK(target.defined(), "resolve_task: the batch has no targets, so the task cannot be inferred");
  return target.dtype() == DType::Int64 ? Task::Classification : Task::Regression;
}

double top_k_accuracy(const Tensor& scores, const Tensor& target, int64_t k) {
  check_scores("top_k_accuracy", scores, target);
  NABLA_CHECK(k >= 1, "top_k_accuracy: k must be at least 1, got ", k);
  const int64_t n = scores.size(0), classes = scores.size(1);
  const std::vector<int64_t> labels = target.to_vector<int64_t>();
  check_labels("top_k_accuracy", "target", labels, classes);
  if (n == 0) return kNaN;
  const std::vector<double> s = scores.detach().to_vector<double>();
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double* row = s.data() + i * classes;
    const int64_t y = labels[static_cast<size_t>(i)];
    // The target's rank: classes scoring higher, or equal with a lower index (argmax's order).
    int64_t rank = 0;
    for (int64_t c = 0; c < classes; ++c) rank += row[c] > row[y] || (row[c] == row[y] && c < y);
    hits += rank < k;
  }
  return static_cast<double>(hits) / static_cast<double>(n);
}

Tensor confusion_matrix(const Tensor& predicted, const Tensor& target, int64_t num_classes) {
  const char* op = "confusion_matrix";
  check_int64_target(op, target);
  NABLA_CHECK(predicted.defined(), op, ": predicted must be defined");
  std::vector<int64_t> pred;
  if (predicted.dtype() == DType::Int64) {
    NABLA_CHECK(predicted.shape() == target.shape(), op, ": predicted labels of shape ", predicted.shape(),
                " must have the target's shape ", target.shape());
    pred = predicted.to_vector<int64_t>();
  } else {
    check_scores(op, predicted, target);
    NABLA_CHECK(num_classes == -1 || num_classes == predicted.size(1), op, ": num_classes ", num_classes,
                " does not match scores of shape ", predicted.shape());
    num_classes = predicted.size(1);
    if (predicted.size(0) > 0) pred = predicted.detach().argmax(1).to_vector<int64_t>();
  }
  const std::vector<int64_t> truth = target.to_vector<int64_t>();
  if (num_classes == -1) {
    num_classes = 0;
    for (int64_t v : truth) num_classes = std::max(num_classes, v + 1);
    for (int64_t v : pred) num_classes = std::max(num_classes, v + 1);
  }
  NABLA_CHECK(num_classes >= 0, op, ": num_classes must be -1 (infer) or non-negative, got ", num_classes);
  check_labels(op, "target", truth, num_classes);
  check_labels(op, "predicted label", pred, num_classes);
  Tensor out = zeros({num_classes, num_classes}, DType::Int64);
  int64_t* m = out.data_ptr<int64_t>();
  for (size_t i = 0; i < truth.size(); ++i) ++m[truth[i] * num_classes + pred[i]];
  return out;
}

ClassReport classification_report(const Tensor& confusion) {
  NABLA_CHECK(confusion.defined() && confusion.dtype() == DType::Int64 && confusion.ndim() == 2 &&
                  confusion.size(0) == confusion.size(1),
              "classification_report: expected a C×C int64 confusion matrix, got ",
              confusion.defined() ? detail::str(confusion.dtype(), " of shape ", confusion.shape())
                                  : std::string("undefined"));
  const int64_t classes = confusion.size(0);
  const std::vector<int64_t> m = confusion.to_vector<int64_t>();
  auto ratio = [](int64_t a, int64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); };
  ClassReport r;
  for (int64_t c = 0; c < classes; ++c) {
    int64_t predicted = 0, actual = 0;
    for (int64_t k = 0; k < classes; ++k) {
      predicted += m[k * classes + c];
      actual += m[c * classes + k];
    }
    const int64_t tp = m[c * classes + c];
    const double p = ratio(tp, predicted), rec = ratio(tp, actual);
    r.precision.push_back(p);
    r.recall.push_back(rec);
    r.f1.push_back(p + rec == 0 ? 0.0 : 2 * p * rec / (p + rec));
    r.support.push_back(actual);
  }
  auto mean = [&](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return classes == 0 ? kNaN : sum / static_cast<double>(classes);
  };
  r.macro_precision = mean(r.precision);
  r.macro_recall = mean(r.recall);
  r.macro_f1 = mean(r.f1);
  return r;
}

double mean_squared_error(const Tensor& prediction, const Tensor& target) {
  const Columns c = regression_columns("mean_squared_error", prediction, target);
  if (c.p.empty()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < c.p.size(); ++i) sum += (c.p[i] - c.t[i]) * (c.p[i] - c.t[i]);
  return sum / static_cast<double>(c.p.size());
}

double mean_absolute_error(const Tensor& prediction, const Tensor& target) {
  const Columns c = regression_columns("mean_absolute_error", prediction, target);
  if (c.p.empty()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < c.p.size(); ++i) sum += std::abs(c.p[i] - c.t[i]);
  return sum / static_cast<double>(c.p.size());
}

double r2_score(const Tensor& prediction, const Tensor& target) {
  const Columns c = regression_columns("r2_score", prediction, target);
  if (c.rows == 0) return kNaN;
  double total = 0;
  for (int64_t j = 0; j < c.cols; ++j) {
    double mean = 0;
    for (int64_t i = 0; i < c.rows; ++i) mean += c.t[static_cast<size_t>(i * c.cols + j)];
    mean /= static_cast<double>(c.rows);
    double ss_res = 0, ss_tot = 0;
    for (int64_t i = 0; i < c.rows; ++i) {
      const size_t k = static_cast<size_t>(i * c.cols + j);
      ss_res += (c.t[k] - c.p[k]) * (c.t[k] - c.p[k]);
      ss_tot += (c.t[k] - mean) * (c.t[k] - mean);
    }
    total += ss_tot == 0 ? (ss_res == 0 ? 1.0 : 0.0) : 1.0 - ss_res / ss_tot;
  }
  return total / static_cast<double>(c.cols);
}

}  // namespace nabla::train
