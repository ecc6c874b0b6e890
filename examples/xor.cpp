// XOR with a 2-2-1 network: no line separates XOR's classes in the input plane, but the two
// hidden units learn a representation in which one line does. The program trains the net,
// prints the hidden representation of the four points, and checks its separability with a
// perceptron (which converges only on linearly separable data).
//
//   usage: xor [seed] [tanh|sigmoid]
#include <nabla/nabla.hpp>

#include <cstdio>
#include <string>

using namespace nabla;

int main(int argc, char** argv) {
  const uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 0;
  const std::string activation = argc > 2 ? argv[2] : "tanh";
  manual_seed(seed);

  Tensor X = tensor(std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  Tensor y = tensor(std::vector<float>{0, 1, 1, 0}, {4, 1});

  auto hidden = std::make_shared<nn::Linear>(2, 2);
  auto act = nn::make_activation(activation);
  auto output = std::make_shared<nn::Linear>(2, 1);
  nn::Sequential net({hidden, act, output});
  optim::SGD optimizer(net.parameters(), {.lr = 0.5, .momentum = 0.9});

  for (int epoch = 0; epoch <= 2000; ++epoch) {
    optimizer.zero_grad();
    Tensor loss = nn::functional::binary_cross_entropy_with_logits(net(X), y);
    if (epoch % 400 == 0) std::printf("epoch %4d  loss %.5f\n", epoch, loss.item());
    loss.backward();
    optimizer.step();
  }

  NoGradGuard no_grad;
  Tensor h = act->forward(hidden->forward(X));  // (4, 2) hidden representation
  Tensor predicted = net(X).gt(0.0);
  const double accuracy = predicted.eq(y).mean().item();
  std::printf("\n  x1 x2 | target | hidden representation  | prediction\n");
  const std::vector<float> hv = h.to_vector(), xv = X.to_vector(), yv = y.to_vector(), pv = predicted.to_vector();
  for (size_t i = 0; i < 4; ++i)
    std::printf("   %.0f  %.0f |   %.0f    | (%8.4f, %8.4f)   |     %.0f\n", xv[2 * i], xv[2 * i + 1], yv[i], hv[2 * i],
                hv[2 * i + 1], pv[i]);

  // In input space the perceptron cannot separate XOR; in hidden space it can if training worked.
  Tensor labels = y.reshape({4}) * 2.0 - 1.0;
  nn::Perceptron in_input(2), in_hidden(2);
  const bool input_separable = in_input.fit(X, labels, {.max_epochs = 200}).converged;
  nn::PerceptronResult r = in_hidden.fit(h, labels, {.max_epochs = 10000});
  std::printf("\nlinearly separable in input space:  %s\n", input_separable ? "yes" : "no");
  std::printf("linearly separable in hidden space: %s", r.converged ? "yes" : "no");
  if (r.converged) {
    const std::vector<double> w = in_hidden.weights().to_vector<double>();
    std::printf(" (perceptron: %.3f %+.3f*h1 %+.3f*h2 = 0 after %lld updates)", w[0], w[1], w[2],
                static_cast<long long>(r.updates));
  }
  std::printf("\naccuracy: %.0f%%\n", 100.0 * accuracy);
  return accuracy == 1.0 ? 0 : 2;
}
