// Splits: random_split's PyTorch size rule, stratified proportions (Hamilton rounding), the
// train/val/test helper, k-fold coverage and disjointness, cross-validation summary, baselines.
#include <nabla/data/split.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>

namespace nabla::data {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// n examples whose target is the class label given by `labels` (or the index when empty).
std::shared_ptr<TensorDataset> labelled(const std::vector<int64_t>& labels) {
  const auto n = static_cast<int64_t>(labels.size());
  return std::make_shared<TensorDataset>(arange(static_cast<double>(n), float32).reshape({n, 1}),
                                         tensor(labels, {n}));
}

std::vector<int64_t> range(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// Indices of all parts joined and sorted, for cover/disjointness checks.
std::vector<int64_t> joined(const std::vector<std::vector<int64_t>>& parts) {
  std::vector<int64_t> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  std::sort(all.begin(), all.end());
  return all;
}

std::map<int64_t, int64_t> class_counts(const std::vector<int64_t>& indices, const std::vector<int64_t>& labels) {
  std::map<int64_t, int64_t> counts;
  for (int64_t i : indices) ++counts[labels[static_cast<size_t>(i)]];
  return counts;
}

TEST(RandomSplit, LengthsAndFractionsFollowPyTorch) {
  auto ds = labelled(range(11));
  Generator g(0);
  auto by_length = random_split(ds, {3, 8}, g);
  ASSERT_EQ(by_length.size(), 2u);
  EXPECT_EQ(by_length[0]->size(), 3);
  EXPECT_EQ(by_length[1]->size(), 8);
  EXPECT_EQ(joined({by_length[0]->indices(), by_length[1]->indices()}), range(11));
  // floor(11 * f) = 5, 3, 2; the one left over goes to the first part.
  auto by_fraction = random_split(ds, {0.5, 0.3, 0.2}, g);
  EXPECT_EQ(by_fraction[0]->size(), 6);
  EXPECT_EQ(by_fraction[1]->size(), 3);
  EXPECT_EQ(by_fraction[2]->size(), 2);
  EXPECT_EQ(joined({by_fraction[0]->indices(), by_fraction[1]->indices(), by_fraction[2]->indices()}), range(11));
  EXPECT_THAT([&] { random_split(ds, {3, 7}, g); }, ThrowsMessage<Error>(HasSubstr("not to the dataset's size 11")));
  EXPECT_THAT([&] { random_split(ds, {2.5, 8.5}, g); }, ThrowsMessage<Error>(HasSubstr("whole lengths")));
}

TEST(RandomSplit, SeedDeterminesTheSplit) {
  auto ds = labelled(range(30));
  Generator a(4), b(4), c(5);
  EXPECT_EQ(random_split(ds, {0.5, 0.5}, a)[0]->indices(), random_split(ds, {0.5, 0.5}, b)[0]->indices());
  EXPECT_NE(random_split(ds, {0.5, 0.5}, a)[0]->indices(), random_split(ds, {0.5, 0.5}, c)[0]->indices());
}

TEST(StratifiedSplit, ExactProportionsWhenTheyDivide) {
  std::vector<int64_t> labels;
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < (c == 0 ? 50 : c == 1 ? 30 : 20); ++i) labels.push_back(c);
  std::shuffle(labels.begin(), labels.end(), std::mt19937(1));
  Generator g(0);
  const auto parts = stratified_split_indices(tensor(labels, {100}), {0.7, 0.2, 0.1}, g);
  EXPECT_EQ(joined(parts), range(100));
  EXPECT_EQ(class_counts(parts[0], labels), (std::map<int64_t, int64_t>{{0, 35}, {1, 21}, {2, 14}}));
  EXPECT_EQ(class_counts(parts[1], labels), (std::map<int64_t, int64_t>{{0, 10}, {1, 6}, {2, 4}}));
  EXPECT_EQ(class_counts(parts[2], labels), (std::map<int64_t, int64_t>{{0, 5}, {1, 3}, {2, 2}}));
}

TEST(StratifiedSplit, HamiltonRoundingPerClass) {
  // Classes of 7, 5 and 3 split in half: 3.5, 2.5, 1.5 each; leftovers go to the earlier part on ties.
  std::vector<int64_t> labels(7, 0);
  labels.insert(labels.end(), 5, 1);
  labels.insert(labels.end(), 3, 2);
  Generator g(0);
  const auto halves = stratified_split_indices(tensor(labels, {15}), {0.5, 0.5}, g);
  EXPECT_EQ(class_counts(halves[0], labels), (std::map<int64_t, int64_t>{{0, 4}, {1, 3}, {2, 2}}));
  EXPECT_EQ(class_counts(halves[1], labels), (std::map<int64_t, int64_t>{{0, 3}, {1, 2}, {2, 1}}));
  // 10 of one class at 0.25 / 0.35 / 0.4: 2.5, 3.5, 4 → floors 2, 3, 4, the leftover to the
  // largest remainder (0.5 for both the first two: the earlier wins).
  Generator h(0);
  const auto three = stratified_split_indices(tensor(std::vector<int64_t>(10, 3), {10}), {0.25, 0.35, 0.4}, h);
  EXPECT_EQ(three[0].size(), 3u);
  EXPECT_EQ(three[1].size(), 3u);
  EXPECT_EQ(three[2].size(), 4u);
  EXPECT_THAT([&] { stratified_split_indices(zeros({4}), {0.5, 0.5}, g); },
              ThrowsMessage<Error>(HasSubstr("expected int64 class labels")));
  EXPECT_THAT([&] { stratified_split_indices(tensor(labels, {15}), {0.5, 0.6}, g); },
              ThrowsMessage<Error>(HasSubstr("must sum to 1")));
}

TEST(TrainValTestSplit, PlainAndStratified) {
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 200; ++i) labels.push_back(i % 10 < 8 ? 0 : 1);  // 80% / 20%
  auto ds = labelled(labels);
  const TrainValTest plain = train_val_test_split(ds, {0.6, 0.2, 0.2}, 7);
  EXPECT_EQ(plain.train->size(), 120);
  EXPECT_EQ(plain.val->size(), 40);
  EXPECT_EQ(plain.test->size(), 40);
  EXPECT_EQ(joined({plain.train->indices(), plain.val->indices(), plain.test->indices()}), range(200));
  const TrainValTest again = train_val_test_split(ds, {0.6, 0.2, 0.2}, 7);
  EXPECT_EQ(again.val->indices(), plain.val->indices());

