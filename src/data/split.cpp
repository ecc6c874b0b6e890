// Random, stratified and k-fold splits of a dataset's indices, and the naive baselines.
#include <nabla/data/split.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace nabla::data {
namespace {

std::vector<int64_t> permutation(int64_t n, Generator& generator) {
  const Tensor perm = randperm(n, generator);
  const int64_t* p = perm.data_ptr<int64_t>();
  return {p, p + n};
}

void check_fractions(const char* op, const std::vector<double>& fractions) {
  NABLA_CHECK(!fractions.empty(), op, ": expected at least one fraction");
  double sum = 0.0;
  for (double f : fractions) {
    NABLA_CHECK(f >= 0.0 && f <= 1.0, op, ": every fraction must be in [0, 1], got ", fractions);
    sum += f;
  }
  NABLA_CHECK(std::abs(sum - 1.0) <= 1e-9, op, ": the fractions must sum to 1, got ", fractions, " (sum ", sum, ")");
}

// Lengths from PyTorch's rule: integral lengths summing to n, or fractions summing to 1.
std::vector<int64_t> split_lengths(const std::vector<double>& sizes, int64_t n) {
  NABLA_CHECK(!sizes.empty(), "random_split: expected at least one size");
  const double sum = std::accumulate(sizes.begin(), sizes.end(), 0.0);
  std::vector<int64_t> lengths;
  if (std::abs(sum - 1.0) <= 1e-9 && sum <= 1.0 + 1e-12) {
    check_fractions("random_split", sizes);
    for (double f : sizes) lengths.push_back(static_cast<int64_t>(std::floor(static_cast<double>(n) * f)));
    const int64_t remainder = n - std::accumulate(lengths.begin(), lengths.end(), int64_t{0});
    for (int64_t i = 0; i < remainder; ++i) ++lengths[static_cast<size_t>(i) % lengths.size()];
    return lengths;
  }
  for (double s : sizes) {
    NABLA_CHECK(s >= 0.0 && s == std::floor(s), "random_split: sizes must be whole lengths summing to the dataset's ",
                "size or fractions summing to 1, got ", sizes);
    lengths.push_back(static_cast<int64_t>(s));
  }
  NABLA_CHECK(std::accumulate(lengths.begin(), lengths.end(), int64_t{0}) == n, "random_split: the lengths ", sizes,
              " sum to ", sum, ", not to the dataset's size ", n);
  return lengths;
}

// Hamilton's rule: floor(n * f_i) each, leftovers to the largest fractional parts (earlier on ties).
std::vector<int64_t> apportion(int64_t n, const std::vector<double>& fractions) {
  std::vector<int64_t> counts;
  std::vector<double> remainders;
  for (double f : fractions) {
    const double exact = static_cast<double>(n) * f;
    counts.push_back(static_cast<int64_t>(std::floor(exact + 1e-9)));
    remainders.push_back(exact - static_cast<double>(counts.back()));
  }
  int64_t left = n - std::accumulate(counts.begin(), counts.end(), int64_t{0});
  std::vector<size_t> order(fractions.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
  for (size_t i = 0; left > 0; i = (i + 1) % order.size(), --left) ++counts[order[i]];
  return counts;
}

std::vector<int64_t> labels_of(const char* op, const Tensor& targets) {
  NABLA_CHECK(targets.defined(), op, ": the dataset has no targets");
  NABLA_CHECK(targets.dtype() == int64 && targets.ndim() == 1, op,
              ": expected int64 class labels of shape (N,), got ", targets.dtype(), " of shape ", targets.shape());
  return targets.to_vector<int64_t>();
}

std::vector<std::shared_ptr<Subset>> as_subsets(const std::shared_ptr<const Dataset>& dataset,
                                                std::vector<std::vector<int64_t>> parts) {
  std::vector<std::shared_ptr<Subset>> out;
  for (auto& part : parts) out.push_back(std::make_shared<Subset>(dataset, std::move(part)));
  return out;
}

}  // namespace

std::vector<std::shared_ptr<Subset>> random_split(std::shared_ptr<const Dataset> dataset,
                                                  const std::vector<double>& sizes, Generator& generator) {
  NABLA_CHECK(dataset != nullptr, "random_split: the dataset is null");
  const std::vector<int64_t> lengths = split_lengths(sizes, dataset->size());
  const std::vector<int64_t> order = permutation(dataset->size(), generator);
  std::vector<std::vector<int64_t>> parts;
  auto it = order.begin();
  for (int64_t len : lengths) {
    parts.emplace_back(it, it + len);
    it += len;
  }
  return as_subsets(dataset, std::move(parts));
}

std::vector<std::vector<int64_t>> stratified_split_indices(const Tensor& targets, const std::vector<double>& fractions,
                                                           Generator& generator) {
  check_fractions("stratified_split", fractions);
  const std::vector<int64_t> labels = labels_of("stratified_split", targets);
  // One shuffle of everything, then each class's members in that shuffled order.
  const std::vector<int64_t> order = permutation(static_cast<int64_t>(labels.size()), generator);
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (int64_t i : order) by_class[labels[static_cast<size_t>(i)]].push_back(i);
  std::vector<std::vector<int64_t>> parts(fractions.size());
  for (const auto& [label, members] : by_class) {
    const std::vector<int64_t> counts = apportion(static_cast<int64_t>(members.size()), fractions);
    auto it = members.begin();
    for (size_t p = 0; p < parts.size(); ++p) {
      parts[p].insert(parts[p].end(), it, it + counts[p]);
      it += counts[p];
    }
  }
  // Classes were appended one after another: reshuffle each part so batches mix classes.
  for (auto& part : parts) {
    const std::vector<int64_t> mix = permutation(static_cast<int64_t>(part.size()), generator);
    std::vector<int64_t> mixed;
    mixed.reserve(part.size());
    for (int64_t j : mix) mixed.push_back(part[static_cast<size_t>(j)]);
    part = std::move(mixed);
  }
  return parts;
}

std::vector<std::shared_ptr<Subset>> stratified_split(std::shared_ptr<const Dataset> dataset,
                                                      const std::vector<double>& fractions, Generator& generator) {
  NABLA_CHECK(dataset != nullptr, "stratified_split: the dataset is null");
  return as_subsets(dataset, stratified_split_indices(dataset->targets(), fractions, generator));
}

TrainValTest train_val_test_split(std::shared_ptr<const Dataset> dataset, const std::vector<double>& fractions,
                                  uint64_t seed, bool stratified) {
  NABLA_CHECK(dataset != nullptr, "train_val_test_split: the dataset is null");
  NABLA_CHECK(fractions.size() == 3, "train_val_test_split: expected three fractions (train, validation, test), got ",
              fractions);
  check_fractions("train_val_test_split", fractions);
  Generator generator(seed);
  auto parts = stratified ? stratified_split(dataset, fractions, generator) : random_split(dataset, fractions, generator);
  return {parts[0], parts[1], parts[2]};
}

// ---- k-fold ----------------------------------------------------------------------------------

KFold::KFold(int64_t k, bool shuffle, uint64_t seed) : k_(k), shuffle_(shuffle), seed_(seed) {
  NABLA_CHECK(k >= 2, "KFold: k must be at least 2, got ", k);
}

std::vector<Fold> KFold::split(int64_t n) const {
  NABLA_CHECK(n >= k_, "KFold: cannot make ", k_, " folds from ", n, " examples (need k <= n)");
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (shuffle_) {
    Generator generator(seed_);
    order = permutation(n, generator);
  }
  std::vector<Fold> folds;
  int64_t start = 0;
  for (int64_t f = 0; f < k_; ++f) {
    const int64_t len = n / k_ + (f < n % k_ ? 1 : 0);
    Fold fold;
    fold.val.assign(order.begin() + start, order.begin() + start + len);
    std::vector<bool> held_out(static_cast<size_t>(n), false);
    for (int64_t i : fold.val) held_out[static_cast<size_t>(i)] = true;
    for (int64_t i = 0; i < n; ++i)
      if (!held_out[static_cast<size_t>(i)]) fold.train.push_back(i);
    folds.push_back(std::move(fold));
    start += len;
  }
  return folds;
}

CrossValidation cross_validate(std::shared_ptr<const Dataset> dataset, const KFold& folds, const FoldFn& fn) {
  NABLA_CHECK(dataset != nullptr, "cross_validate: the dataset is null");
  NABLA_CHECK(static_cast<bool>(fn), "cross_validate: the scoring function is empty");
  CrossValidation cv;
  for (Fold& fold : folds.split(dataset->size())) {
    auto train = std::make_shared<Subset>(dataset, std::move(fold.train));
    auto val = std::make_shared<Subset>(dataset, std::move(fold.val));
    cv.scores.push_back(fn(train, val));
  }
  const double k = static_cast<double>(cv.scores.size());
  cv.mean = std::accumulate(cv.scores.begin(), cv.scores.end(), 0.0) / k;
  double squares = 0.0;
  for (double s : cv.scores) squares += (s - cv.mean) * (s - cv.mean);
  cv.std = std::sqrt(squares / (k - 1.0));
  return cv;
}

CrossValidation cross_validate(std::shared_ptr<const Dataset> dataset, int64_t k, const FoldFn& fn, uint64_t seed) {
  return cross_validate(std::move(dataset), KFold(k, true, seed), fn);
}

// ---- baselines -------------------------------------------------------------------------------

int64_t majority_class(const Tensor& targets) {
  const std::vector<int64_t> labels = labels_of("majority_class", targets);
  NABLA_CHECK(!labels.empty(), "majority_class: no labels");
  std::map<int64_t, int64_t> counts;
  for (int64_t l : labels) ++counts[l];
  // std::map iterates in ascending label order, and only a strictly larger count wins.
  auto best = counts.begin();
  for (auto it = counts.begin(); it != counts.end(); ++it)
    if (it->second > best->second) best = it;
  return best->first;
}

double majority_class_baseline(const Tensor& train_targets, const Tensor& test_targets) {
  const int64_t guess = majority_class(train_targets);
  const std::vector<int64_t> test = labels_of("majority_class_baseline", test_targets);
  NABLA_CHECK(!test.empty(), "majority_class_baseline: no test labels");
  const auto hits = std::count(test.begin(), test.end(), guess);
  return static_cast<double>(hits) / static_cast<double>(test.size());
}

double majority_class_baseline(const Tensor& targets) { return majority_class_baseline(targets, targets); }

double mean_baseline(const Tensor& train_targets, const Tensor& test_targets) {
  NABLA_CHECK(train_targets.defined() && test_targets.defined(), "mean_baseline: the targets are undefined");
  NABLA_CHECK(train_targets.ndim() >= 1 && train_targets.size(0) >= 1 && test_targets.ndim() >= 1 &&
                  test_targets.size(0) >= 1,
              "mean_baseline: expected at least one target along dim 0, got train ", train_targets.shape(),
              " and test ", test_targets.shape());
  const Shape train_rest(train_targets.shape().begin() + 1, train_targets.shape().end());
  const Shape test_rest(test_targets.shape().begin() + 1, test_targets.shape().end());
  NABLA_CHECK(train_rest == test_rest, "mean_baseline: train targets ", train_targets.shape(), " and test targets ",
              test_targets.shape(), " differ beyond dim 0");
  const Tensor mean = train_targets.detach().to(float64).mean(0);
  return (test_targets.detach().to(float64) - mean).square().mean().item();
}

double mean_baseline(const Tensor& targets) { return mean_baseline(targets, targets); }

}  // namespace nabla::data
