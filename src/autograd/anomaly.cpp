// Anomaly detection: find the first op whose forward or backward made a NaN or an infinity,
// before the value spreads through the rest of the graph and the weights.
#include "autograd/anomaly.hpp"

#include "kernels/dispatch.hpp"

#include <atomic>
#include <cmath>
#include <sstream>

namespace nabla::autograd {
namespace {

// Process-wide like PyTorch's: a training loop often runs its backward on a worker thread.
std::atomic<bool> anomaly_mode{false};

struct NonFinite {
  int64_t nan = 0;
  int64_t inf = 0;
  int64_t first = -1;  // flat index (row-major) of the first one
  explicit operator bool() const { return nan + inf > 0; }
};

NonFinite scan(const Tensor& t) {
  NonFinite found;
  if (!t.defined() || !is_floating(t.dtype())) return found;
  const Tensor c = t.contiguous();
  kernels::dispatch_floating(c.dtype(), "detect_anomaly", [&]<typename T>() {
    const T* p = c.data_ptr<T>();
    for (int64_t i = 0, n = c.numel(); i < n; ++i) {
      if (std::isfinite(p[i])) continue;
      (std::isnan(p[i]) ? found.nan : found.inf) += 1;
      if (found.first < 0) found.first = i;
    }
  });
  return found;
}

std::string describe(const NonFinite& f) {
  std::ostringstream os;
  os << f.nan << " NaN and " << f.inf << " infinite value" << (f.inf == 1 ? "" : "s") << " (the first at flat index "
     << f.first << ")";
  return os.str();
}

std::string shapes_of(const std::vector<Shape>& shapes) {
  std::ostringstream os;
  for (size_t i = 0; i < shapes.size(); ++i) {
    os << (i ? ", " : "") << '[';
    for (size_t d = 0; d < shapes[i].size(); ++d) os << (d ? ", " : "") << shapes[i][d];
    os << ']';
  }
  return os.str();
}

std::vector<Shape> shapes_of_inputs(const std::vector<Tensor>& inputs) {
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.defined() ? t.shape() : Shape{});
  return shapes;
}

}  // namespace

bool is_anomaly_enabled() { return anomaly_mode.load(std::memory_order_relaxed); }
void set_detect_anomaly(bool enabled) { anomaly_mode.store(enabled, std::memory_order_relaxed); }

void check_forward(const char* name, int64_t sequence_nr, const Tensor& out, const std::vector<Tensor>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const NonFinite bad = scan(inputs[i]);
    NABLA_CHECK(!bad, "detect_anomaly: input ", i, " of op #", sequence_nr, " (", name, ", inputs of shapes ",
                shapes_of(shapes_of_inputs(inputs)), ") already holds ", describe(bad),
                "; no recorded op produced it, so it comes from the data, a parameter or a computation made "
                "without grad");
  }
  const NonFinite bad = scan(out);
  NABLA_CHECK(!bad, "detect_anomaly: the forward of op #", sequence_nr, " (", name, ") produced ", describe(bad),
              " in its output of shape ", out.shape(), " from finite inputs of shapes ",
              shapes_of(shapes_of_inputs(inputs)));
}

void check_root(const Tensor& gradient) {
  const NonFinite bad = scan(gradient);
  NABLA_CHECK(!bad, "detect_anomaly: the gradient given to backward() (shape ", gradient.shape(), ") holds ",
              describe(bad));
}

void check_incoming(const Node& node, const Tensor& grad_output) {
  const NonFinite bad = scan(grad_output);
  NABLA_CHECK(!bad, "detect_anomaly: the gradient arriving at ",
              node.accumulates ? std::string("a leaf") : "op #" + std::to_string(node.sequence_nr) + " (" + node.name + ")",
              " of shape ", node.output_shape, " holds ", describe(bad),
              ": the finite gradients of its consumers overflowed when summed");
}

void check_backward(const Node& node, const std::vector<Tensor>& grads) {
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!node.next[i]) continue;  // no gradient flows there; whatever came back is dropped
    const NonFinite bad = scan(grads[i]);
    NABLA_CHECK(!bad, "detect_anomaly: the backward of op #", node.sequence_nr, " (", node.name,
                ", inputs of shapes ", shapes_of(node.input_shapes), ") returned ", describe(bad),
                " in the gradient for input ", i, " from a finite output gradient of shape ", node.output_shape);
  }
}

}  // namespace nabla::autograd
