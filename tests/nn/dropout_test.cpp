// Dropout (functional and module), Flatten and Identity: inverted-dropout statistics (zeros
// fraction ~ p, kept values exactly 1/(1-p), mean preserved), eval and p = 0 as identity, p = 1,
// reproducible masks, gradients through the mask, option checks, and the shape-only modules.
#include <nabla/nabla.hpp>

#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

using nabla::testing::message_of;

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

}  // namespace

// ---- dropout ---------------------------------------------------------------------------------------

TEST(Dropout, TrainingZeroesAboutPAndScalesTheRest) {
  manual_seed(1);
  const int64_t n = 200000;
  for (double p : {0.1, 0.3, 0.5, 0.8}) {
    SCOPED_TRACE(detail::str("p = ", p));
    Tensor x = full({n / 400, 400}, 2.0);
    const std::vector<float> y = F::dropout(x, p, true).to_vector<float>();
    const float kept_value = static_cast<float>(2.0 * static_cast<float>(1.0 / (1.0 - p)));
    int64_t zeros = 0;
    double sum = 0;
    for (float v : y) {
      if (v == 0.0f) {
        ++zeros;
      } else {
        ASSERT_EQ(v, kept_value);
      }
      sum += v;
    }
    // Binomial fraction: standard deviation sqrt(p (1-p) / n) <= 0.0012, so 0.006 is 5 sigma.
    EXPECT_NEAR(static_cast<double>(zeros) / n, p, 0.006);
    // The mean is preserved: E[y] = x.
    EXPECT_NEAR(sum / n, 2.0, 2.0 * 0.006 / (1.0 - p));
  }
}

TEST(Dropout, EvalAndZeroPAreTheIdentity) {
  Tensor x = randn({3, 4});
  EXPECT_TRUE(F::dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(F::dropout(x, 0.0, true).is_same(x));
  nn::Dropout drop(0.5);
  EXPECT_TRUE(drop.is_training());
  drop.eval();
  EXPECT_EQ(drop.forward(x).to_vector<float>(), x.to_vector<float>());
  drop.train();
  EXPECT_NE(drop.forward(ones({1000})).to_vector<float>(), ones({1000}).to_vector<float>());
}

TEST(Dropout, POneGivesZerosAndZeroGradient) {
  Tensor x = randn({2, 5}, float64).requires_grad_();
  Tensor y = F::dropout(x, 1.0, true);
  EXPECT_EQ(y.to_vector<double>(), std::vector<double>(10, 0.0));
  y.sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), std::vector<double>(10, 0.0));
}

TEST(Dropout, SameSeedSameMask) {
  Tensor x = ones({50, 20});
  manual_seed(123);
  const std::vector<float> a = F::dropout(x, 0.4).to_vector<float>();
  const std::vector<float> a2 = F::dropout(x, 0.4).to_vector<float>();
  manual_seed(123);
  const std::vector<float> b = F::dropout(x, 0.4).to_vector<float>();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, a2);  // the stream moves on
  Generator g1(7), g2(7);
  nn::Dropout d1(0.4, &g1), d2(0.4, &g2);
  EXPECT_EQ(d1.forward(x).to_vector<float>(), d2.forward(x).to_vector<float>());
  // Independent of the thread count.
  set_num_threads(1);
  Generator g3(7);
  const std::vector<float> one_thread = F::dropout(x, 0.4, true, &g3).to_vector<float>();
  set_num_threads(2);
  Generator g4(7);
  EXPECT_EQ(F::dropout(x, 0.4, true, &g4).to_vector<float>(), one_thread);
}

