// The Optimizer base: parameter groups, zero_grad, learning rates, the loop over parameters
// with gradients that every step() runs, and the conversions behind the flattened state dict.
#include <nabla/autograd.hpp>
#include <nabla/optim/optimizer.hpp>

#include "autograd/record.hpp"

#include <cmath>

namespace nabla::optim {

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (const auto& group : groups_params_)
    for (const Tensor& p : group) {
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      if (set_to_none) {
        p.set_grad(Tensor());
      } else {
        // A gradient with a history (from create_graph) is cut loose first, as PyTorch does.
        if (grad.grad_fn() || grad.requires_grad()) {
          grad = grad.detach();
          p.set_grad(grad);
        }
        grad.zero_();
      }
    }
}

void Optimizer::set_lr(double lr) {
  for (size_t g = 0; g < num_groups(); ++g) set_lr(lr, g);
}

const std::vector<Tensor>& Optimizer::params(size_t group) const {
  NABLA_CHECK(group < groups_params_.size(), type_name(), ": no parameter group ", group, " (there are ",
              groups_params_.size(), ")");
  return groups_params_[group];
}

void Optimizer::set_param_groups(const std::string& optimiser, std::vector<std::vector<Tensor>> groups) {
  std::vector<const TensorImpl*> seen;
  for (size_t g = 0; g < groups.size(); ++g)
    for (size_t k = 0; k < groups[g].size(); ++k) {
      const Tensor& p = groups[g][k];
      NABLA_CHECK(p.defined(), optimiser, ": parameter ", k, " of group ", g, " is undefined");
      NABLA_CHECK(p.is_leaf(), optimiser, ": can't optimize a non-leaf tensor (parameter ", k, " of group ", g,
                  ", shape ", p.shape(), "); detach() it and set requires_grad");
      NABLA_CHECK(is_floating(p.dtype()), optimiser, ": parameter ", k, " of group ", g, " has dtype ", p.dtype(),
                  "; only float32 and float64 parameters can be optimised");
      for (const TensorImpl* other : seen)
        NABLA_CHECK(other != p.impl(), optimiser, ": parameter ", k, " of group ", g, " (shape ", p.shape(),
                    ") appears more than once; some parameters appear in more than one parameter group");
      seen.push_back(p.impl());
    }
  NABLA_CHECK(!seen.empty(), optimiser, ": got an empty parameter list");
  groups_params_ = std::move(groups);
}

size_t Optimizer::num_params() const { return first_index(groups_params_.size()); }

size_t Optimizer::first_index(size_t group) const {
  size_t index = 0;
  for (size_t g = 0; g < group && g < groups_params_.size(); ++g) index += groups_params_[g].size();
  return index;
}

size_t Optimizer::index_of(const Tensor& param) const {
  size_t index = 0;
  for (const auto& group : groups_params_)
    for (const Tensor& p : group) {
      if (p.is_same(param)) return index;
      ++index;
    }
  NABLA_FAIL(type_name(), ": the tensor of shape ", param.defined() ? param.shape() : Shape{},
             " is not one of the optimiser's parameters");
}

Tensor Optimizer::evaluate(const Closure& closure) {
  if (!closure) return Tensor();
  EnableGradGuard grad_on;
  return closure();
}

void Optimizer::for_each_param_with_grad(
    const std::function<void(Tensor& param, const Tensor& grad, size_t group, size_t index)>& update) {
  NoGradGuard no_grad;
  size_t index = 0;
  for (size_t g = 0; g < groups_params_.size(); ++g)
    for (const Tensor& p : groups_params_[g]) {
      const size_t i = index++;
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      NABLA_CHECK(grad.shape() == p.shape() && grad.dtype() == p.dtype(), type_name(), ": parameter ", i,
                  " has shape ", p.shape(), " and dtype ", p.dtype(), " but its gradient has shape ", grad.shape(),
                  " and dtype ", grad.dtype());
      autograd::check_inplace(p);  // bumps the version, so a graph that saved p notices the update
      Tensor work = p.is_contiguous() ? p : p.contiguous();
      // Updates read the gradient while writing the parameter, through unaliased pointers.
      const Tensor g_in = grad.shares_storage(work) ? grad.clone() : grad.contiguous();
      update(work, g_in, g, i);
      if (!work.is_same(p)) Tensor(p).copy_(work);
    }
}

// ---- state dict conversions -------------------------------------------------------------------

namespace detail {

Tensor option_tensor(double value) { return scalar_tensor(value, float64); }
Tensor option_tensor(bool value) { return scalar_tensor(value ? 1.0 : 0.0, float64); }
Tensor option_tensor(const std::array<double, 2>& value) {
  return tensor(std::vector<double>{value[0], value[1]}, {2}, float64);
}

std::string read_option(const Tensor& t, double& value) {
  if (t.numel() != 1 || t.ndim() != 0) return "expected a 0-d tensor, got shape " + nabla::detail::str(t.shape());
  value = t.item();
  return "";
}

std::string read_option(const Tensor& t, bool& value) {
  double v = 0;
  std::string problem = read_option(t, v);
  if (!problem.empty()) return problem;
  if (v != 0 && v != 1) return "expected 0 or 1 (a flag), got " + nabla::detail::str(v);
  value = v == 1;
  return "";
}

std::string read_option(const Tensor& t, std::array<double, 2>& value) {
  if (t.shape() != Shape{2}) return "expected shape [2], got " + nabla::detail::str(t.shape());
  const std::vector<double> v = t.to_vector<double>();
  value = {v[0], v[1]};
  return "";
}

std::string read_state(const Tensor& t, Tensor& like) {
  if (t.shape() != like.shape())
    return "shape " + nabla::detail::str(t.shape()) + " does not match the expected " +
           nabla::detail::str(like.shape());
  if (!is_floating(t.dtype())) return "dtype " + nabla::detail::str(t.dtype()) + " is not floating-point";
  NoGradGuard no_grad;
  like.copy_(t);
  return "";
}

void throw_if_problems(const std::string& what, const std::vector<std::string>& problems) {
  if (problems.empty()) return;
  std::string message = what + ": ";
  for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
  NABLA_FAIL(message);
}

}  // namespace detail
}  // namespace nabla::optim
