// Rosenblatt's perceptron: on linearly separable data it stops after at most R²/γ² updates
// (Novikoff's theorem); on XOR, which no line separates, it never stops making mistakes.
#include <nabla/nabla.hpp>
#include <nabla/nn/classic.hpp>

#include <cmath>
#include <cstdio>

using namespace nabla;

int main(int argc, char** argv) {
  const uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 0;
  Generator g(seed);

  // Separable data: points of [-1, 1]^2 at least gamma away from a known line, labelled by side.
  const double gamma = 0.1;
  const double w0 = 0.2, w1 = 0.6, w2 = -0.8, norm = std::sqrt(w0 * w0 + w1 * w1 + w2 * w2);
  std::vector<double> xs, ys;
  double R = 0;
  while (ys.size() < 500) {
    const double a = 2 * g.uniform_double() - 1, b = 2 * g.uniform_double() - 1;
    const double margin = (w0 + w1 * a + w2 * b) / norm;
    if (std::abs(margin) < gamma) continue;
    xs.insert(xs.end(), {a, b});
    ys.push_back(margin > 0 ? 1 : -1);
    R = std::max(R, std::sqrt(1 + a * a + b * b));  // bias folded in: x = (1, a, b)
  }
  const int64_t n = static_cast<int64_t>(ys.size());
  nn::Perceptron separable(2);
  nn::PerceptronResult r = separable.fit(tensor(xs, {n, 2}), tensor(ys, {n}));
  const std::vector<double> w = separable.weights().to_vector<double>();
  std::printf("separable data: %lld points, margin gamma = %.2f, radius R = %.3f\n", static_cast<long long>(n), gamma,
              R);
  std::printf("  converged: %s after %lld epochs, %lld updates (bound R^2/gamma^2 = %.0f)\n",
              r.converged ? "yes" : "no", static_cast<long long>(r.epochs), static_cast<long long>(r.updates),
              R * R / (gamma * gamma));
  std::printf("  learned line: %.3f %+.3f*x1 %+.3f*x2 = 0\n", w[0], w[1], w[2]);

  Tensor X = tensor(std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  Tensor y = tensor(std::vector<float>{-1, 1, 1, -1}, {4});
  nn::Perceptron xor_unit(2);
  nn::PerceptronResult x = xor_unit.fit(X, y, {.max_epochs = 100});
  std::printf("XOR: converged: %s after %lld epochs, %lld updates (no line separates XOR)\n",
              x.converged ? "yes" : "no", static_cast<long long>(x.epochs), static_cast<long long>(x.updates));
  const bool ok = r.converged && r.updates <= R * R / (gamma * gamma) && !x.converged;
  return ok ? 0 : 1;
}
