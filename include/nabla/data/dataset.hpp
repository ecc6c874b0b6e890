// Datasets and the mini-batch loader. A Dataset maps an index to an (input, target) pair;
// a DataLoader draws shuffled mini-batches from it with its own seeded generator, so the same
// seed gives the same batches, and collates them into batched tensors.
//
//   data::TensorDataset train(images_u8, labels);          // images stay uint8 in memory
//   data::DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 0,
//                                   .transform = data::scale_to_unit});
//   for (const data::Batch& b : loader) { ... b.input (64, 1, 28, 28) float32 ... }
#pragma once

#include <nabla/tensor.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace nabla::data {

/// One example, or a batch of them (inputs and targets stacked along a new dim 0).
struct Batch {
  Tensor input{};
  Tensor target{};
};

class Dataset {
public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  /// Example `index` in [0, size()); throws nabla::Error naming index and size otherwise.
  virtual Batch get(int64_t index) const = 0;
  /// The examples at `indices` stacked along dim 0. The default stacks get(i); datasets backed
  /// by tensors override it with one index_select.
  virtual Batch get_batch(const std::vector<int64_t>& indices) const;
  /// Every target stacked along dim 0 (what splits and baselines look at). The default calls
  /// get(i) for every example; tensor-backed datasets return their targets without touching
  /// the inputs. Undefined when the dataset has no targets.
  virtual Tensor targets() const;
};

/// Inputs and targets held as tensors whose dim 0 indexes examples (any dtype: images may stay
/// uint8 until a batch is converted). `targets` may be undefined (inputs to predict on); the
/// batches' targets are then undefined too.
class TensorDataset : public Dataset {
public:
  TensorDataset(Tensor inputs, Tensor targets);
  int64_t size() const override;
  Batch get(int64_t index) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  Tensor targets() const override { return targets_; }
  const Tensor& inputs() const { return inputs_; }

private:
  Tensor inputs_, targets_;
};

/// The examples of `base` at `indices` (shares the base dataset). Indices are checked against
/// the base's size here, once.
class Subset : public Dataset {
public:
  Subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Batch get(int64_t index) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  Tensor targets() const override;
  const std::vector<int64_t>& indices() const { return indices_; }
  const std::shared_ptr<const Dataset>& base() const { return base_; }

private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

/// Several datasets one after another.
class ConcatDataset : public Dataset {
public:
  explicit ConcatDataset(std::vector<std::shared_ptr<const Dataset>> parts);
  int64_t size() const override;
  Batch get(int64_t index) const override;
  /// Each part's share of `indices` fetched with its own get_batch, then joined in order.
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  Tensor targets() const override;

private:
  std::vector<std::shared_ptr<const Dataset>> parts_;
  std::vector<int64_t> offsets_;  // cumulative sizes
};

/// A per-batch transform applied by the loader after collation (e.g. uint8 → float in [0, 1]).
using BatchTransform = std::function<Batch(Batch)>;

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;       // drop a final batch smaller than batch_size
  uint64_t seed = 0;            // the loader's own generator; epochs reshuffle from its stream
  BatchTransform transform{};   // optional, applied to every collated batch
  int64_t prefetch = 0;         // batches prepared ahead on a background thread (0 = none)
};

/// Mini-batches of a dataset, like torch.utils.data.DataLoader with a seeded RandomSampler.
/// With prefetch > 0 a background thread collates (and transforms) the next batches while the
/// caller trains on the current one; the batches are the same as without it, an exception on
/// that thread is rethrown by the iterator, and leaving the loop early stops and joins the
/// thread. The transform then runs on that thread: give it its own Generator. The dataset
/// must outlive the iteration.
class DataLoader {
public:
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options);
  /// Borrows `dataset`, which must outlive the loader.
  DataLoader(const Dataset& dataset, DataLoaderOptions options);

  /// Number of batches per epoch.
  int64_t num_batches() const;
  int64_t batch_size() const { return options_.batch_size; }
  const Dataset& dataset() const { return *dataset_; }
  const DataLoaderOptions& options() const { return options_; }

  /// Starts an epoch: draws this epoch's order (when shuffling) from the loader's generator.
  /// Iterating a loader twice gives two different shuffles, reproducibly. end() draws nothing.
  class Iterator;
  Iterator begin();
  Iterator end();

  /// Like begin(), but the epoch starts at batch `first_batch` (the batches before it are not
  /// made). With the generator set back to epoch_state() this resumes an interrupted epoch:
  ///   loader.generator().set_state(saved_epoch_state);
  ///   for (auto it = loader.begin_at(saved_batch); it != loader.end(); ++it) { ... }
  Iterator begin_at(int64_t first_batch);

  /// The generator, whose state a training checkpoint saves so a resumed run sees the same batches.
  /// Saved between epochs it is all a resume needs; mid-epoch, save epoch_state() and the batch
  /// index instead. Random transforms own their generators: save those too (between epochs, or
  /// mid-epoch with prefetch = 0, since a prefetching producer runs the transform ahead).
  Generator& generator() { return generator_; }
  /// The generator's state just before the current epoch drew its order.
  const Generator::State& epoch_state() const { return epoch_state_; }

  class Iterator {
  public:
    const Batch& operator*() const { return current_; }
    const Batch* operator->() const { return &current_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return position_ == other.position_; }

  private:
    friend class DataLoader;
    Iterator(DataLoader* loader, std::shared_ptr<const std::vector<int64_t>> order, int64_t position);
    void load();
    DataLoader* loader_ = nullptr;
    std::shared_ptr<const std::vector<int64_t>> order_;
    int64_t position_ = 0;  // batch index
    Batch current_;
    std::shared_ptr<struct Prefetcher> prefetcher_;  // shared by copies; the last one joins the thread
  };

private:
  friend struct Prefetcher;
  Batch make_batch(const std::vector<int64_t>& order, int64_t batch_index) const;
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  Generator generator_;
  Generator::State epoch_state_;
};

}  // namespace nabla::data
