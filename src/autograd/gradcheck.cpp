// Gradient checking by central finite differences in float64. The analytic Jacobian is
// built one output element at a time with nabla::grad (backward with a one-hot gradient),
// the numeric one by perturbing each input element by ±eps.
#include <nabla/autograd.hpp>
#include <nabla/gradcheck.hpp>

#include <cmath>
#include <sstream>

namespace nabla {
namespace {

// The multi-index of flat element `flat` in `shape`, for messages.
Shape unravel(int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return index;
}

// fn's output as a flat float64 vector, evaluated without recording a graph.
std::vector<double> evaluate(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                             const std::vector<Tensor>& inputs) {
  NoGradGuard no_grad;
  return fn(inputs).to(DType::Float64).to_vector<double>();
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  // float64 leaf copies: the check itself must not be limited by float32 rounding.
  std::vector<Tensor> xs;
  std::vector<size_t> differentiable;
  for (size_t i = 0; i < inputs.size(); ++i) {
    NABLA_CHECK(inputs[i].defined(), "gradcheck: input ", i, " is undefined");
    if (is_floating(inputs[i].dtype())) {
      Tensor x = inputs[i].detach().to(DType::Float64).clone().detach();
      x.requires_grad_();
      xs.push_back(x);
      differentiable.push_back(i);
    } else {
      xs.push_back(inputs[i]);
    }
  }
  NABLA_CHECK(!differentiable.empty(), "gradcheck: no floating-point input to differentiate with respect to");

  Tensor out = fn(xs);
  NABLA_CHECK(out.defined() && is_floating(out.dtype()), "gradcheck: fn must return a floating-point tensor");
  NABLA_CHECK(out.requires_grad(), "gradcheck: the output does not depend on any input through recorded ops");
  const int64_t n_out = out.numel();

  // analytic[i][o * n_in + e]: d out[o] / d input_i[e]
  std::vector<std::vector<double>> analytic(differentiable.size());
  std::vector<Tensor> wrt;
  for (size_t i : differentiable) wrt.push_back(xs[i]);
  for (int64_t o = 0; o < n_out; ++o) {
    Tensor seed = zeros(out.shape(), out.dtype());
    seed.reshape({-1}).narrow(0, o, 1).fill_(1.0);
    const bool last = o + 1 == n_out;
    std::vector<Tensor> grads = grad(out, wrt, seed, /*retain_graph=*/!last);
    for (size_t k = 0; k < grads.size(); ++k) {
      std::vector<double> g = grads[k].to(DType::Float64).to_vector<double>();
      analytic[k].insert(analytic[k].end(), g.begin(), g.end());
    }
  }

  GradcheckResult result;
  for (size_t k = 0; k < differentiable.size(); ++k) {
    Tensor x = xs[differentiable[k]];
    const int64_t n_in = x.numel();
    double* data = x.data_ptr<double>();
    for (int64_t e = 0; e < n_in; ++e) {
      const double saved = data[e];
      data[e] = saved + options.eps;
      const std::vector<double> plus = evaluate(fn, xs);
      data[e] = saved - options.eps;
      const std::vector<double> minus = evaluate(fn, xs);
      data[e] = saved;
      for (int64_t o = 0; o < n_out; ++o) {
        const double numeric = (plus[o] - minus[o]) / (2.0 * options.eps);
        const double exact = analytic[k][static_cast<size_t>(o * n_in + e)];
        const double err = std::abs(exact - numeric);
        result.max_abs_error = std::max(result.max_abs_error, std::isnan(err) ? INFINITY : err);
        const bool close = err <= options.atol + options.rtol * std::abs(numeric);
        if (!close && result.ok) {
          result.ok = false;
          std::ostringstream msg;
          msg << "gradcheck failed for input " << differentiable[k] << " (shape " << detail::str(x.shape())
              << ") at element " << e << " (index " << detail::str(unravel(e, x.shape())) << "), output element " << o
              << " (index " << detail::str(unravel(o, out.shape())) << "): analytic " << exact << ", numeric "
              << numeric << ", difference " << err;
          result.message = msg.str();
        }
      }
    }
  }
  if (!result.ok && options.raise) throw Error(result.message);
  return result;
}

}  // namespace nabla
