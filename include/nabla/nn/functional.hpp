// nabla::nn::functional: the stateless forms of the layers and activations (torch.nn.functional).
// Modules hold parameters and options and call these; use them directly when the weights live
// elsewhere, e.g. in a gradcheck or a hand-written model:
//
//   namespace F = nabla::nn::functional;
//   Tensor h = F::gelu(F::linear(x, w1, b1));            // x (N, 784), w1 (256, 784), b1 (256)
//   Tensor y = F::dropout(h, 0.5, /*training=*/true);
//
// leaky_relu, elu, gelu and softplus are single recorded ops with fused forward and backward
// kernels (float32/float64); their gradients at the kinks follow PyTorch (noted per function).
#pragma once

#include <nabla/tensor.hpp>

#include <string>

namespace nabla::nn::functional {

/// y = x W^T + b (torch.nn.functional.linear). x is (..., in) with any leading dims (or 1-D
/// (in)), weight is (out, in) in PyTorch's layout, bias is (out) or undefined for none.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

/// max(0, x); relu'(0) = 0.
Tensor relu(const Tensor& x);
/// x for x > 0, negative_slope * x otherwise. Gradient at 0 is negative_slope (PyTorch's).
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// x for x > 0, alpha * (exp(x) - 1) otherwise. Gradient at 0 is alpha (PyTorch's).
Tensor elu(const Tensor& x, double alpha = 1.0);
/// x * Phi(x) with Phi the standard normal CDF (approximate = "none"), or PyTorch's tanh
/// approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (approximate = "tanh").
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
/// log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (for stability), as
/// torch.nn.functional.softplus; the gradient switches to 1 at the same place. Below the
/// threshold it is evaluated as max(z, 0) + log1p(exp(-|z|)), z = beta x, so it stays finite
/// where PyTorch's log1p(exp(z)) overflows (a threshold above ~88 in float32).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
/// 1 / (1 + exp(-x)).
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// exp(x) / sum(exp(x)) along `dim` (stable for large inputs).
Tensor softmax(const Tensor& x, int64_t dim);
/// log(softmax(x, dim)), computed as x - logsumexp(x, dim).
Tensor log_softmax(const Tensor& x, int64_t dim);
/// Heaviside step for threshold units: 1 where x > 0, else 0 (so step(0) = 0, and NaN gives 0),
/// in x's dtype. Its derivative is zero wherever it exists, so backward passes a gradient of
/// zeros (a recorded op, like sign): a network of step units cannot learn by gradient descent,
/// which is why the perceptron has its own update rule.
Tensor step(const Tensor& x);

/// Inverted dropout (torch.nn.functional.dropout): in training, each element is kept with
/// probability 1 - p and scaled by 1 / (1 - p), so the expected value is unchanged; otherwise,
/// or when p == 0, x is returned as is. p == 1 gives zeros. p outside [0, 1] is an error. The
/// mask draws from `generator`, or from the default generator (see manual_seed).
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* generator = nullptr);

/// Merges dims start_dim..end_dim into one (torch.flatten).
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);

}  // namespace nabla::nn::functional
