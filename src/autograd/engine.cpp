// Reverse-mode engine: orders the graph behind a root topologically (iteratively, so deep
// graphs cannot overflow the stack), then sends each node's summed output gradient through
// its backward closure, in reverse order, accumulating into leaves' .grad at the end.
#include "autograd/engine.hpp"

#include "autograd/anomaly.hpp"
#include "autograd/record.hpp"
#include "tensor/internal.hpp"

#include <unordered_map>
#include <unordered_set>

namespace nabla::autograd {
namespace {

thread_local bool grad_mode = true;

// Nodes reachable from `root` with their number of incoming edges (consumers).
std::unordered_map<Node*, int> count_dependencies(Node* root) {
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack{root};
  std::unordered_set<Node*> seen{root};
  deps[root] = 0;
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const auto& next : node->next) {
      if (!next) continue;
      deps[next.get()] += 1;
      if (seen.insert(next.get()).second) stack.push_back(next.get());
    }
  }
  return deps;
}

void accumulate_into_leaf(Node& node, const Tensor& g) {
  auto leaf_impl = node.variable.lock();
  if (!leaf_impl) return;  // the leaf died; nobody can read its gradient
  Tensor leaf(leaf_impl);
  Tensor current = leaf.grad();
  if (!current.defined()) {
    // Optimisers update .grad in place, so it must not alias anything: a gradient nobody else
    // holds (the usual fresh result of a backward function) is kept as it is, as PyTorch's
    // AccumulateGrad does; anything else is copied. This saves a parameter-sized copy per step.
    const bool unshared = g.is_contiguous() && g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1 &&
                          !g.requires_grad() && !g.impl()->grad_fn;
    leaf.set_grad(unshared ? g : g.clone());
  } else {
    current.add_(g);
  }
}

Tensor root_gradient(const Tensor& root, const Tensor& gradient) {
  if (!gradient.defined()) {
    NABLA_CHECK(root.numel() == 1, "backward(): the tensor has shape ", root.shape(),
                "; a gradient can be created implicitly only for one-element outputs. Reduce it (e.g. .sum() or "
                ".mean()) or pass a gradient of the same shape");
    return ones(root.shape(), root.dtype());
  }
  NABLA_CHECK(gradient.shape() == root.shape(), "backward(): gradient shape ", gradient.shape(),
              " does not match the output shape ", root.shape());
  detail::check_same_dtype("backward()", root, gradient);
  return gradient;
}

// Runs the graph from root; `capture` maps nodes whose incoming gradient is wanted (nabla::grad)
// to result slots, in which case leaves' .grad are left alone.
void execute(const Tensor& root, const Tensor& gradient, bool retain_graph,
             const std::unordered_map<Node*, std::vector<size_t>>* capture, std::vector<Tensor>* captured) {
  NABLA_CHECK(root.requires_grad(), "backward(): the tensor does not require grad and has no grad_fn; call "
              "requires_grad_() on the inputs you want gradients for before computing it");
  NoGradGuard no_grad;
  std::shared_ptr<Node> root_node = gradient_edge(root);
  std::unordered_map<Node*, int> deps = count_dependencies(root_node.get());
  std::unordered_map<Node*, Tensor> buffers;
  buffers[root_node.get()] = root_gradient(root, gradient);
  const bool anomaly = is_anomaly_enabled();
  if (anomaly) check_root(buffers[root_node.get()]);

  // Kahn's algorithm: a node runs once every consumer has delivered its gradient.
  std::vector<std::shared_ptr<Node>> ready{root_node};
  while (!ready.empty()) {
    std::shared_ptr<Node> node = std::move(ready.back());
    ready.pop_back();
    Tensor g = std::move(buffers[node.get()]);
    buffers.erase(node.get());
    if (capture) {
      auto it = capture->find(node.get());
      if (it != capture->end())
        for (size_t slot : it->second) (*captured)[slot] = g;
    }
    if (anomaly && node != root_node) check_incoming(*node, g);
    if (node->accumulates) {
      if (!capture) accumulate_into_leaf(*node, g);
      continue;
    }
    NABLA_CHECK(!node->released, "backward(): trying to go through ", node->name,
                " a second time, but its saved tensors were freed after the first backward. Pass retain_graph=true "
                "to the first backward() if you need to differentiate twice");
    std::vector<Tensor> grads = node->backward(g);
    NABLA_CHECK(grads.size() == node->next.size(), node->name, " returned ", grads.size(), " gradients for ",
                node->next.size(), " inputs");
    if (anomaly) check_backward(*node, grads);
    for (size_t i = 0; i < grads.size(); ++i) {
      Node* next = node->next[i].get();
      if (!next) continue;
      if (grads[i].defined()) {
        NABLA_CHECK(grads[i].shape() == node->input_shapes[i], node->name, " returned a gradient of shape ",
                    grads[i].shape(), " for input ", i, " of shape ", node->input_shapes[i]);
        Tensor& buffer = buffers[next];
        buffer = buffer.defined() ? buffer.add(grads[i]) : grads[i];
      }
      if (--deps[next] == 0) {
        // A node that received no gradient at all (every path gave undefined) is skipped.
        if (buffers.count(next) && buffers[next].defined())
          ready.push_back(node->next[i]);
        else
          buffers.erase(next);
      }
    }
    if (!retain_graph) {
      node->backward = nullptr;  // frees the saved tensors
      node->released = true;
    }
  }
}

}  // namespace

bool grad_mode_enabled() { return grad_mode; }
void set_grad_mode(bool enabled) { grad_mode = enabled; }

void run_backward(const Tensor& root, const Tensor& gradient, bool retain_graph) {
  execute(root, gradient, retain_graph, nullptr, nullptr);
}

std::vector<Tensor> run_grad(const Tensor& root, const std::vector<Tensor>& inputs, const Tensor& gradient,
                             bool retain_graph) {
  std::unordered_map<Node*, std::vector<size_t>> capture;
  std::vector<std::shared_ptr<Node>> keep;  // accumulators made here must outlive the run
  for (size_t i = 0; i < inputs.size(); ++i) {
    NABLA_CHECK(inputs[i].requires_grad(), "grad(): input ", i, " of shape ", inputs[i].shape(),
                " does not require grad");
    keep.push_back(gradient_edge(inputs[i]));
    capture[keep.back().get()].push_back(i);
  }
  std::vector<Tensor> result(inputs.size());
  execute(root, gradient, retain_graph, &capture, &result);
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!result[i].defined()) result[i] = zeros(inputs[i].shape(), inputs[i].dtype());
  return result;
}

}  // namespace nabla::autograd

namespace nabla {
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const Tensor& grad_output,
                         bool retain_graph) {
  return autograd::run_grad(output, inputs, grad_output, retain_graph);
}
}  // namespace nabla
