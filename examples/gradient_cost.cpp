// Why backpropagation: the finite-difference gradient of an MLP needs one extra forward pass
// per parameter, backprop needs one backward pass. This computes both for a network with a
// few thousand parameters and prints the gradients, their largest difference and both times.
#include <nabla/nabla.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

using namespace nabla;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  // Layer sizes 16-64-32-1 give 3,201 parameters; argv[1] can shrink the hidden width for tests.
  const int64_t hidden = argc > 1 ? std::atoll(argv[1]) : 64;
  Generator gen(0);
  const int64_t batch = 32, in = 16, h2 = hidden / 2;
  Tensor X = randn({batch, in}, gen, float64);
  Tensor y = randn({batch, 1}, gen, float64);
  std::vector<Tensor> params = {randn({in, hidden}, gen, float64) * (1.0 / std::sqrt(in)), zeros({hidden}, float64),
                                randn({hidden, h2}, gen, float64) * (1.0 / std::sqrt(hidden)), zeros({h2}, float64),
                                randn({h2, 1}, gen, float64) * (1.0 / std::sqrt(h2)), zeros({1}, float64)};
  for (Tensor& p : params) p.requires_grad_();
  int64_t count = 0;
  for (const Tensor& p : params) count += p.numel();

  auto loss_fn = [&]() {
    Tensor a = X.matmul(params[0]).add(params[1]).tanh();
    Tensor b = a.matmul(params[2]).add(params[3]).tanh();
    Tensor out = b.matmul(params[4]).add(params[5]);
    return (out - y).square().mean();
  };

  // Backprop: one forward and one backward pass.
  auto t0 = std::chrono::steady_clock::now();
  loss_fn().backward();
  const double backprop_s = seconds_since(t0);

  // Finite differences: (L(w + eps e_i) - L(w - eps e_i)) / 2eps, two forward passes per parameter.
  const double eps = 1e-6;
  std::vector<double> numeric;
  t0 = std::chrono::steady_clock::now();
  {
    NoGradGuard no_grad;
    for (Tensor& p : params) {
      double* data = p.data_ptr<double>();
      for (int64_t i = 0; i < p.numel(); ++i) {
        const double saved = data[i];
        data[i] = saved + eps;
        const double plus = loss_fn().item();
        data[i] = saved - eps;
        const double minus = loss_fn().item();
        data[i] = saved;
        numeric.push_back((plus - minus) / (2 * eps));
      }
    }
  }
  const double numeric_s = seconds_since(t0);

  std::vector<double> analytic;
  for (const Tensor& p : params)
    for (double g : p.grad().to_vector<double>()) analytic.push_back(g);
  double max_diff = 0;
  for (size_t i = 0; i < analytic.size(); ++i) max_diff = std::max(max_diff, std::abs(analytic[i] - numeric[i]));

  std::printf("MLP %lld-%lld-%lld-1, %lld parameters, batch %lld, float64\n", static_cast<long long>(in),
              static_cast<long long>(hidden), static_cast<long long>(h2), static_cast<long long>(count),
              static_cast<long long>(batch));
  std::printf("%8s %16s %16s\n", "param", "backprop", "finite diff");
  for (size_t i = 0; i < analytic.size(); i += analytic.size() / 8)
    std::printf("%8zu %16.10f %16.10f\n", i, analytic[i], numeric[i]);
  std::printf("largest difference: %.3e\n", max_diff);
  std::printf("backprop:     1 forward + 1 backward pass   %10.6f s\n", backprop_s);
  std::printf("finite diff:  %lld forward passes %*s %10.6f s  (%.0fx slower)\n", static_cast<long long>(2 * count),
              static_cast<int>(std::max<int64_t>(0, 15 - static_cast<int64_t>(std::to_string(2 * count).size()))), "",
              numeric_s, numeric_s / backprop_s);
  return max_diff < 1e-6 ? 0 : 1;
}
