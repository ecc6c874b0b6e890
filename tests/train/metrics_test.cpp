// train metrics against hand-computed values (sklearn's definitions), and evaluate().
#include <nabla/autograd.hpp>
#include <nabla/nn/container.hpp>
#include <nabla/nn/functional.hpp>
#include <nabla/nn/linear.hpp>
#include <nabla/nn/loss.hpp>
#include <nabla/train/metrics.hpp>

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <cmath>

using namespace nabla;
using ::testing::HasSubstr;

namespace {

Tensor f32(const std::vector<float>& values, const Shape& shape) { return tensor(values, shape); }

Tensor labels(const std::vector<int64_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }

}  // namespace

TEST(ConfusionMatrix, RowsAreTrueColumnsArePredicted) {
  const Tensor y = labels({0, 1, 2, 2, 1, 0, 2});
  const Tensor p = labels({0, 2, 2, 1, 1, 0, 2});
  const Tensor m = train::confusion_matrix(p, y);
  EXPECT_EQ(m.dtype(), DType::Int64);
  EXPECT_EQ(m.shape(), (Shape{3, 3}));
  EXPECT_EQ(m.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 0, 0, 1, 1, 0, 1, 2}));
  // More classes than seen: zero rows and columns.
  EXPECT_EQ(train::confusion_matrix(p, y, 4).shape(), (Shape{4, 4}));
}

TEST(ConfusionMatrix, FromScoresTakesArgmax) {
  const Tensor scores = f32({0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f}, {3, 2});
  const Tensor m = train::confusion_matrix(scores, labels({0, 1, 1}));
  EXPECT_EQ(m.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 1, 1}));
}

TEST(ConfusionMatrix, RejectsLabelsOutOfRangeAndShapeMismatch) {
  try {
    train::confusion_matrix(labels({0, 3}), labels({0, 1}), 3);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("predicted label 3 at position 1"));
  }
  try {
    train::confusion_matrix(labels({0, 1, 1}), labels({0, 1}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("[3]"));
    EXPECT_THAT(e.what(), HasSubstr("[2]"));
  }
  EXPECT_THROW(train::confusion_matrix(tensor({1.0f, 2.0f}), labels({0, 1})), Error);
}

TEST(ClassificationReport, PerClassAndMacroAverages) {
  const Tensor m = train::confusion_matrix(labels({0, 2, 2, 1, 1, 0, 2}), labels({0, 1, 2, 2, 1, 0, 2}));
  const train::ClassReport r = train::classification_report(m);
  const std::vector<double> p{1.0, 0.5, 2.0 / 3}, rec{1.0, 0.5, 2.0 / 3}, f1{1.0, 0.5, 2.0 / 3};
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_DOUBLE_EQ(r.precision[c], p[c]) << c;
    EXPECT_DOUBLE_EQ(r.recall[c], rec[c]) << c;
    EXPECT_DOUBLE_EQ(r.f1[c], f1[c]) << c;
  }
  EXPECT_EQ(r.support, (std::vector<int64_t>{2, 2, 3}));
  EXPECT_DOUBLE_EQ(r.macro_precision, (1.0 + 0.5 + 2.0 / 3) / 3);
  EXPECT_DOUBLE_EQ(r.macro_recall, (1.0 + 0.5 + 2.0 / 3) / 3);
  EXPECT_DOUBLE_EQ(r.macro_f1, (1.0 + 0.5 + 2.0 / 3) / 3);
}

TEST(ClassificationReport, ZeroDivisionGivesZero) {
  // Class 1 occurs but is never predicted; class 2 neither occurs nor is predicted.
  const Tensor m = train::confusion_matrix(labels({0, 0}), labels({0, 1}), 3);
  const train::ClassReport r = train::classification_report(m);
  EXPECT_DOUBLE_EQ(r.precision[0], 0.5);
  EXPECT_DOUBLE_EQ(r.recall[0], 1.0);
  EXPECT_DOUBLE_EQ(r.f1[0], 2.0 / 3);
  EXPECT_EQ(r.precision[1], 0.0);
  EXPECT_EQ(r.recall[1], 0.0);
  EXPECT_EQ(r.f1[1], 0.0);
  EXPECT_EQ(r.precision[2], 0.0);
  EXPECT_EQ(r.f1[2], 0.0);
  EXPECT_DOUBLE_EQ(r.macro_f1, (2.0 / 3) / 3);
  EXPECT_THROW(train::classification_report(zeros({2, 3}, DType::Int64)), Error);
}

