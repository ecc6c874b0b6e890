// Logistic regression on the lectures' hiring data, trained by plain full-batch gradient
// descent with raw tensors and autograd: no modules, no optimiser, every step in sight.
//
//   x1, x2: two scores per candidate; c = 1 hired, 0 not hired.
//   model:  p(c = 1 | x) = sigmoid(w0 + w1 x1 + w2 x2)
//   loss:   mean binary cross-entropy, minimised by w <- w - lr * dloss/dw
#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace nabla;
  const std::vector<float> x1 = {17, 12, 13, 15, 15, 20, 20, 4, 7.5, 10, 11, 5, 5, 6};
  const std::vector<float> x2 = {10, 12, 14, 15, 20, 15, 20, 8, 5, 0, 5, 0, 10, 6};
  const std::vector<float> c = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
  const int64_t n = static_cast<int64_t>(c.size());

  // Design matrix with a leading column of ones, so w0 is the bias: X is (14, 3).
  Tensor X = stack({ones({n}), tensor(x1, {n}), tensor(x2, {n})}, 1);
  Tensor y = tensor(c, {n, 1});
  Tensor w = zeros({3, 1}).requires_grad_();

  const double lr = 0.01;
  const int steps = 5000;
  std::printf("logistic regression on the hiring data (%lld points), full-batch gradient descent, lr %.3g\n",
              static_cast<long long>(n), lr);
  const auto start = std::chrono::steady_clock::now();
  for (int step = 0; step <= steps; ++step) {
    Tensor p = X.matmul(w).sigmoid();  // (14, 1) probabilities
    Tensor loss = -(y * p.log() + (1.0 - y) * (1.0 - p).log()).mean();
    if (step % 500 == 0) std::printf("  step %5d  loss %.6f\n", step, loss.item());
    if (step == steps) break;
    loss.backward();
    {
      NoGradGuard no_grad;
      w.sub_(w.grad() * lr);
      w.grad().zero_();
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  NoGradGuard no_grad;
  Tensor predicted = X.matmul(w).gt(0.0);  // sigmoid(z) > 0.5 exactly when z > 0
  const double accuracy = predicted.eq(y).mean().item();
  const std::vector<float> wv = w.to_vector();
  std::printf("training accuracy: %.1f%% (%d of %lld)\n", 100.0 * accuracy, static_cast<int>(accuracy * n + 0.5),
              static_cast<long long>(n));
  std::printf("learned line: %.4f %+.4f*x1 %+.4f*x2 = 0\n", wv[0], wv[1], wv[2]);
  std::printf("time: %.3f s for %d steps\n", seconds, steps);
  return accuracy == 1.0 ? 0 : 1;
}
