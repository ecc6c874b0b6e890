// Checks and reductions shared by every loss (see loss_common.hpp).
#include "nn/loss_common.hpp"

namespace nabla::nn {

std::string functional::reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::Mean: return "mean";
    case Reduction::Sum: return "sum";
    case Reduction::None: return "none";
    case Reduction::BatchMean: return "batchmean";
  }
  return "?";
}

namespace loss_detail {

void check_reduction(const char* op, Reduction reduction) {
  NABLA_CHECK(reduction == Reduction::Mean || reduction == Reduction::Sum || reduction == Reduction::None, op,
              ": reduction '", functional::reduction_name(reduction),
              "' is only valid for kl_div; use Reduction::Mean, Sum or None");
}

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::Mean: return loss.mean();
    case Reduction::Sum: return loss.sum();
    case Reduction::None: return loss;
    case Reduction::BatchMean: break;
  }
  NABLA_FAIL("loss reduction '", functional::reduction_name(reduction), "' is not handled here");
}

void check_floating(const char* op, const char* what, const Tensor& t) {
  NABLA_CHECK(t.defined(), op, ": ", what, " is undefined");
  NABLA_CHECK(is_floating(t.dtype()), op, ": ", what, " must be float32 or float64, got ", t.dtype(), " of shape ",
              t.shape());
}

void check_same_shape(const char* op, const char* a_name, const Tensor& a, const char* b_name, const Tensor& b) {
  NABLA_CHECK(a.shape() == b.shape(), op, ": ", b_name, " of shape ", b.shape(), " must have the shape of ", a_name,
              ", ", a.shape());
}

void check_broadcast_weight(const char* op, const char* what, const Tensor& weight, const Tensor& input) {
  if (!weight.defined()) return;
  NABLA_CHECK(weight.dtype() == input.dtype(), op, ": ", what, " has dtype ", weight.dtype(), " but the input has ",
              input.dtype());
  const Shape& w = weight.shape();
  const Shape& x = input.shape();
  bool ok = w.size() <= x.size();
  for (size_t i = 1; ok && i <= w.size(); ++i) ok = w[w.size() - i] == 1 || w[w.size() - i] == x[x.size() - i];
  NABLA_CHECK(ok, op, ": ", what, " of shape ", w, " does not broadcast to the input's shape ", x);
}

Shape unravel(int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return index;
}

ClassLayout class_layout(const char* op, const Tensor& input, const Tensor& target) {
  check_floating(op, "input", input);
  NABLA_CHECK(target.defined(), op, ": target is undefined");
  const Shape& shape = input.shape();
  NABLA_CHECK(!shape.empty(), op, ": expected input of shape (N, C), (N, C, d1, ...) or (C), got a 0-d tensor");
  ClassLayout layout;
  if (shape.size() == 1) {
    layout.classes = shape[0];
  } else {
    layout.outer = shape[0];
    layout.classes = shape[1];
    layout.target_shape.push_back(shape[0]);
    for (size_t d = 2; d < shape.size(); ++d) {
      layout.inner *= shape[d];
      layout.target_shape.push_back(shape[d]);
    }
  }
  NABLA_CHECK(target.shape() == layout.target_shape, op, ": expected a target of shape ", layout.target_shape,
              " (one class index per sample) for input of shape ", shape, ", got target of shape ", target.shape());
  NABLA_CHECK(target.dtype() == DType::Int64, op, ": class-index targets must be int64, got ", target.dtype(),
              " of shape ", target.shape());
  return layout;
}

void check_class_targets(const char* op, const Tensor& target, int64_t classes, std::optional<int64_t> ignore_index) {
  const Tensor t = target.contiguous();
  const int64_t* y = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if ((y[i] >= 0 && y[i] < classes) || (ignore_index && y[i] == *ignore_index)) continue;
    NABLA_FAIL(op, ": target ", y[i], " at position ", unravel(i, t.shape()), " is out of range for ", classes,
               " classes (expected 0 to ", classes - 1,
               ignore_index ? ", or ignore_index " + std::to_string(*ignore_index) : std::string(), ")");
  }
}

void check_class_weight(const char* op, const Tensor& weight, int64_t classes, const Tensor& input) {
  if (!weight.defined()) return;
  NABLA_CHECK(weight.ndim() == 1 && weight.numel() == classes, op, ": weight should have one element per class (",
              classes, " for input of shape ", input.shape(), "), got weight of shape ", weight.shape());
  NABLA_CHECK(weight.dtype() == input.dtype(), op, ": weight has dtype ", weight.dtype(), " but the input has ",
              input.dtype());
}

}  // namespace loss_detail
}  // namespace nabla::nn