TEST(TopKAccuracy, RanksWithTiesTowardsLowerIndex) {
  const Tensor scores = f32({0.1f, 0.5f, 0.4f, 0.3f, 0.3f, 0.4f, 0.9f, 0.05f, 0.05f}, {3, 3});
  const Tensor y = labels({2, 1, 1});
  EXPECT_DOUBLE_EQ(train::top_k_accuracy(scores, y, 1), 0.0);
  EXPECT_DOUBLE_EQ(train::top_k_accuracy(scores, y, 1), train::accuracy(scores, y));
  EXPECT_DOUBLE_EQ(train::top_k_accuracy(scores, y, 2), 2.0 / 3);
  EXPECT_DOUBLE_EQ(train::top_k_accuracy(scores, y, 3), 1.0);
  EXPECT_DOUBLE_EQ(train::top_k_accuracy(scores, y, 10), 1.0);
  EXPECT_THROW(train::top_k_accuracy(scores, y, 0), Error);
  EXPECT_THROW(train::top_k_accuracy(scores, labels({2, 1, 3}), 1), Error);
  EXPECT_TRUE(std::isnan(train::top_k_accuracy(zeros({0, 3}), labels({}), 1)));
}

TEST(RegressionMetrics, HandComputed) {
  const Tensor pred = f32({1.0f, 2.0f, 3.0f, 4.0f}, {4, 1});
  const Tensor target = tensor({1.5f, 2.0f, 2.0f, 5.0f});  // (N) against (N, 1): same elements
  EXPECT_DOUBLE_EQ(train::mean_squared_error(pred, target), 0.5625);
  EXPECT_DOUBLE_EQ(train::mean_absolute_error(pred, target), 0.625);
  EXPECT_NEAR(train::r2_score(pred, target), 1.0 - 2.25 / 7.6875, 1e-12);
  EXPECT_DOUBLE_EQ(train::r2_score(target, target), 1.0);
}

TEST(RegressionMetrics, R2AveragesOutputsAndHandlesConstantTargets) {
  // Column 0 is predicted exactly; column 1 is constant and predicted wrongly (sklearn: 0).
  const Tensor pred = f32({1.0f, 2.0f, 2.0f, 2.0f, 3.0f, 3.0f}, {3, 2});
  const Tensor target = f32({1.0f, 2.0f, 2.0f, 2.0f, 3.0f, 2.0f}, {3, 2});
  EXPECT_DOUBLE_EQ(train::r2_score(pred, target), 0.5);
  const Tensor constant = tensor({2.0f, 2.0f});
  EXPECT_DOUBLE_EQ(train::r2_score(constant, constant), 1.0);
  EXPECT_THROW(train::mean_squared_error(tensor({1.0f, 2.0f}), tensor({1.0f})), Error);
  EXPECT_THROW(train::r2_score(labels({1, 2}), tensor({1.0f, 2.0f})), Error);
}

TEST(Task, AutoFollowsTargetDtype) {
  EXPECT_EQ(train::resolve_task(train::Task::Auto, labels({1})), train::Task::Classification);
  EXPECT_EQ(train::resolve_task(train::Task::Auto, tensor({1.0f})), train::Task::Regression);
  EXPECT_EQ(train::resolve_task(train::Task::Regression, labels({1})), train::Task::Regression);
  EXPECT_EQ(train::task_name(train::Task::Classification), "classification");
}

namespace {

// A fixed 2 -> 3 linear classifier and 5 labelled points, in loaders of batch size 2.
struct Fixture {
  std::shared_ptr<nn::Linear> model = std::make_shared<nn::Linear>(2, 3);
  Tensor x = f32({1.0f, 0.0f, 0.0f, 1.0f, -1.0f, -1.0f, 2.0f, 0.5f, 0.2f, 0.9f}, {5, 2});
  Tensor y = labels({0, 1, 2, 1, 1});
  data::DataLoader loader{std::make_shared<data::TensorDataset>(x, y), {.batch_size = 2}};
  Fixture() {
    NoGradGuard g;
    model->weight.copy_(f32({2.0f, 0.0f, 0.0f, 2.0f, -1.0f, -1.0f}, {3, 2}));
    model->bias.copy_(tensor({0.0f, 0.1f, 0.0f}));
  }
};

}  // namespace

