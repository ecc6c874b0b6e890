// Datasets and the DataLoader: coverage of every index per epoch, batch shapes, drop_last,
// seeded shuffles, prefetching (identical batches, early exit, producer exceptions).
#include <nabla/data/dataset.hpp>

#include "../support/message_of.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>

using nabla::testing::message_of;

namespace nabla::data {
namespace {

// n examples: input row i is (i, 10 i) float32, target i int64, so a batch shows its indices.
std::shared_ptr<TensorDataset> numbered(int64_t n) {
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    x.push_back(static_cast<float>(i));
    x.push_back(static_cast<float>(10 * i));
    y.push_back(i);
  }
  return std::make_shared<TensorDataset>(tensor(x, {n, 2}), tensor(y, {n}));
}

// Each batch's target indices, one vector per batch.
std::vector<std::vector<int64_t>> epoch(DataLoader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (const Batch& b : loader) out.push_back(b.target.to_vector<int64_t>());
  return out;
}

TEST(TensorDataset, GetAndGetBatch) {
  auto ds = numbered(5);
  EXPECT_EQ(ds->size(), 5);
  const Batch one = ds->get(3);
  EXPECT_EQ(one.input.shape(), (Shape{2}));
  EXPECT_EQ(one.input.to_vector<float>(), (std::vector<float>{3, 30}));
  EXPECT_EQ(one.target.item<int64_t>(), 3);
  const Batch b = ds->get_batch({4, 0, 2});
  EXPECT_EQ(b.input.shape(), (Shape{3, 2}));
  EXPECT_EQ(b.input.to_vector<float>(), (std::vector<float>{4, 40, 0, 0, 2, 20}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{4, 0, 2}));
}

TEST(TensorDataset, KeepsUint8AndAllowsMissingTargets) {
  TensorDataset images(zeros({4, 1, 2, 2}, uint8), Tensor());
  const Batch b = images.get_batch({1, 2});
  EXPECT_EQ(b.input.dtype(), uint8);
  EXPECT_EQ(b.input.shape(), (Shape{2, 1, 2, 2}));
  EXPECT_FALSE(b.target.defined());
  EXPECT_FALSE(images.targets().defined());
}

TEST(TensorDataset, Errors) {
  EXPECT_THAT(message_of([] { TensorDataset(zeros({3, 2}), zeros({4})); }),
              ::testing::AllOf(::testing::HasSubstr("[3, 2]"), ::testing::HasSubstr("[4]")));
  auto ds = numbered(5);
  EXPECT_THAT(message_of([&] { ds->get(5); }), ::testing::HasSubstr("index 5 is out of range for a dataset of size 5"));
  EXPECT_THAT(message_of([&] { ds->get_batch({0, -1}); }), ::testing::HasSubstr("index -1"));
  EXPECT_THROW(ds->get_batch({}), Error);
}

TEST(Subset, MapsIndicesAndTargets) {
  auto ds = numbered(6);
  Subset sub(ds, {5, 1, 3});
  EXPECT_EQ(sub.size(), 3);
  EXPECT_EQ(sub.get(0).target.item<int64_t>(), 5);
  EXPECT_EQ(sub.get_batch({2, 1}).target.to_vector<int64_t>(), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(sub.targets().to_vector<int64_t>(), (std::vector<int64_t>{5, 1, 3}));
  EXPECT_THAT(message_of([&] { Subset(ds, {0, 6}); }), ::testing::HasSubstr("index 6"));
  EXPECT_THROW(sub.get(3), Error);
}

TEST(ConcatDataset, JoinsParts) {
  auto a = numbered(3), b = numbered(2);
  ConcatDataset both({a, b});
  EXPECT_EQ(both.size(), 5);
  EXPECT_EQ(both.get(3).target.item<int64_t>(), 0);  // b's first
  EXPECT_EQ(both.get_batch({4, 0, 1, 3}).target.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 1, 0}));
  EXPECT_EQ(both.get_batch({4, 0, 1, 3}).input.shape(), (Shape{4, 2}));
  EXPECT_EQ(both.targets().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 0, 1}));
  EXPECT_THROW(both.get(5), Error);
}

// A dataset without get_batch/targets overrides uses the stacking defaults.
class Squares : public Dataset {
public:
  int64_t size() const override { return 4; }
  Batch get(int64_t i) const override {
    NABLA_CHECK(i >= 0 && i < 4, "Squares: bad index ", i);
    return {full({2}, static_cast<double>(i * i)), scalar_tensor(static_cast<double>(i), int64)};
  }
};

