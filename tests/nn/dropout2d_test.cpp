// Dropout2d (functional and module): whole channels zeroed with frequency ~ p and the rest
// scaled by exactly 1/(1-p), for (N, C, H, W) and unbatched (C, H, W) input; eval and p = 0 as
// the identity, p = 1; reproducible masks from explicit and default generators; gradients
// through the mask; bit-identical results on 1 and 2 threads; printing and option errors.
#include <nabla/nabla.hpp>
#include <nabla/nn/norm_all.hpp>

#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <functional>

using nabla::testing::message_of;

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// For y = dropout2d(x) with x all ones, split into `planes` channel planes of `area` values: the
// fraction of planes dropped, after checking every plane is all 0 or all `kept`.
double dropped_fraction(const Tensor& y, int64_t planes, int64_t area, float kept) {
  const std::vector<float> v = y.to_vector<float>();
  int64_t dropped = 0;
  for (int64_t p = 0; p < planes; ++p) {
    const float first = v[static_cast<size_t>(p * area)];
    EXPECT_TRUE(first == 0.0f || first == kept) << "plane " << p << " starts with " << first;
    for (int64_t i = 1; i < area; ++i) EXPECT_EQ(v[static_cast<size_t>(p * area + i)], first) << "plane " << p;
    dropped += first == 0.0f;
  }
  return static_cast<double>(dropped) / static_cast<double>(planes);
}

}  // namespace

TEST(Dropout2d, ZeroesWholeChannelsWithFrequencyPAndScalesTheRest) {
  manual_seed(1);
  for (double p : {0.2, 0.5, 0.7}) {
    SCOPED_TRACE(detail::str("p = ", p));
    const float kept = static_cast<float>(1.0 / (1.0 - p));
    // 4000 channels: the dropped fraction's standard deviation is at most 0.008; 0.04 is 5 sigma.
    const double batched = dropped_fraction(F::dropout2d(ones({100, 40, 3, 4}), p), 4000, 12, kept);
    EXPECT_NEAR(batched, p, 0.04);
    const double unbatched = dropped_fraction(F::dropout2d(ones({4000, 2, 5}), p), 4000, 10, kept);
    EXPECT_NEAR(unbatched, p, 0.04);
  }
}

TEST(Dropout2d, EvalZeroAndOne) {
  Tensor x = randn({2, 3, 4, 4});
  EXPECT_TRUE(F::dropout2d(x, 0.5, false).is_same(x));
  EXPECT_TRUE(F::dropout2d(x, 0.0, true).is_same(x));
  nn::Dropout2d drop(0.3);
  EXPECT_TRUE(drop.is_training());
  drop.eval();
  EXPECT_TRUE(drop.forward(x).is_same(x));
  drop.train();
  EXPECT_FALSE(drop.forward(x).is_same(x));
  Tensor xg = randn({2, 3, 2, 2}).requires_grad_();
  Tensor y = F::dropout2d(xg, 1.0);
  EXPECT_EQ(y.to_vector<float>(), std::vector<float>(24, 0.0f));
  y.sum().backward();
  EXPECT_EQ(xg.grad().to_vector<float>(), std::vector<float>(24, 0.0f));
}

TEST(Dropout2d, GradientIsTheChannelMask) {
  manual_seed(2);
  Tensor x = (randn({3, 5, 2, 3}, float64) + 10.0).requires_grad_();  // no zeros in x
  Tensor y = F::dropout2d(x, 0.4);
  y.sum().backward();
  // dy/dx is the mask: 0 or 1/(1-p), and y = x * mask elementwise.
  const std::vector<double> xs = x.to_vector<double>(), ys = y.to_vector<double>(), gs = x.grad().to_vector<double>();
  for (size_t i = 0; i < xs.size(); ++i) {
    EXPECT_TRUE(gs[i] == 0.0 || gs[i] == 1.0 / 0.6) << i;
    EXPECT_DOUBLE_EQ(ys[i], xs[i] * gs[i]) << i;
  }
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) {
    Generator g(5);  // the same mask on every evaluation
    return F::dropout2d(in[0], 0.5, true, &g);
  }, {randn({2, 3, 2, 2}, float64)}).ok);
}

TEST(Dropout2d, MasksAreReproducible) {
  Tensor x = ones({4, 8, 2, 2});
  Generator a(7), b(7);
  nn::Dropout2d with_a(0.5, &a), with_b(0.5, &b);
  EXPECT_EQ(with_a.forward(x).to_vector<float>(), with_b.forward(x).to_vector<float>());
  EXPECT_NE(with_a.forward(x).to_vector<float>(), with_a.forward(x).to_vector<float>());  // the stream moves on
  manual_seed(3);
  const std::vector<float> first = F::dropout2d(x, 0.5).to_vector<float>();
  manual_seed(3);
  EXPECT_EQ(F::dropout2d(x, 0.5).to_vector<float>(), first);
}

TEST(Dropout2d, BitIdenticalOnOneAndTwoThreads) {
  const int saved = get_num_threads();
  auto run = [](int threads) {
    set_num_threads(threads);
    manual_seed(11);
    Tensor x = randn({16, 32, 16, 16}).requires_grad_();
    Tensor y = F::dropout2d(x, 0.3);
    (y * y).sum().backward();
    return std::make_pair(y.to_vector<float>(), x.grad().to_vector<float>());
  };
  const auto one = run(1), two = run(2);
  set_num_threads(saved);
  EXPECT_EQ(one.first, two.first);
  EXPECT_EQ(one.second, two.second);
}

TEST(Dropout2d, PrintingAndErrors) {
  nn::Dropout2d drop;
  EXPECT_EQ(drop.to_string(), "Dropout2d(p=0.5, inplace=False)");
  EXPECT_EQ(nn::Dropout2d(0.25).to_string(), "Dropout2d(p=0.25, inplace=False)");
  EXPECT_TRUE(drop.state_dict().empty());
  EXPECT_TRUE(contains(message_of([] { nn::Dropout2d(1.5); }), "between 0 and 1, but got p = 1.5"));
  EXPECT_TRUE(contains(message_of([] { F::dropout2d(ones({2, 2, 2, 2}), -0.1); }), "p = -0.1"));
  const std::string m = message_of([] { F::dropout2d(ones({4, 5}), 0.5); });
  EXPECT_TRUE(contains(m, "(N, C, H, W)") && contains(m, "[4, 5]")) << m;
  EXPECT_TRUE(contains(message_of([] { F::dropout2d(ones({2, 2, 2}, DType::Int64), 0.5); }), "floating-point"));
}
