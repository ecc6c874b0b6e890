// Recording ops into the graph: saved tensors with version checks, gradient edges, and
// the in-place safety rule.
#include "autograd/record.hpp"

#include "autograd/anomaly.hpp"

#include "tensor/internal.hpp"

namespace nabla::autograd {

SavedTensor::SavedTensor(const Tensor& t) : tensor_(t.defined() ? t.detach() : Tensor()) {
  if (t.defined()) version_ = t.impl()->storage->version;
}

const Tensor& SavedTensor::get() const {
  NABLA_CHECK(!tensor_.defined() || tensor_.impl()->storage->version == version_,
              "a tensor of shape ", tensor_.shape(), " needed for gradient computation was modified by an in-place "
              "operation after it was used (version ", version_, " when saved, now ", tensor_.impl()->storage->version,
              "); use an out-of-place op (e.g. add instead of add_) or clone() it first");
  return tensor_;
}

Node::~Node() {
  // Plain member destruction would destroy next[0], whose destructor destroys its own next[0],
  // and so on: one stack frame per node of a chain. Instead, take over every edge we are the last
  // owner of and empty them one by one from a heap-allocated list.
  std::vector<std::shared_ptr<Node>> orphans;
  auto adopt = [&orphans](std::vector<std::shared_ptr<Node>>& edges) {
    for (auto& edge : edges)
      if (edge && edge.use_count() == 1) orphans.push_back(std::move(edge));
    edges.clear();
  };
  adopt(next);
  while (!orphans.empty()) {
    std::shared_ptr<Node> node = std::move(orphans.back());
    orphans.pop_back();
    adopt(node->next);
    node->backward = nullptr;  // its saved tensors go now, while its edges are already empty
  }
}

bool needs_grad(std::initializer_list<Tensor> inputs) {
  if (!grad_mode_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!grad_mode_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

std::shared_ptr<Node> gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  TensorImpl* impl = t.impl();
  if (impl->grad_fn) return impl->grad_fn;
  std::shared_ptr<Node> acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<Node>();
    acc->name = "AccumulateGrad";
    acc->accumulates = true;
    acc->variable = t.impl_ptr();
    acc->output_shape = impl->shape;
    acc->output_dtype = impl->dtype;
    impl->grad_accumulator = acc;
  }
  return acc;
}

namespace {
thread_local int64_t recorded_ops = 0;
}  // namespace

Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs, BackwardFn backward) {
  if (!needs_grad(inputs)) return out;
  const int64_t sequence_nr = ++recorded_ops;
  if (is_anomaly_enabled()) check_forward(name, sequence_nr, out, inputs);
  auto node = std::make_shared<Node>();
  node->name = name;
  node->sequence_nr = sequence_nr;
  node->next.reserve(inputs.size());
  node->input_shapes.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    node->next.push_back(gradient_edge(t));
    node->input_shapes.push_back(t.defined() ? t.shape() : Shape{});
  }
  node->backward = std::move(backward);
  node->output_shape = out.shape();
  node->output_dtype = out.dtype();
  // The output may be a view sharing an input's impl fields; give it its own identity.
  if (!out.impl()->grad_fn && !out.requires_grad()) {
    out.impl()->grad_fn = std::move(node);
    out.impl()->requires_grad = true;
    return out;
  }
  Tensor fresh = detail::make_view(out, out.shape(), out.strides(), out.storage_offset());
  fresh.impl()->grad_fn = std::move(node);
  fresh.impl()->requires_grad = true;
  return fresh;
}

void check_inplace(const Tensor& self, std::initializer_list<Tensor> others) {
  detail::check_defined("in-place operation", self);
  if (grad_mode_enabled()) {
    NABLA_CHECK(!self.requires_grad(), "in-place operation on a tensor of shape ", self.shape(),
                " that requires grad", self.is_leaf() ? " (a leaf)" : " (part of a graph)",
                " while grad mode is on; wrap parameter updates in nabla::NoGradGuard, or use the out-of-place op");
    for (const Tensor& t : others)
      NABLA_CHECK(!t.defined() || !t.requires_grad(), "in-place operation reading a tensor of shape ", t.shape(),
                  " that requires grad while grad mode is on; the result would not be differentiable. Use the "
                  "out-of-place op, or nabla::NoGradGuard");
  }
  self.impl()->storage->version += 1;
}

}  // namespace nabla::autograd
