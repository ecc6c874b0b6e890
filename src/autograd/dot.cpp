// Graphviz export of a computation graph, drawn as in the lectures: variables (leaves that
// require grad) as boxes with their shape, operations as ellipses, edges in the direction
// of the forward computation, and the output as a doubly outlined box.
#include <nabla/autograd.hpp>

#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace nabla {
namespace {

std::string shape_label(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

std::string to_dot(const Tensor& root) {
  std::ostringstream os;
  os << "digraph nabla {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
  os << "  output [shape=box, peripheries=2, label=\"output\\n" << shape_label(root.shape()) << "\"];\n";
  if (!root.grad_fn()) {
    os << "}\n";
    return os.str();
  }
  std::unordered_map<const autograd::Node*, std::string> ids;
  auto id_of = [&](const autograd::Node* n) {
    auto it = ids.find(n);
    if (it == ids.end()) it = ids.emplace(n, "n" + std::to_string(ids.size())).first;
    return it->second;
  };
  const autograd::Node* top = root.grad_fn().get();
  os << "  " << id_of(top) << " -> output;\n";
  std::vector<const autograd::Node*> stack{top};
  std::unordered_set<const autograd::Node*> visited{top};
  while (!stack.empty()) {
    const autograd::Node* node = stack.back();
    stack.pop_back();
    const std::string id = id_of(node);
    if (node->accumulates) {
      os << "  " << id << " [shape=box, style=filled, fillcolor=\"#dbeafe\", label=\"variable\\n"
         << shape_label(node->output_shape) << "\"];\n";
      continue;
    }
    std::string op = node->name;
    if (op.size() > 8 && op.ends_with("Backward")) op.resize(op.size() - 8);
    os << "  " << id << " [shape=ellipse, label=\"" << op << "\\n" << shape_label(node->output_shape) << "\"];\n";
    for (size_t i = 0; i < node->next.size(); ++i) {
      if (node->next[i]) {
        os << "  " << id_of(node->next[i].get()) << " -> " << id << ";\n";
        if (visited.insert(node->next[i].get()).second) stack.push_back(node->next[i].get());
      } else {
        // An input that needs no gradient (data, constants): drawn as a plain grey box.
        os << "  " << id << "_c" << i << " [shape=box, color=gray, fontcolor=gray, label=\"constant\\n"
           << shape_label(node->input_shapes[i]) << "\"];\n  " << id << "_c" << i << " -> " << id << ";\n";
      }
    }
  }
  os << "}\n";
  return os.str();
}

}  // namespace nabla
