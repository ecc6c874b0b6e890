// The classic neuron models of the lectures, before gradient descent took over:
// the McCulloch-Pitts threshold unit and Rosenblatt's perceptron with its learning rule,
// plus the Widrow-Hoff delta rule. They work on plain tensors; nothing here needs autograd.
#pragma once

#include <nabla/tensor.hpp>

#include <vector>

namespace nabla::nn {

/// McCulloch-Pitts neuron (1943): binary inputs, a threshold θ, and inhibitory inputs.
/// Output 1 iff no inhibitory input is active and the number of active excitatory inputs
/// is at least θ; otherwise 0 (absolute inhibition).
class McCullochPitts {
public:
  /// `inhibitory[i]` marks input i as inhibitory; its size is the number of inputs.
  McCullochPitts(int64_t threshold, std::vector<bool> inhibitory);
  /// Output for one input pattern of 0/1 values.
  int fire(const std::vector<int>& inputs) const;
  /// Outputs for a batch (N, d) of 0/1 values: an (N,) tensor of 0/1 (input's dtype).
  Tensor forward(const Tensor& inputs) const;

  int64_t threshold() const { return threshold_; }
  size_t num_inputs() const { return inhibitory_.size(); }

  // The logic gates of the lectures built from single units.
  static McCullochPitts AND(size_t n = 2) { return {static_cast<int64_t>(n), std::vector<bool>(n, false)}; }
  static McCullochPitts OR(size_t n = 2) { return {1, std::vector<bool>(n, false)}; }
  /// NOT x: threshold 0 with x inhibitory.
  static McCullochPitts NOT() { return {0, {true}}; }
  /// x1 AND NOT x2: threshold 1, x2 inhibitory.
  static McCullochPitts AND_NOT() { return {1, {false, true}}; }

private:
  int64_t threshold_;
  std::vector<bool> inhibitory_;
};

struct PerceptronOptions {
  int64_t max_epochs = 1000;  // stop after this many passes even without convergence
  double lr = 1.0;            // Rosenblatt's rule uses 1; any positive rate gives the same mistakes from w = 0
};

struct PerceptronResult {
  bool converged = false;  // an epoch passed without mistakes
  int64_t epochs = 0;      // passes over the data
  int64_t updates = 0;     // mistakes corrected, the quantity bounded by R²/γ²
};

/// Rosenblatt's perceptron: labels in {-1, +1}, bias folded into the weights (inputs are
/// augmented with a constant 1), prediction sign(w·x) with sign(0) = -1 counted as a mistake,
/// update w ← w + lr·y·x on each mistake. On linearly separable data with margin γ and radius
/// R it makes at most R²/γ² updates (Novikoff); on data that is not separable (XOR) it stops
/// after max_epochs and reports converged = false.
class Perceptron {
public:
  explicit Perceptron(int64_t in_features);

  /// Trains on X (N, d) and y (N,) in {-1, +1}, visiting points in order.
  PerceptronResult fit(const Tensor& X, const Tensor& y, const PerceptronOptions& options = {});
  /// Widrow-Hoff delta rule (ADALINE): w ← w + lr·(d − w·x)·x for each point, `epochs` passes,
  /// with a linear output; returns the mean squared error after each epoch.
  std::vector<double> fit_delta(const Tensor& X, const Tensor& d, double lr, int64_t epochs);

  /// w·x + b for each row of X: (N,).
  Tensor decision_function(const Tensor& X) const;
  /// sign of the decision function, in {-1, +1}: (N,).
  Tensor predict(const Tensor& X) const;

  /// The folded weights (d + 1,): bias first, then one weight per input (float64).
  const Tensor& weights() const { return w_; }
  int64_t in_features() const { return in_features_; }

private:
  Tensor augment(const Tensor& X) const;
  int64_t in_features_;
  Tensor w_;
};

}  // namespace nabla::nn
