// The lectures' classic units: McCulloch-Pitts gates against their truth tables, the
// perceptron against Novikoff's bound and on XOR, and the delta rule.
#include <nabla/nabla.hpp>
#include <nabla/nn/classic.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace nabla;
using nn::McCullochPitts;
using nn::Perceptron;

TEST(McCullochPitts, LogicGatesMatchTruthTables) {
  const std::vector<std::vector<int>> pairs = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const std::vector<int> and_t = {0, 0, 0, 1}, or_t = {0, 1, 1, 1}, and_not_t = {0, 0, 1, 0};
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(McCullochPitts::AND().fire(pairs[i]), and_t[i]);
    EXPECT_EQ(McCullochPitts::OR().fire(pairs[i]), or_t[i]);
    EXPECT_EQ(McCullochPitts::AND_NOT().fire(pairs[i]), and_not_t[i]);
  }
  EXPECT_EQ(McCullochPitts::NOT().fire({0}), 1);
  EXPECT_EQ(McCullochPitts::NOT().fire({1}), 0);
  // Batched form gives the same table.
  Tensor X = tensor(std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  EXPECT_EQ(McCullochPitts::AND_NOT().forward(X).to_vector(), (std::vector<float>{0, 0, 1, 0}));
}

TEST(McCullochPitts, InhibitionIsAbsoluteAndInputsAreChecked) {
  McCullochPitts unit(1, {false, false, true});
  EXPECT_EQ(unit.fire({1, 1, 0}), 1);
  EXPECT_EQ(unit.fire({1, 1, 1}), 0);
  EXPECT_THROW(unit.fire({1, 1}), Error);
  EXPECT_THROW(unit.fire({2, 0, 0}), Error);
  EXPECT_THROW(McCullochPitts(-1, {false}), Error);
}

namespace {

// Points in [-1, 1]^2 at distance >= gamma from the line w*·(1, x) = 0 (w* unit norm), labelled by side.
void separable_data(Generator& g, int64_t n, double gamma, Tensor& X, Tensor& y, double& R) {
  const double w0 = 0.2, w1 = 0.6, w2 = -0.8;
  const double norm = std::sqrt(w0 * w0 + w1 * w1 + w2 * w2);
  std::vector<double> xs, ys;
  R = 0;
  while (static_cast<int64_t>(ys.size()) < n) {
    const double a = 2 * g.uniform_double() - 1, b = 2 * g.uniform_double() - 1;
    const double margin = (w0 + w1 * a + w2 * b) / norm;
    if (std::abs(margin) < gamma) continue;
    xs.push_back(a);
    xs.push_back(b);
    ys.push_back(margin > 0 ? 1 : -1);
    R = std::max(R, std::sqrt(1 + a * a + b * b));  // radius in the augmented space
  }
  X = tensor(xs, {n, 2});
  y = tensor(ys, {n});
}

}  // namespace

TEST(Perceptron, ConvergesWithinNovikoffBound) {
  Generator g(5);
  for (double gamma : {0.05, 0.1, 0.2}) {
    Tensor X, y;
    double R = 0;
    separable_data(g, 200, gamma, X, y, R);
    Perceptron p(2);
    nn::PerceptronResult r = p.fit(X, y);
    EXPECT_TRUE(r.converged);
    EXPECT_GT(r.updates, 0);
    EXPECT_LE(static_cast<double>(r.updates), R * R / (gamma * gamma)) << "gamma " << gamma;
    EXPECT_EQ(p.predict(X).to_vector<double>(), y.to_vector<double>());
  }
}

TEST(Perceptron, ReportsNonConvergenceOnXor) {
  Tensor X = tensor(std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  Tensor y = tensor(std::vector<float>{-1, 1, 1, -1}, {4});
  Perceptron p(2);
  nn::PerceptronResult r = p.fit(X, y, {.max_epochs = 50});
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.epochs, 50);
  EXPECT_GE(r.updates, 50);  // at least one mistake every epoch
}

TEST(Perceptron, ValidatesLabelsAndShapes) {
  Perceptron p(2);
  EXPECT_THROW(p.fit(zeros({3, 2}), tensor({1.0f, 0.0f, 1.0f})), Error);
  EXPECT_THROW(p.fit(zeros({3, 3}), tensor({1.0f, -1.0f, 1.0f})), Error);
  EXPECT_THROW(p.fit(zeros({3, 2}), tensor({1.0f, -1.0f})), Error);
}

TEST(DeltaRule, FitsALinearTargetAndDetectsDivergence) {
  Generator g(2);
  Tensor X = rand({50, 2}, g, float64);
  Tensor d = X.select(1, 0) * 2.0 - X.select(1, 1) * 3.0 + 0.5;
  Perceptron p(2);
  std::vector<double> mse = p.fit_delta(X, d, 0.1, 300);
  EXPECT_LT(mse.back(), 1e-6);
  EXPECT_LT(mse.back(), mse.front());
  const std::vector<double> w = p.weights().to_vector<double>();
  EXPECT_NEAR(w[0], 0.5, 1e-3);
  EXPECT_NEAR(w[1], 2.0, 1e-3);
  EXPECT_NEAR(w[2], -3.0, 1e-3);
  Perceptron q(2);
  EXPECT_THROW(q.fit_delta(X * 100.0, d, 10.0, 50), Error);
}