TEST(Dropout, GradientIsTheScaledMask) {
  manual_seed(4);
  Tensor x = randn({6, 7}, float64).requires_grad_();
  Tensor y = F::dropout(x, 0.25, true);
  y.backward(ones({6, 7}, float64));
  const std::vector<double> xs = x.to_vector<double>(), ys = y.to_vector<double>(), gs = x.grad().to_vector<double>();
  for (size_t i = 0; i < xs.size(); ++i) {
    EXPECT_TRUE(gs[i] == 0.0 || gs[i] == 1.0 / 0.75) << i;
    EXPECT_NEAR(ys[i], xs[i] * gs[i], 1e-15) << i;
  }
  // With the mask fixed by a fresh generator per call, the function is smooth in x.
  EXPECT_TRUE(gradcheck(
                  [](const std::vector<Tensor>& in) {
                    Generator g(99);
                    return F::dropout(in[0], 0.3, true, &g);
                  },
                  {randn({4, 5}, float64)})
                  .ok);
  // A non-contiguous input keeps its own shape and values.
  Tensor base = randn({5, 4}, float64);
  Generator g(5);
  Tensor yt = F::dropout(base.t(), 0.5, true, &g);
  EXPECT_EQ(yt.shape(), (Shape{4, 5}));
  const std::vector<double> tv = base.t().contiguous().to_vector<double>(), yv = yt.to_vector<double>();
  for (size_t i = 0; i < tv.size(); ++i) EXPECT_TRUE(yv[i] == 0.0 || yv[i] == 2.0 * tv[i]) << i;
}

TEST(Dropout, ProbabilityOutsideZeroOneIsRefused) {
  Tensor x = ones({3});
  for (double p : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    SCOPED_TRACE(p);
    EXPECT_THROW(F::dropout(x, p, true), Error);
    EXPECT_THROW(F::dropout(x, p, false), Error);
    EXPECT_THROW(nn::Dropout{p}, Error);
  }
  EXPECT_NE(message_of([&] { F::dropout(x, 1.5); }).find("p = 1.5"), std::string::npos);
  EXPECT_NE(message_of([] { nn::Dropout(-0.25); }).find("Dropout: probability has to be between 0 and 1, but got p = -0.25"),
            std::string::npos);
  EXPECT_NE(message_of([] { F::dropout(tensor(std::vector<int64_t>{1, 2}, {2}), 0.5); }).find("int64"),
            std::string::npos);
}

TEST(Dropout, PrintsLikePyTorch) {
  EXPECT_EQ(nn::Dropout().to_string(), "Dropout(p=0.5, inplace=False)");
  EXPECT_EQ(nn::Dropout(0.2).to_string(), "Dropout(p=0.2, inplace=False)");
  EXPECT_EQ(nn::Dropout(1).to_string(), "Dropout(p=1.0, inplace=False)");
  EXPECT_EQ(nn::Dropout(1e-5).to_string(), "Dropout(p=1e-05, inplace=False)");
}

// ---- Flatten and Identity --------------------------------------------------------------------------

TEST(Flatten, KeepsTheBatchDimByDefault) {
  nn::Flatten flatten;
  EXPECT_EQ(flatten.to_string(), "Flatten(start_dim=1, end_dim=-1)");
  Tensor x = arange(120.0).reshape({2, 3, 4, 5});
  Tensor y = flatten.forward(x);
  EXPECT_EQ(y.shape(), (Shape{2, 60}));
  EXPECT_EQ(y.to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(nn::Flatten(0, 2).forward(x).shape(), (Shape{24, 5}));
  EXPECT_EQ(nn::Flatten(0, 2).to_string(), "Flatten(start_dim=0, end_dim=2)");
  EXPECT_EQ(F::flatten(x).shape(), (Shape{120}));
  EXPECT_EQ(F::flatten(x, 1, 2).shape(), (Shape{2, 12, 5}));
  EXPECT_THROW(nn::Flatten(2, 1).forward(x), Error);
  EXPECT_THROW(nn::Flatten(1, 7).forward(x), Error);
}

TEST(Flatten, GradientFlowsBackInTheInputShape) {
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return nn::Flatten().forward(in[0]) * 2.0; },
                        {randn({2, 3, 2}, float64)})
                  .ok);
  Tensor x = randn({2, 3, 2}).requires_grad_();
  nn::Flatten().forward(x).sum().backward();
  EXPECT_EQ(x.grad().shape(), (Shape{2, 3, 2}));
}

TEST(Identity, ReturnsItsInput) {
  nn::Identity id;
  Tensor x = randn({3});
  EXPECT_TRUE(id.forward(x).is_same(x));
  EXPECT_EQ(id.to_string(), "Identity()");
  EXPECT_EQ(id.num_parameters(), 0);
}
