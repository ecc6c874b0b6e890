// Datasets: the default stacking collation, tensor-backed datasets (one index_select per
// batch), subsets and concatenations. Every index is checked before it is used.
#include <nabla/data/dataset.hpp>

#include <algorithm>

namespace nabla::data {
namespace {

void check_index(const char* who, int64_t index, int64_t size) {
  NABLA_CHECK(index >= 0 && index < size, who, ": index ", index, " is out of range for a dataset of size ", size,
              " (expected 0 to ", size - 1, ")");
}

// Stacks the parts' inputs and targets; targets stay undefined when the examples have none.
Batch stack_examples(const std::vector<Batch>& examples) {
  std::vector<Tensor> inputs, targets;
  inputs.reserve(examples.size());
  for (const Batch& e : examples) inputs.push_back(e.input);
  const bool labelled = !examples.empty() && examples.front().target.defined();
  if (labelled) {
    for (const Batch& e : examples) {
      NABLA_CHECK(e.target.defined(), "Dataset::get_batch: some examples have a target and some do not");
      targets.push_back(e.target);
    }
  }
  return {stack(inputs), labelled ? stack(targets) : Tensor()};
}

Tensor index_tensor(const std::vector<int64_t>& indices) {
  return tensor(indices, {static_cast<int64_t>(indices.size())});
}

}  // namespace

Batch Dataset::get_batch(const std::vector<int64_t>& indices) const {
  NABLA_CHECK(!indices.empty(), "Dataset::get_batch: expected at least one index");
  std::vector<Batch> examples;
  examples.reserve(indices.size());
  for (int64_t i : indices) examples.push_back(get(i));
  return stack_examples(examples);
}

Tensor Dataset::targets() const {
  if (size() == 0) return Tensor();
  std::vector<Tensor> all;
  all.reserve(static_cast<size_t>(size()));
  for (int64_t i = 0; i < size(); ++i) {
    Tensor t = get(i).target;
    if (!t.defined()) return Tensor();
    all.push_back(t);
  }
  return stack(all);
}

// ---- TensorDataset ---------------------------------------------------------------------------

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  NABLA_CHECK(inputs_.defined(), "TensorDataset: inputs are undefined");
  NABLA_CHECK(inputs_.ndim() >= 1, "TensorDataset: inputs must have a dim 0 indexing examples, got shape ",
              inputs_.shape());
  if (targets_.defined()) {
    NABLA_CHECK(targets_.ndim() >= 1 && targets_.size(0) == inputs_.size(0),
                "TensorDataset: inputs and targets must have the same size along dim 0, got inputs ", inputs_.shape(),
                " and targets ", targets_.shape());
  }
}

int64_t TensorDataset::size() const { return inputs_.size(0); }

Batch TensorDataset::get(int64_t index) const {
  check_index("TensorDataset::get", index, size());
  return {inputs_.select(0, index), targets_.defined() ? targets_.select(0, index) : Tensor()};
}

Batch TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  NABLA_CHECK(!indices.empty(), "TensorDataset::get_batch: expected at least one index");
  for (int64_t i : indices) check_index("TensorDataset::get_batch", i, size());
  const Tensor index = index_tensor(indices);
  return {inputs_.index_select(0, index), targets_.defined() ? targets_.index_select(0, index) : Tensor()};
}

// ---- Subset ----------------------------------------------------------------------------------

Subset::Subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  NABLA_CHECK(base_ != nullptr, "Subset: the base dataset is null");
  const int64_t n = base_->size();
  for (int64_t i : indices_) check_index("Subset", i, n);
}

Batch Subset::get(int64_t index) const {
  check_index("Subset::get", index, size());
  return base_->get(indices_[static_cast<size_t>(index)]);
}

Batch Subset::get_batch(const std::vector<int64_t>& indices) const {
  std::vector<int64_t> mapped;
  mapped.reserve(indices.size());
  for (int64_t i : indices) {
    check_index("Subset::get_batch", i, size());
    mapped.push_back(indices_[static_cast<size_t>(i)]);
  }
  return base_->get_batch(mapped);
}

Tensor Subset::targets() const {
  const Tensor all = base_->targets();
  if (!all.defined()) return Tensor();
  return all.index_select(0, index_tensor(indices_));
}

// ---- ConcatDataset ---------------------------------------------------------------------------

ConcatDataset::ConcatDataset(std::vector<std::shared_ptr<const Dataset>> parts) : parts_(std::move(parts)) {
  int64_t total = 0;
  for (size_t i = 0; i < parts_.size(); ++i) {
    NABLA_CHECK(parts_[i] != nullptr, "ConcatDataset: part ", i, " is null");
    total += parts_[i]->size();
    offsets_.push_back(total);
  }
}

int64_t ConcatDataset::size() const { return offsets_.empty() ? 0 : offsets_.back(); }

Batch ConcatDataset::get(int64_t index) const {
  check_index("ConcatDataset::get", index, size());
  const auto part = static_cast<size_t>(std::upper_bound(offsets_.begin(), offsets_.end(), index) - offsets_.begin());
  const int64_t start = part == 0 ? 0 : offsets_[part - 1];
  return parts_[part]->get(index - start);
}

Batch ConcatDataset::get_batch(const std::vector<int64_t>& indices) const {
  NABLA_CHECK(!indices.empty(), "ConcatDataset::get_batch: expected at least one index");
  // Runs of consecutive indices in the same part go to that part's get_batch together.
  std::vector<Batch> runs;
  size_t i = 0;
  while (i < indices.size()) {
    check_index("ConcatDataset::get_batch", indices[i], size());
    const auto part =
        static_cast<size_t>(std::upper_bound(offsets_.begin(), offsets_.end(), indices[i]) - offsets_.begin());
    const int64_t start = part == 0 ? 0 : offsets_[part - 1];
    std::vector<int64_t> local;
    for (; i < indices.size() && indices[i] >= start && indices[i] < offsets_[part]; ++i)
      local.push_back(indices[i] - start);
    runs.push_back(parts_[part]->get_batch(local));
  }
  if (runs.size() == 1) return runs.front();
  std::vector<Tensor> inputs, targets;
  for (const Batch& r : runs) {
    inputs.push_back(r.input);
    if (r.target.defined()) targets.push_back(r.target);
  }
  NABLA_CHECK(targets.empty() || targets.size() == runs.size(),
              "ConcatDataset::get_batch: some parts have targets and some do not");
  return {cat(inputs), targets.empty() ? Tensor() : cat(targets)};
}

Tensor ConcatDataset::targets() const {
  std::vector<Tensor> all;
  for (const auto& part : parts_) {
    if (part->size() == 0) continue;
    Tensor t = part->targets();
    if (!t.defined()) return Tensor();
    all.push_back(t);
  }
  return all.empty() ? Tensor() : cat(all);
}

}  // namespace nabla::data
