// Every optimiser on the same small problem: a 1-16-1 tanh network fitting sin(x) with
// full-batch steps from the same initial weights. Prints the loss curves side by side.
//
//   usage: optimizers [steps]
#include <nabla/nabla.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <numbers>

using namespace nabla;

namespace {

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

template <typename O, typename Options>
MakeOptimizer make(Options options) {
  return [options](std::vector<Tensor> params) { return std::make_unique<O>(std::move(params), options); };
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 100;
  const int64_t n = 64;
  std::vector<float> xs, ys;
  for (int64_t i = 0; i < n; ++i) {
    const double x = -std::numbers::pi + 2 * std::numbers::pi * static_cast<double>(i) / (n - 1);
    xs.push_back(static_cast<float>(x));
    ys.push_back(static_cast<float>(std::sin(x)));
  }
  const Tensor X = tensor(xs, {n, 1}), Y = tensor(ys, {n, 1});

  const std::vector<std::pair<std::string, MakeOptimizer>> optimizers = {
      {"SGD", make<optim::SGD>(optim::SGDOptions{.lr = 0.1})},
      {"Momentum", make<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9})},
      {"Nesterov", make<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true})},
      {"Adagrad", make<optim::Adagrad>(optim::AdagradOptions{.lr = 0.1})},
      {"Adadelta", make<optim::Adadelta>(optim::AdadeltaOptions{.lr = 1.0})},
      {"RMSprop", make<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01})},
      {"Adam", make<optim::Adam>(optim::AdamOptions{.lr = 0.02})},
      {"AdamW", make<optim::AdamW>(optim::AdamWOptions{.lr = 0.02})},
      {"Rprop", make<optim::Rprop>(optim::RpropOptions{.lr = 0.01})},
      {"ASGD", make<optim::ASGD>(optim::ASGDOptions{.lr = 0.1})},
      {"LBFGS", make<optim::LBFGS>(optim::LBFGSOptions{.lr = 1.0, .max_iter = 1, .line_search_fn = "strong_wolfe"})},
      {"BB", make<optim::BarzilaiBorwein>(optim::BarzilaiBorweinOptions{.lr = 0.1})},
  };

  // curves[o][k]: loss of optimiser o before step k.
  std::vector<std::vector<double>> curves;
  for (const auto& [name, make_optimizer] : optimizers) {
    manual_seed(0);  // the same initial weights for everyone
    auto net = nn::mlp({.sizes = {1, 16, 1}, .activation = "tanh"});
    auto optimizer = make_optimizer(net->parameters());
    auto closure = [&]() {
      optimizer->zero_grad();
      Tensor loss = nn::functional::mse_loss(net->forward(X), Y);
      loss.backward();
      return loss;
    };
    std::vector<double> curve;
    for (int step = 0; step < steps; ++step) curve.push_back(optimizer->step(closure).item());
    NoGradGuard no_grad;
    curve.push_back(nn::functional::mse_loss(net->forward(X), Y).item());
    curves.push_back(curve);
  }

  std::printf("loss of a 1-16-1 tanh MLP fitting sin(x), full batch, same start for all\n%6s", "step");
  for (const auto& item : optimizers) std::printf(" %9s", item.first.c_str());
  std::printf("\n");
  const int every = std::max(1, steps / 10);
  for (int step = 0; step <= steps; step += every) {
    std::printf("%6d", step);
    for (const auto& curve : curves) std::printf(" %9.5f", curve[static_cast<size_t>(step)]);
    std::printf("\n");
  }
  bool all_improved = true;
  for (const auto& curve : curves) all_improved = all_improved && std::isfinite(curve.back()) && curve.back() < curve.front();
  return all_improved ? 0 : 1;
}