  const TrainValTest strat = train_val_test_split(ds, {0.6, 0.2, 0.2}, 7, /*stratified=*/true);
  for (const auto& part : {strat.train, strat.val, strat.test}) {
    const auto counts = class_counts(part->indices(), labels);
    EXPECT_EQ(counts.at(1) * 5, part->size()) << "exactly 20% of class 1 in every part";
  }
  const TrainValTest no_test = train_val_test_split(ds, {0.9, 0.1, 0.0}, 1);
  EXPECT_EQ(no_test.test->size(), 0);
  EXPECT_EQ(no_test.test->targets().shape(), (Shape{0}));
  EXPECT_THROW(train_val_test_split(ds, {0.5, 0.5}, 0), Error);
}

TEST(KFold, FoldsCoverAndAreDisjoint) {
  const auto folds = KFold(3, /*shuffle=*/false).split(10);
  ASSERT_EQ(folds.size(), 3u);
  EXPECT_EQ(folds[0].val, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(folds[1].val, (std::vector<int64_t>{4, 5, 6}));
  EXPECT_EQ(folds[2].val, (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(folds[1].train, (std::vector<int64_t>{0, 1, 2, 3, 7, 8, 9}));

  const auto shuffled = KFold(4, true, 3).split(23);
  std::vector<std::vector<int64_t>> vals;
  for (const Fold& f : shuffled) {
    vals.push_back(f.val);
    std::vector<int64_t> both = f.train;
    both.insert(both.end(), f.val.begin(), f.val.end());
    std::sort(both.begin(), both.end());
    EXPECT_EQ(both, range(23));  // train and val partition the data
    EXPECT_TRUE(std::is_sorted(f.train.begin(), f.train.end()));
  }
  EXPECT_EQ(joined(vals), range(23));  // every example validated exactly once
  EXPECT_NE(shuffled[0].val, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(KFold(4, true, 3).split(23)[2].val, shuffled[2].val);
  EXPECT_THAT([] { KFold(1); }, ThrowsMessage<Error>(HasSubstr("at least 2, got 1")));
  EXPECT_THAT([] { KFold(5).split(4); }, ThrowsMessage<Error>(HasSubstr("cannot make 5 folds from 4 examples")));
}

TEST(CrossValidate, MeanAndSampleStd) {
  auto ds = labelled(range(10));
  int calls = 0;
  const CrossValidation cv = cross_validate(ds, KFold(3, false), [&](auto train, auto val) {
    ++calls;
    EXPECT_EQ(train->size() + val->size(), 10);
    std::set<int64_t> seen;
    for (int64_t v : train->targets().template to_vector<int64_t>()) seen.insert(v);
    for (int64_t v : val->targets().template to_vector<int64_t>()) EXPECT_FALSE(seen.count(v));
    return static_cast<double>(val->size());
  });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(cv.scores, (std::vector<double>{4, 3, 3}));
  EXPECT_DOUBLE_EQ(cv.mean, 10.0 / 3.0);
  EXPECT_NEAR(cv.std, std::sqrt(1.0 / 3.0), 1e-12);  // divisor k - 1
  const CrossValidation by_k = cross_validate(ds, 5, [](auto, auto val) { return static_cast<double>(val->size()); });
  EXPECT_EQ(by_k.scores, std::vector<double>(5, 2.0));
  EXPECT_EQ(by_k.std, 0.0);
}

TEST(Baselines, MajorityClassAndMean) {
  const Tensor labels = tensor(std::vector<int64_t>{2, 2, 1, 1, 0}, {5});
  EXPECT_EQ(majority_class(labels), 1);  // a tie between 1 and 2: the smaller
  EXPECT_DOUBLE_EQ(majority_class_baseline(tensor(std::vector<int64_t>{0, 0, 1}, {3})), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(majority_class_baseline(tensor(std::vector<int64_t>{3, 3, 3, 1}, {4}),
                                           tensor(std::vector<int64_t>{1, 3, 1, 1, 1}, {5})),
                   0.2);
  EXPECT_THAT([] { majority_class(zeros({3})); }, ThrowsMessage<Error>(HasSubstr("expected int64 class labels")));

  EXPECT_DOUBLE_EQ(mean_baseline(tensor({1.0f, 2.0f, 3.0f, 4.0f})), 1.25);
  EXPECT_DOUBLE_EQ(mean_baseline(tensor({0.0f, 2.0f}), tensor({1.0f, 3.0f})), 2.0);
  // (N, 2) targets: per-column means (1, 10); squared errors 0, 1, 4, 1 averaged.
  EXPECT_DOUBLE_EQ(mean_baseline(tensor(std::vector<float>{0, 9, 2, 11}, {2, 2}),
                                 tensor(std::vector<float>{1, 11, 3, 9}, {2, 2})),
                   (0.0 + 1.0 + 4.0 + 1.0) / 4.0);
  EXPECT_THAT([] { mean_baseline(zeros({3, 2}), zeros({3, 3})); }, ThrowsMessage<Error>(HasSubstr("differ beyond dim 0")));
}

}  // namespace
}  // namespace nabla::data
