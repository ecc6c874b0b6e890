// McCulloch-Pitts units, the perceptron learning rule and the delta rule, on plain loops:
// these models are about the rule, so the rule is written out where a student can read it.
#include <nabla/nn/classic.hpp>

#include <cmath>

namespace nabla::nn {

McCullochPitts::McCullochPitts(int64_t threshold, std::vector<bool> inhibitory)
    : threshold_(threshold), inhibitory_(std::move(inhibitory)) {
  NABLA_CHECK(threshold >= 0, "McCullochPitts: threshold must be non-negative, got ", threshold);
  NABLA_CHECK(!inhibitory_.empty(), "McCullochPitts: needs at least one input");
}

int McCullochPitts::fire(const std::vector<int>& inputs) const {
  NABLA_CHECK(inputs.size() == inhibitory_.size(), "McCullochPitts: expected ", inhibitory_.size(), " inputs, got ",
              inputs.size());
  int64_t active = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    NABLA_CHECK(inputs[i] == 0 || inputs[i] == 1, "McCullochPitts: inputs are binary, got ", inputs[i], " at input ",
                i);
    if (inputs[i] == 1 && inhibitory_[i]) return 0;  // absolute inhibition
    active += inputs[i];
  }
  return active >= threshold_ ? 1 : 0;
}

Tensor McCullochPitts::forward(const Tensor& inputs) const {
  NABLA_CHECK(inputs.ndim() == 2 && inputs.size(1) == static_cast<int64_t>(num_inputs()),
              "McCullochPitts: expected inputs of shape (N, ", num_inputs(), "), got ", inputs.shape());
  const int64_t n = inputs.size(0);
  const std::vector<double> x = inputs.to(float64).to_vector<double>();
  std::vector<double> out(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    std::vector<int> row(num_inputs());
    for (size_t i = 0; i < num_inputs(); ++i) {
      const double v = x[static_cast<size_t>(r) * num_inputs() + i];
      NABLA_CHECK(v == 0.0 || v == 1.0, "McCullochPitts: inputs are binary, got ", v, " at row ", r, ", input ", i);
      row[i] = static_cast<int>(v);
    }
    out[static_cast<size_t>(r)] = fire(row);
  }
  return tensor(out, {n}, float64).to(is_floating(inputs.dtype()) ? inputs.dtype() : float32);
}

Perceptron::Perceptron(int64_t in_features) : in_features_(in_features) {
  NABLA_CHECK(in_features > 0, "Perceptron: in_features must be positive, got ", in_features);
  w_ = zeros({in_features + 1}, float64);
}

Tensor Perceptron::augment(const Tensor& X) const {
  NABLA_CHECK(X.ndim() == 2 && X.size(1) == in_features_, "Perceptron: expected inputs of shape (N, ", in_features_,
              "), got ", X.shape());
  return cat({ones({X.size(0), 1}, float64), X.to(float64)}, 1).contiguous();
}

PerceptronResult Perceptron::fit(const Tensor& X, const Tensor& y, const PerceptronOptions& options) {
  NABLA_CHECK(options.max_epochs > 0, "Perceptron::fit: max_epochs must be positive, got ", options.max_epochs);
  NABLA_CHECK(options.lr > 0, "Perceptron::fit: lr must be positive, got ", options.lr);
  const Tensor A = augment(X);
  const int64_t n = A.size(0), d = A.size(1);
  NABLA_CHECK(y.numel() == n, "Perceptron::fit: ", n, " inputs but ", y.numel(), " labels (shape ", y.shape(), ")");
  const std::vector<double> labels = y.to(float64).to_vector<double>();
  for (int64_t i = 0; i < n; ++i)
    NABLA_CHECK(labels[static_cast<size_t>(i)] == 1.0 || labels[static_cast<size_t>(i)] == -1.0,
                "Perceptron::fit: labels must be -1 or +1, got ", labels[static_cast<size_t>(i)], " at row ", i);
  const double* a = A.data_ptr<double>();
  double* w = w_.data_ptr<double>();
  PerceptronResult result;
  while (result.epochs < options.max_epochs) {
    ++result.epochs;
    int64_t mistakes = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double* x = a + i * d;
      double score = 0;
      for (int64_t j = 0; j < d; ++j) score += w[j] * x[j];
      const double label = labels[static_cast<size_t>(i)];
      if (label * score <= 0) {  // wrong side, or on the boundary
        for (int64_t j = 0; j < d; ++j) w[j] += options.lr * label * x[j];
        ++mistakes;
      }
    }
    result.updates += mistakes;
    if (mistakes == 0) {
      result.converged = true;
      break;
    }
  }
  return result;
}

std::vector<double> Perceptron::fit_delta(const Tensor& X, const Tensor& d_target, double lr, int64_t epochs) {
  NABLA_CHECK(lr > 0, "Perceptron::fit_delta: lr must be positive, got ", lr);
  const Tensor A = augment(X);
  const int64_t n = A.size(0), d = A.size(1);
  NABLA_CHECK(d_target.numel() == n, "Perceptron::fit_delta: ", n, " inputs but ", d_target.numel(), " targets");
  const std::vector<double> target = d_target.to(float64).to_vector<double>();
  const double* a = A.data_ptr<double>();
  double* w = w_.data_ptr<double>();
  std::vector<double> mse;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    for (int64_t i = 0; i < n; ++i) {
      const double* x = a + i * d;
      double y = 0;
      for (int64_t j = 0; j < d; ++j) y += w[j] * x[j];
      const double err = target[static_cast<size_t>(i)] - y;
      for (int64_t j = 0; j < d; ++j) w[j] += lr * err * x[j];
    }
    double sq = 0;
    for (int64_t i = 0; i < n; ++i) {
      double y = 0;
      for (int64_t j = 0; j < d; ++j) y += w[j] * a[i * d + j];
      sq += (target[static_cast<size_t>(i)] - y) * (target[static_cast<size_t>(i)] - y);
    }
    NABLA_CHECK(std::isfinite(sq), "Perceptron::fit_delta: diverged at epoch ", epoch, " (lr ", lr,
                " is too large for this data; try a smaller rate)");
    mse.push_back(sq / static_cast<double>(n));
  }
  return mse;
}

Tensor Perceptron::decision_function(const Tensor& X) const {
  return augment(X).matmul(w_);
}

Tensor Perceptron::predict(const Tensor& X) const {
  Tensor s = decision_function(X);
  return s.gt(0.0) * 2.0 - 1.0;
}

}  // namespace nabla::nn
