// Universal approximation in practice: one hidden layer of ReLU units fits sin(x) on [-pi, pi]
// better as it widens. Trains widths 1, 2, 4 and 20 the same way and prints the error of each.
//
//   usage: universal_approximation [steps]
#include <nabla/nabla.hpp>

#include <cmath>
#include <cstdio>
#include <numbers>

using namespace nabla;

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 3000;
  const int64_t n = 200;
  std::vector<float> xs, ys;
  for (int64_t i = 0; i < n; ++i) {
    const double x = -std::numbers::pi + 2 * std::numbers::pi * static_cast<double>(i) / (n - 1);
    xs.push_back(static_cast<float>(x));
    ys.push_back(static_cast<float>(std::sin(x)));
  }
  Tensor X = tensor(xs, {n, 1}), Y = tensor(ys, {n, 1});

  std::printf("fitting sin(x) on [-pi, pi] with one hidden ReLU layer, %d Adam steps, %lld points\n", steps,
              static_cast<long long>(n));
  std::printf("%8s %14s %14s\n", "hidden", "mean sq error", "max abs error");
  std::vector<double> errors;
  for (int64_t width : {1, 2, 4, 20}) {
    manual_seed(0);
    auto net = nn::mlp({.sizes = {1, width, 1}, .activation = "relu"});
    optim::Adam optimizer(net->parameters(), {.lr = 0.01});
    for (int step = 0; step < steps; ++step) {
      optimizer.zero_grad();
      Tensor loss = nn::functional::mse_loss(net->forward(X), Y);
      loss.backward();
      optimizer.step();
    }
    NoGradGuard no_grad;
    Tensor err = net->forward(X) - Y;
    const double mse = err.square().mean().item(), max_err = err.abs().max().item();
    std::printf("%8lld %14.6f %14.6f\n", static_cast<long long>(width), mse, max_err);
    errors.push_back(mse);
  }
  // The point of the exercise: the wide layer fits far better than a single unit.
  return errors.back() < errors.front() / 10 ? 0 : 1;
}
