// Splitting a dataset: random and stratified splits, train/validation/test, k-fold
// cross-validation, and the naive baselines a model has to beat.
//
//   auto parts = data::train_val_test_split(dataset, {0.8, 0.1, 0.1}, /*seed=*/0, /*stratified=*/true);
//   data::DataLoader train(parts.train, {.batch_size = 64, .shuffle = true});
//   double floor = data::majority_class_baseline(parts.train->targets(), parts.test->targets());
#pragma once

#include <nabla/data/dataset.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace nabla::data {

/// Disjoint random subsets covering the dataset (torch.utils.data.random_split). `sizes` are
/// either lengths summing to the dataset's size, or fractions summing to 1: each part then
/// gets floor(n * fraction) examples and the remainder goes one by one to the parts in order.
std::vector<std::shared_ptr<Subset>> random_split(std::shared_ptr<const Dataset> dataset,
                                                  const std::vector<double>& sizes, Generator& generator);

/// Index sets (one per fraction; fractions sum to 1) that keep each class's share: for every
/// class (an int64 label in `targets`, shape (N,)) its shuffled examples are divided by
/// Hamilton's largest-remainder rule: part i gets floor(n_c * f_i), then the leftover examples
/// go one each to the parts with the largest fractional parts n_c * f_i - floor(n_c * f_i)
/// (ties to the earlier part). So every class's count in every part is within one of
/// n_c * f_i. Within a part, indices are in shuffled order.
std::vector<std::vector<int64_t>> stratified_split_indices(const Tensor& targets, const std::vector<double>& fractions,
                                                           Generator& generator);

/// stratified_split_indices applied to dataset->targets(), as subsets.
std::vector<std::shared_ptr<Subset>> stratified_split(std::shared_ptr<const Dataset> dataset,
                                                      const std::vector<double>& fractions, Generator& generator);

struct TrainValTest {
  std::shared_ptr<Subset> train{}, val{}, test{};
};

/// Train/validation/test subsets from three fractions summing to 1 (any of them may be 0,
/// giving an empty subset), drawn with Generator(seed); stratified by class label when asked
/// (the targets must then be int64 class indices).
TrainValTest train_val_test_split(std::shared_ptr<const Dataset> dataset, const std::vector<double>& fractions,
                                  uint64_t seed, bool stratified = false);

/// One fold: the examples to train on and those held out for validation.
struct Fold {
  std::vector<int64_t> train{}, val{};
};

/// K-fold cross-validation indices (sklearn's KFold): the (optionally shuffled) indices are cut
/// into k consecutive folds, the first n % k of them one larger; fold i validates on fold i and
/// trains on the rest (train indices in ascending order).
class KFold {
public:
  explicit KFold(int64_t k, bool shuffle = true, uint64_t seed = 0);
  /// The k folds for a dataset of n examples (k <= n).
  std::vector<Fold> split(int64_t n) const;
  int64_t k() const { return k_; }

private:
  int64_t k_;
  bool shuffle_;
  uint64_t seed_;
};

struct CrossValidation {
  std::vector<double> scores{};  // one per fold, in fold order
  double mean = 0.0;
  double std = 0.0;  // sample standard deviation (divisor k - 1): the folds are a sample
};

/// Calls fn(train, val) once per fold and summarises the scores it returns.
using FoldFn = std::function<double(std::shared_ptr<const Dataset> train, std::shared_ptr<const Dataset> val)>;
CrossValidation cross_validate(std::shared_ptr<const Dataset> dataset, const KFold& folds, const FoldFn& fn);
/// KFold(k, shuffle = true, seed).
CrossValidation cross_validate(std::shared_ptr<const Dataset> dataset, int64_t k, const FoldFn& fn, uint64_t seed = 0);

/// The most frequent class among int64 labels (the smallest one on ties).
int64_t majority_class(const Tensor& targets);
/// Accuracy of always predicting the majority class of `train_targets` on `test_targets`
/// (the naive classification baseline). The one-argument form uses the same labels for both.
double majority_class_baseline(const Tensor& train_targets, const Tensor& test_targets);
double majority_class_baseline(const Tensor& targets);
/// Mean squared error of always predicting the training targets' mean (per output column for
/// (N, D) targets, averaged over all elements like MSELoss) on `test_targets` (the naive
/// regression baseline). The one-argument form gives the targets' population variance.
double mean_baseline(const Tensor& train_targets, const Tensor& test_targets);
double mean_baseline(const Tensor& targets);

}  // namespace nabla::data
