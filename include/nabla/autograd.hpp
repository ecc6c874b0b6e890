// Reverse-mode automatic differentiation: graph nodes, grad mode, and the DOT view
// of a graph. Ops record a Node when any input requires grad; Tensor::backward()
// walks the nodes in reverse topological order applying the chain rule.
#pragma once

#include <nabla/tensor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nabla {
namespace autograd {

/// Gradient w.r.t. each input, given the gradient w.r.t. the output. An undefined
/// entry means "no gradient flows to that input".
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

/// One recorded operation (or, for a leaf, its gradient accumulator).
struct Node {
  std::string name;            // "MulBackward", "AccumulateGrad", ...
  std::vector<std::shared_ptr<Node>> next;  // per input: where its gradient goes (null: nowhere)
  std::vector<Shape> input_shapes;          // per input, to check the gradients a backward returns
  BackwardFn backward;         // empty once the graph has been released
  std::weak_ptr<TensorImpl> variable;       // the leaf, for AccumulateGrad nodes only
  bool accumulates = false;                 // true for a leaf's AccumulateGrad node
  Shape output_shape;
  DType output_dtype = DType::Float32;
  bool released = false;                    // backward ran without retain_graph
  int64_t sequence_nr = 0;                  // order of recording on its thread (1, 2, ...)

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  /// Frees the chain of nodes only this one keeps alive without recursing, so that dropping
  /// the last tensor of a graph of any depth cannot overflow the stack.
  ~Node();
};

/// Whether ops record graph nodes (thread-local, on by default).
bool grad_mode_enabled();
void set_grad_mode(bool enabled);

/// Whether anomaly detection is on (process-wide, off by default).
bool is_anomaly_enabled();
void set_detect_anomaly(bool enabled);

}  // namespace autograd

/// Anomaly detection for its scope (torch.autograd.detect_anomaly): every recorded op checks
/// its forward output, and every backward step the gradients it returns, for NaN and ±Inf;
/// the first offender raises nabla::Error naming the op, its place in the recording order and
/// its input shapes. An input that already holds NaN/Inf when an op records is reported too
/// (no recorded op made it: it came from the data, a parameter or a no-grad computation).
/// Each check is one pass over the tensor, so leave it off when not hunting a NaN.
///
///   { nabla::detect_anomaly anomaly; loss = model(x) ...; loss.backward(); }
class detect_anomaly {
public:
  detect_anomaly() : previous_(autograd::is_anomaly_enabled()) { autograd::set_detect_anomaly(true); }
  ~detect_anomaly() { autograd::set_detect_anomaly(previous_); }
  detect_anomaly(const detect_anomaly&) = delete;
  detect_anomaly& operator=(const detect_anomaly&) = delete;

private:
  bool previous_;
};

/// Disables graph recording for its scope, e.g. for optimiser updates and evaluation.
class NoGradGuard {
public:
  NoGradGuard() : previous_(autograd::grad_mode_enabled()) { autograd::set_grad_mode(false); }
  ~NoGradGuard() { autograd::set_grad_mode(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
  bool previous_;
};

/// Re-enables recording inside a NoGradGuard scope (torch.enable_grad).
class EnableGradGuard {
public:
  EnableGradGuard() : previous_(autograd::grad_mode_enabled()) { autograd::set_grad_mode(true); }
  ~EnableGradGuard() { autograd::set_grad_mode(previous_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

private:
  bool previous_;
};

/// The computation graph behind `root` in Graphviz DOT: operations as ellipses, variables
/// (leaves that require grad) as boxes labelled with their shape, as the lectures draw them.
/// Render with `dot -Tsvg`.
std::string to_dot(const Tensor& root);

/// Computes d(outputs)/d(inputs) without touching the inputs' .grad (torch.autograd.grad).
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs,
                         const Tensor& grad_output = Tensor(), bool retain_graph = false);

}  // namespace nabla
