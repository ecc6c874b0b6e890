// Finite-difference gradient checking, the test every differentiable op passes:
// compares the full Jacobian from backward() with central differences in float64.
#pragma once

#include <nabla/tensor.hpp>

#include <functional>
#include <string>
#include <vector>

namespace nabla {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
  bool raise = true;   // throw nabla::Error on failure (otherwise just report)
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;  // over all inputs and Jacobian entries
  std::string message;         // the first mismatch: input, element, output, both values
};

/// Checks d fn(inputs) / d inputs. Inputs are copied to float64 leaves requiring grad (except
/// integer tensors, which are passed through as constants); fn may return any shape.
/// Like torch.autograd.gradcheck, but reports the offending input, element index, and the
/// analytic and numeric values.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace nabla