TEST(Evaluate, ClassificationMatchesTheMetricsOnAllData) {
  Fixture f;
  bool grad_mode_seen = true, training_seen = true;
  const train::LossFn loss = [&](const Tensor& out, const Tensor& target) {
    grad_mode_seen = autograd::grad_mode_enabled();
    training_seen = f.model->is_training();
    return nn::functional::cross_entropy(out, target);
  };
  f.model->train();
  const train::Evaluation e = train::evaluate(*f.model, f.loader, {.loss = loss, .top_k = 2});
  EXPECT_FALSE(grad_mode_seen);
  EXPECT_FALSE(training_seen);
  EXPECT_TRUE(f.model->is_training());  // restored
  EXPECT_TRUE(autograd::grad_mode_enabled());

  const Tensor logits = f.model->forward(f.x).detach();
  EXPECT_EQ(e.task, train::Task::Classification);
  EXPECT_EQ(e.samples, 5);
  EXPECT_NEAR(e.loss, nn::functional::cross_entropy(logits, f.y).item(), 1e-6);
  EXPECT_DOUBLE_EQ(e.accuracy, train::accuracy(logits, f.y));
  EXPECT_EQ(e.top_k, 2);
  EXPECT_DOUBLE_EQ(e.top_k_accuracy, train::top_k_accuracy(logits, f.y, 2));
  EXPECT_EQ(e.confusion.to_vector<int64_t>(), train::confusion_matrix(logits, f.y).to_vector<int64_t>());
  // Logits rows: [2, 0.1, -1], [0, 2.1, -1], [-2, -1.9, 2], [4, 1.1, -2.5], [0.4, 1.9, -1.1].
  EXPECT_DOUBLE_EQ(e.accuracy, 4.0 / 5);
  EXPECT_EQ(e.predicted.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 0, 1}));  // across both batches
  EXPECT_DOUBLE_EQ(e.report.macro_f1, train::classification_report(e.confusion).macro_f1);
  EXPECT_TRUE(std::isnan(e.mse));

  f.model->eval();
  train::evaluate(*f.model, f.loader, train::Task::Classification);
  EXPECT_FALSE(f.model->is_training());  // eval stays eval
}

TEST(Evaluate, RegressionAndModeRestoredOnError) {
  auto model = std::make_shared<nn::Linear>(1, 1);
  {
    NoGradGuard g;
    model->weight.fill_(2.0);
    model->bias.fill_(1.0);
  }
  const Tensor x = f32({0.0f, 1.0f, 2.0f, 3.0f}, {4, 1});
  const Tensor y = f32({1.0f, 3.0f, 5.0f, 8.0f}, {4, 1});
  data::DataLoader loader(std::make_shared<data::TensorDataset>(x, y), {.batch_size = 3});
  const train::Evaluation e = train::evaluate(*model, loader, {.loss = [](const Tensor& o, const Tensor& t) {
                                                                 return nn::functional::mse_loss(o, t);
                                                               }});
  EXPECT_EQ(e.task, train::Task::Regression);
  EXPECT_DOUBLE_EQ(e.mse, 0.25);
  EXPECT_DOUBLE_EQ(e.mae, 0.25);
  EXPECT_NEAR(e.loss, 0.25, 1e-7);
  EXPECT_NEAR(e.r2, train::r2_score(tensor({1.0f, 3.0f, 5.0f, 7.0f}), y), 1e-12);
  EXPECT_TRUE(std::isnan(e.accuracy));

  model->train();
  const train::LossFn failing = [](const Tensor&, const Tensor&) -> Tensor { NABLA_FAIL("boom"); };
  EXPECT_THROW(train::evaluate(*model, loader, {.loss = failing}), Error);
  EXPECT_TRUE(model->is_training());
  EXPECT_TRUE(autograd::grad_mode_enabled());
}
