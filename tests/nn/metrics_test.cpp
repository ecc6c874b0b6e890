// accuracy, zero_one_loss and their binary forms against hand-counted values (sklearn's
// definitions), label-set and shape checks, and that they leave autograd alone.
#include <nabla/nn/metrics.hpp>

#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using nabla::testing::message_of;

using namespace nabla;

namespace {

Tensor ints(const std::vector<int64_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }

// Scores (4, 3) whose argmax per row is 2, 0, 1, 1 (row 3 ties classes 1 and 2: the first wins).
Tensor scores() {
  return tensor(std::vector<float>{0.1f, 0.2f, 0.7f, 3.0f, -1.0f, 0.0f, -2.0f, 5.0f, 1.0f, 0.0f, 4.0f, 4.0f}, {4, 3});
}

}  // namespace

TEST(Metrics, AccuracyIsTheFractionOfArgmaxHits) {
  EXPECT_DOUBLE_EQ(nn::accuracy(scores(), ints({2, 0, 1, 1})), 1.0);
  EXPECT_DOUBLE_EQ(nn::accuracy(scores(), ints({2, 0, 0, 2})), 0.5);  // tie in row 3 goes to class 1
  EXPECT_DOUBLE_EQ(nn::accuracy(scores(), ints({0, 1, 2, 0})), 0.0);
  EXPECT_DOUBLE_EQ(nn::accuracy(scores().to(float64), ints({2, 1, 1, 1})), 0.75);
}

TEST(Metrics, AccuracyOfPredictedLabels) {
  EXPECT_DOUBLE_EQ(nn::accuracy(ints({1, 2, 3, 4, 5}), ints({1, 2, 0, 4, 0})), 0.6);
}

TEST(Metrics, ZeroOneLossCountsOrAveragesMistakes) {
  const Tensor y = ints({2, 1, 1, 0});  // two mistakes (rows 1 and 3)
  EXPECT_DOUBLE_EQ(nn::zero_one_loss(scores(), y), 0.5);
  EXPECT_DOUBLE_EQ(nn::zero_one_loss(scores(), y, /*normalize=*/false), 2.0);
  EXPECT_DOUBLE_EQ(nn::zero_one_loss(scores(), y) + nn::accuracy(scores(), y), 1.0);
}

TEST(Metrics, EmptyBatchIsNaNAndZeroMistakes) {
  EXPECT_TRUE(std::isnan(nn::accuracy(zeros({0, 3}), zeros({0}, int64))));
  EXPECT_EQ(nn::zero_one_loss(zeros({0, 3}), zeros({0}, int64), false), 0.0);
}

TEST(Metrics, BinaryAccuracyWithZeroOneLabels) {
  const Tensor p = tensor({0.9f, 0.2f, 0.5f, 0.51f, 0.1f});
  // Predictions p > 0.5: 1, 0, 0, 1, 0.
  EXPECT_DOUBLE_EQ(nn::binary_accuracy(p, tensor({1.0f, 0.0f, 0.0f, 1.0f, 1.0f})), 0.8);
  EXPECT_DOUBLE_EQ(nn::binary_accuracy(p, ints({1, 0, 1, 1, 1})), 0.6);  // integer labels too
  // (N, 1) scores against (N) labels.
  EXPECT_DOUBLE_EQ(nn::binary_accuracy(p.reshape({5, 1}), tensor({1.0f, 0.0f, 0.0f, 1.0f, 1.0f})), 0.8);
}

TEST(Metrics, BinaryAccuracyWithSignedLabelsAndThresholdZero) {
  const Tensor f = tensor({2.0f, -0.5f, 0.0f, 0.3f});  // perceptron scores: sign decides
  const Tensor y = tensor({1.0f, -1.0f, 1.0f, -1.0f});
  EXPECT_DOUBLE_EQ(nn::binary_accuracy(f, y, 0.0), 0.5);  // f = 0 predicts -1
  EXPECT_DOUBLE_EQ(nn::binary_zero_one_loss(f, y, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(nn::binary_zero_one_loss(f, y, 0.0, false), 2.0);
  // All-positive targets are valid in either label set.
  EXPECT_DOUBLE_EQ(nn::binary_accuracy(f, tensor({1.0f, 1.0f, 1.0f, 1.0f}), 0.0), 0.5);
}

TEST(Metrics, ErrorsNameValuesAndShapes) {
  auto has = [](const std::string& message, const std::string& part) {
    EXPECT_NE(message.find(part), std::string::npos) << message << "\n  lacks: " << part;
  };
  const std::string out_of_range = message_of([] { nn::accuracy(scores(), ints({0, 3, 1, 1})); });
  has(out_of_range, "target 3");
  has(out_of_range, "position [1]");
  const std::string shape = message_of([] { nn::accuracy(scores(), ints({0, 1})); });
  has(shape, "[4]");
  has(shape, "[4, 3]");
  has(message_of([] { nn::accuracy(scores(), tensor({0.0f, 1.0f, 1.0f, 1.0f})); }), "int64");
  has(message_of([] { nn::accuracy(tensor({0.1f, 0.9f}), ints({0, 1})); }), "(N, C)");
  const std::string label = message_of([] { nn::binary_accuracy(tensor({0.1f, 0.9f}), tensor({0.0f, 2.0f})); });
  has(label, "got 2");
  has(label, "position [1]");
  has(message_of([] { nn::binary_accuracy(tensor({0.1f, 0.9f}), tensor({0.0f, -1.0f})); }), "mixes");
  has(message_of([] { nn::binary_accuracy(tensor({0.1f, 0.9f, 0.3f}), tensor({0.0f, 1.0f})); }), "[3]");
}

TEST(Metrics, DoNotTouchAutograd) {
  Tensor s = scores().requires_grad_();
  EXPECT_DOUBLE_EQ(nn::accuracy(s, ints({2, 0, 1, 1})), 1.0);
  EXPECT_FALSE(s.grad().defined());
}
