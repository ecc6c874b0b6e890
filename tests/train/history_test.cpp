// History (CSV, exact JSON, lookups by name), weights_hash pinned values, and the progress summary.
#include <nabla/autograd.hpp>
#include <nabla/nn/linear.hpp>
#include <nabla/train/hash.hpp>
#include <nabla/train/history.hpp>
#include <nabla/train/progress.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

using namespace nabla;
using ::testing::HasSubstr;

namespace {

Tensor f32(const std::vector<float>& values, const Shape& shape) { return tensor(values, shape); }

train::History sample_history() {
  train::History h;
  h.append({.epoch = 1, .train_loss = 0.5, .train_acc = 0.75, .lr = 0.1, .seconds = 2, .samples_per_second = 100});
  h.append({.epoch = 2, .train_loss = 1.0 / 3, .train_acc = 0.875, .val_loss = 0.25, .val_acc = 0.9, .lr = 0.01,
            .seconds = 1.5, .samples_per_second = 133.25, .extra = {{"val_top5_acc", 1.0}, {"val_macro_f1", 0.8}}});
  return h;
}

}  // namespace

TEST(History, CsvHasFixedColumnsThenSortedExtrasAndEmptyFieldsForUnmeasured) {
  EXPECT_EQ(sample_history().to_csv(),
            "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,samples_per_second,val_macro_f1,val_top5_acc\n"
            "1,0.5,0.75,,,0.1,2,100,,\n"
            "2,0.3333333333333333,0.875,0.25,0.9,0.01,1.5,133.25,0.8,1\n");
  EXPECT_EQ(train::History().to_csv(), "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,samples_per_second\n");
}

TEST(History, JsonRoundTripIsExact) {
  train::History h = sample_history();
  h.append({.epoch = 3, .train_loss = 0.1 + 0.2, .lr = 1e-300});
  const train::History back = train::History::from_json(h.to_json());
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back.to_csv(), h.to_csv());
  EXPECT_EQ(back[2].train_loss, 0.1 + 0.2);  // bit-exact
  EXPECT_EQ(back[2].lr, 1e-300);
  EXPECT_TRUE(std::isnan(back[0].val_loss));
  EXPECT_EQ(back[1].extra, h[1].extra);
  EXPECT_THROW(train::History::from_json("{"), Error);
  EXPECT_THROW(train::History::from_json("[{\"train_loss\": 1}]"), Error);
  EXPECT_THROW(train::History::from_json("[{\"epoch\": 1, \"lr\": \"fast\"}]"), Error);
}

TEST(History, LookupsByName) {
  const train::History h = sample_history();
  EXPECT_TRUE(h[1].has("val_top5_acc"));
  EXPECT_FALSE(h[0].has("val_loss"));
  EXPECT_DOUBLE_EQ(h[1].get("val_macro_f1"), 0.8);
  EXPECT_DOUBLE_EQ(h[1].get("epoch"), 2);
  const std::vector<double> v = h.values("val_loss");
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], 0.25);
  try {
    h[0].get("val_loss");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'val_loss' was not measured in epoch 1"));
    EXPECT_THAT(e.what(), HasSubstr("[train_loss, train_acc, lr, seconds, samples_per_second]"));
    EXPECT_THAT(e.what(), HasSubstr("validation loader"));
  }
  EXPECT_THROW(train::History().back(), Error);
}

TEST(History, SaveCsvWritesTheFileAndNamesABadPath) {
  const std::string path = testing::TempDir() + "/nabla_history_test.csv";
  sample_history().save_csv(path);
  std::ifstream f(path);
  std::string first;
  std::getline(f, first);
  EXPECT_THAT(first, ::testing::StartsWith("epoch,train_loss"));
  std::remove(path.c_str());
  try {
    sample_history().save_csv("/nonexistent-dir/history.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent-dir/history.csv"));
  }
}

TEST(Progress, SummaryLine) {
  const train::History h = sample_history();
  EXPECT_EQ(train::ProgressBar::summary(h[0], 10),
            "epoch 1/10  train_loss 0.5000  train_acc 0.7500  lr 0.1  2.0s  100 samples/s");
  EXPECT_EQ(train::ProgressBar::summary(h[1], 10),
            "epoch 2/10  train_loss 0.3333  train_acc 0.8750  val_loss 0.2500  val_acc 0.9000  val_macro_f1 0.8000  "
            "val_top5_acc 1.0000  lr 0.01  1.5s  133 samples/s");
}

namespace {

struct Counter : nn::Module {
  Counter() { register_buffer("count", tensor(std::vector<int64_t>{7}, {}, DType::Int64)); }
};

}  // namespace

TEST(WeightsHash, PinnedValues) {
  // Values computed independently (Python, FNV-1a 64 over the documented byte layout).
  nn::Linear linear(2, 1);
  {
    NoGradGuard g;
    linear.weight.copy_(f32({1.0f, -2.0f}, {1, 2}));
    linear.bias.copy_(tensor({0.5f}));
  }
  EXPECT_EQ(train::format_hash(train::weights_hash(linear)), "7292235cadbcc691");
  EXPECT_EQ(train::format_hash(train::weights_hash(Counter())), "d92220954cc1ec82");
  EXPECT_EQ(train::state_dict_hash(nn::StateDict()), 0xcbf29ce484222325ULL);  // FNV offset basis
  EXPECT_EQ(train::format_hash(0xabcULL), "0000000000000abc");
}

TEST(WeightsHash, SeesValuesNamesAndShapesButNotStrides) {
  nn::StateDict a, b, c, d;
  const Tensor m = f32({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
  a.insert("w", m);
  b.insert("w", m.t().contiguous().t());  // same values, other strides
  c.insert("v", m);
  d.insert("w", m.reshape({3, 2}));
  EXPECT_EQ(train::state_dict_hash(a), train::state_dict_hash(b));
  EXPECT_NE(train::state_dict_hash(a), train::state_dict_hash(c));
  EXPECT_NE(train::state_dict_hash(a), train::state_dict_hash(d));
  nn::StateDict e;
  e.insert("w", m.clone().add_(1e-7));
  EXPECT_NE(train::state_dict_hash(a), train::state_dict_hash(e));
}