TEST(Dataset, DefaultCollationStacks) {
  Squares s;
  const Batch b = s.get_batch({3, 1});
  EXPECT_EQ(b.input.shape(), (Shape{2, 2}));
  EXPECT_EQ(b.input.to_vector<float>(), (std::vector<float>{9, 9, 1, 1}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(s.targets().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(DataLoader, CoversEveryIndexOncePerEpoch) {
  for (bool shuffle : {false, true}) {
    DataLoader loader(numbered(23), {.batch_size = 5, .shuffle = shuffle, .seed = 7});
    EXPECT_EQ(loader.num_batches(), 5);
    for (int e = 0; e < 3; ++e) {
      std::vector<int64_t> seen;
      for (const auto& b : epoch(loader)) seen.insert(seen.end(), b.begin(), b.end());
      std::sort(seen.begin(), seen.end());
      std::vector<int64_t> all(23);
      std::iota(all.begin(), all.end(), 0);
      EXPECT_EQ(seen, all) << "shuffle " << shuffle << " epoch " << e;
    }
  }
}

TEST(DataLoader, BatchShapesAndDropLast) {
  DataLoader keep(numbered(10), {.batch_size = 4});
  std::vector<Shape> shapes;
  for (const Batch& b : keep) shapes.push_back(b.input.shape());
  EXPECT_EQ(shapes, (std::vector<Shape>{{4, 2}, {4, 2}, {2, 2}}));
  EXPECT_EQ(epoch(keep).back(), (std::vector<int64_t>{8, 9}));  // no shuffle: in order

  DataLoader drop(numbered(10), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(drop.num_batches(), 2);
  EXPECT_EQ(epoch(drop), (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}}));

  DataLoader exact(numbered(8), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(exact.num_batches(), 2);
  DataLoader tiny(numbered(3), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(tiny.num_batches(), 0);
  EXPECT_TRUE(epoch(tiny).empty());
}

TEST(DataLoader, SameSeedSameBatchesDifferentEpochsDiffer) {
  DataLoader a(numbered(50), {.batch_size = 8, .shuffle = true, .seed = 3});
  DataLoader b(numbered(50), {.batch_size = 8, .shuffle = true, .seed = 3});
  DataLoader c(numbered(50), {.batch_size = 8, .shuffle = true, .seed = 4});
  const auto a1 = epoch(a), a2 = epoch(a);
  EXPECT_EQ(a1, epoch(b));
  EXPECT_EQ(a2, epoch(b));
  EXPECT_NE(a1, a2);
  EXPECT_NE(a1, epoch(c));
}

TEST(DataLoader, BatchesDoNotDependOnThreadCount) {
  const int before = get_num_threads();
  set_num_threads(1);
  DataLoader one(numbered(40), {.batch_size = 6, .shuffle = true, .seed = 11});
  const auto with_one = epoch(one);
  set_num_threads(4);
  DataLoader four(numbered(40), {.batch_size = 6, .shuffle = true, .seed = 11});
  EXPECT_EQ(epoch(four), with_one);
  set_num_threads(before);
}

TEST(DataLoader, GeneratorStateResumesExactly) {
  DataLoader a(numbered(30), {.batch_size = 4, .shuffle = true, .seed = 5});
  epoch(a);
  const Generator::State saved = a.generator().get_state();
  const auto next = epoch(a);
  DataLoader resumed(numbered(30), {.batch_size = 4, .shuffle = true, .seed = 999});
  resumed.generator().set_state(saved);
  EXPECT_EQ(epoch(resumed), next);
}

TEST(DataLoader, ResumesInTheMiddleOfAnEpoch) {
  for (int64_t prefetch : {0, 2}) {
    DataLoader a(numbered(30), {.batch_size = 4, .shuffle = true, .seed = 5, .prefetch = prefetch});
    epoch(a);
    const auto second = epoch(a);  // the uninterrupted run's second epoch
    const Generator::State saved = a.epoch_state();
    const auto third = epoch(a);
    // A fresh loader resumes the second epoch at batch 3, then goes on to the third.
    DataLoader b(numbered(30), {.batch_size = 4, .shuffle = true, .seed = 5, .prefetch = prefetch});
    b.generator().set_state(saved);
    std::vector<std::vector<int64_t>> rest;
    for (auto it = b.begin_at(3); it != b.end(); ++it) rest.push_back(it->target.to_vector<int64_t>());
    EXPECT_EQ(rest, std::vector<std::vector<int64_t>>(second.begin() + 3, second.end()));
    EXPECT_EQ(epoch(b), third);
    EXPECT_THROW(b.begin_at(9), Error);
    EXPECT_EQ(b.begin_at(8), b.end());
  }
}

TEST(DataLoader, BorrowsADatasetAsInItsHeader) {
  TensorDataset images(zeros({10, 1, 2, 2}, uint8), arange(10.0, int64));
  DataLoader loader(images, {.batch_size = 4,
                             .shuffle = true,
                             .seed = 0,
                             .transform = [](Batch b) {
                               b.input = b.input.to(float32);
                               return b;
                             }});
  int64_t seen = 0;
  for (const Batch& b : loader) {
    EXPECT_EQ(b.input.dtype(), float32);
    seen += b.input.size(0);
  }
  EXPECT_EQ(seen, 10);
}

TEST(DataLoader, TransformAppliesToEveryBatch) {
  DataLoader loader(numbered(6), {.batch_size = 4, .transform = [](Batch b) {
                                    b.input = b.input * 2.0;
                                    return b;
                                  }});
  std::vector<float> firsts;
  for (const Batch& b : loader) firsts.push_back(b.input.to_vector<float>()[1]);
  EXPECT_EQ(firsts, (std::vector<float>{0, 80}));  // rows 0 and 4: 10 i * 2
}

TEST(DataLoader, PrefetchGivesIdenticalBatches) {
  for (int64_t depth : {1, 2, 5}) {
    DataLoader plain(numbered(37), {.batch_size = 4, .shuffle = true, .seed = 9});
    DataLoader ahead(numbered(37), {.batch_size = 4, .shuffle = true, .seed = 9, .prefetch = depth});
    for (int e = 0; e < 3; ++e) {
      std::vector<std::vector<float>> x, y;
      for (const Batch& b : plain) x.push_back(b.input.to_vector<float>());
      for (const Batch& b : ahead) y.push_back(b.input.to_vector<float>());
      EXPECT_EQ(x, y) << "depth " << depth << " epoch " << e;
    }
  }
}

TEST(DataLoader, EarlyBreakWithPrefetchDoesNotHang) {
  std::atomic<int> made{0};
  auto slow = [&made](Batch b) {
    ++made;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return b;
  };
  DataLoader loader(numbered(1000), {.batch_size = 2, .shuffle = true, .transform = slow, .prefetch = 3});
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 5; ++round) {
    int taken = 0;
    for (const Batch& b : loader) {
      (void)b;
      if (++taken == 2) break;
    }
    EXPECT_EQ(taken, 2);
  }
  // The producer stops after at most `prefetch` batches beyond the consumer, each round.
  EXPECT_LE(made.load(), 5 * (2 + 3 + 1));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // An iterator abandoned before its first ++ shuts down too.
  { auto it = loader.begin(); }
}

TEST(DataLoader, ProducerExceptionReachesConsumer) {
  for (int64_t prefetch : {0, 2}) {
    auto failing = [](Batch b) {
      NABLA_CHECK(b.target.to_vector<int64_t>().front() < 8, "transform: refusing batch starting at ",
                  b.target.to_vector<int64_t>().front());
      return b;
    };
    DataLoader loader(numbered(20), {.batch_size = 4, .transform = failing, .prefetch = prefetch});
    int delivered = 0;
    std::string message;
    try {
      for (const Batch& b : loader) {
        (void)b;
        ++delivered;
      }
    } catch (const Error& e) {
      message = e.what();
    }
    EXPECT_EQ(delivered, 2) << "prefetch " << prefetch;  // batches 0-3 and 4-7, then the failure
    EXPECT_THAT(message, ::testing::HasSubstr("refusing batch starting at 8"));
  }
}

TEST(DataLoader, OptionErrors) {
  EXPECT_THAT(message_of([] { DataLoader(numbered(3), {.batch_size = 0}); }),
              ::testing::HasSubstr("batch_size must be at least 1, got 0"));
  EXPECT_THAT(message_of([] { DataLoader(numbered(3), {.prefetch = -1}); }), ::testing::HasSubstr("got -1"));
  EXPECT_THROW(DataLoader(nullptr, {}), Error);
}

}  // namespace
}  // namespace nabla::data
