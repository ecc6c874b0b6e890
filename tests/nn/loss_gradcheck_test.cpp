// Finite-difference gradient checks (float64) of every loss w.r.t. its input, and w.r.t. the
// target wherever PyTorch differentiates it, over reductions, weights, ignore_index, label
// smoothing, probability targets and multi-dimensional shapes; plus PyTorch's conventions at
// the kinks of l1, hinge and multi-margin losses.
#include <nabla/gradcheck.hpp>
#include <nabla/nn/loss.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using namespace nabla;
namespace F = nabla::nn::functional;
using nabla::nn::Reduction;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

const Reduction kReductions[] = {Reduction::Mean, Reduction::Sum, Reduction::None};

void expect_gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, const std::string& what) {
  const GradcheckResult result = gradcheck(fn, inputs, {.raise = false});
  EXPECT_TRUE(result.ok) << what << ": " << result.message;
}

std::string label(Reduction r) { return " reduction=" + F::reduction_name(r); }

// Uniform in [lo, hi), float64.
Tensor uniform(const Shape& shape, double lo, double hi) { return rand(shape, float64) * (hi - lo) + lo; }

// N(0, 1) values pushed at least `gap` away from 0.
Tensor away_from_zero(const Shape& shape, double gap = 0.2) {
  std::vector<double> v = randn(shape, float64).to_vector<double>();
  for (double& x : v) x += x >= 0 ? gap : -gap;
  return tensor(v, shape);
}

// Random class indices in [0, classes) for `shape`, with every third one set to `ignore` if given.
Tensor labels(const Shape& shape, int64_t classes, std::optional<int64_t> ignore = std::nullopt) {
  std::vector<int64_t> v = randint(0, classes, shape).to_vector<int64_t>();
  if (ignore)
    for (size_t i = 0; i < v.size(); i += 3) v[i] = *ignore;
  return tensor(v, shape);
}

// (logits shape, class count) layouts every class-index loss is checked on.
struct Layout {
  Shape logits;
  Shape target;
  int64_t classes;
};
const Layout kLayouts[] = {{{5, 4}, {5}, 4}, {{2, 3, 2, 2}, {2, 2, 2}, 3}, {{4}, {}, 4}};

}  // namespace

TEST(LossGradcheck, MseAndL1WithBroadcasting) {
  manual_seed(10);
  const std::vector<std::pair<Shape, Shape>> pairs = {{{3, 4}, {3, 4}}, {{2, 3, 4}, {4}}, {{5}, {}}};
  for (const auto& [xs, ts] : pairs) {
    for (Reduction r : kReductions) {
      expect_gradcheck([r](const std::vector<Tensor>& in) { return F::mse_loss(in[0], in[1], r); },
                       {randn(xs, float64), randn(ts, float64)}, "mse_loss" + label(r));
      // l1 away from its kink x == t.
      const Tensor t = randn(ts, float64);
      const Tensor x = t + away_from_zero(xs);
      expect_gradcheck([r](const std::vector<Tensor>& in) { return F::l1_loss(in[0], in[1], r); }, {x, t},
                       "l1_loss" + label(r));
    }
  }
}

TEST(LossGradcheck, BinaryCrossEntropy) {
  manual_seed(11);
  const Tensor w = uniform({4}, 0.5, 1.5);
  for (Reduction r : kReductions) {
    for (bool weighted : {false, true}) {
      expect_gradcheck(
          [&, r, weighted](const std::vector<Tensor>& in) {
            return F::binary_cross_entropy(in[0], in[1], weighted ? w : Tensor(), r);
          },
          {uniform({3, 4}, 0.1, 0.9), uniform({3, 4}, 0.0, 1.0)}, "binary_cross_entropy" + label(r));
    }
  }
}

TEST(LossGradcheck, BinaryCrossEntropyWithLogits) {
  manual_seed(12);
  const Tensor w = uniform({3, 1}, 0.5, 1.5);
  const Tensor pw = uniform({4}, 0.5, 3.0);
  for (Reduction r : kReductions) {
    for (int combo = 0; combo < 4; ++combo) {
      const Tensor weight = combo & 1 ? w : Tensor();
      const Tensor pos_weight = combo & 2 ? pw : Tensor();
      expect_gradcheck(
          [&, r](const std::vector<Tensor>& in) {
            return F::binary_cross_entropy_with_logits(in[0], in[1], weight, pos_weight, r);
          },
          {randn({3, 4}, float64) * 3.0, uniform({3, 4}, 0.0, 1.0)},
          "binary_cross_entropy_with_logits combo " + std::to_string(combo) + label(r));
    }
  }
}

TEST(LossGradcheck, CrossEntropyWithClassIndices) {
  manual_seed(13);
  for (const Layout& l : kLayouts) {
    const Tensor w = uniform({l.classes}, 0.5, 1.5);
    for (Reduction r : kReductions) {
      for (int combo = 0; combo < 8; ++combo) {
        const bool ignore = combo & 2;
        if (ignore && l.target.empty()) continue;  // one target: ignoring it leaves nothing
        const F::CrossEntropyOptions options{.weight = combo & 1 ? w : Tensor(),
                                             .ignore_index = -100,
                                             .reduction = r,
                                             .label_smoothing = combo & 4 ? 0.1 : 0.0};
        const Tensor y = labels(l.target, l.classes, ignore ? std::optional<int64_t>(-100) : std::nullopt);
        expect_gradcheck([&](const std::vector<Tensor>& in) { return F::cross_entropy(in[0], in[1], options); },
                         {randn(l.logits, float64) * 2.0, y},
                         "cross_entropy combo " + std::to_string(combo) + label(r));
      }
    }
  }
}

TEST(LossGradcheck, CrossEntropyWithClassProbabilities) {
  manual_seed(14);
  for (const Shape& shape : {Shape{5, 4}, Shape{2, 3, 2}}) {
    const Tensor w = uniform({shape[1]}, 0.5, 1.5);
    for (Reduction r : kReductions) {
      for (int combo = 0; combo < 4; ++combo) {
        const F::CrossEntropyOptions options{
            .weight = combo & 1 ? w : Tensor(), .reduction = r, .label_smoothing = combo & 2 ? 0.2 : 0.0};
        expect_gradcheck([&](const std::vector<Tensor>& in) { return F::cross_entropy(in[0], in[1], options); },
                         {randn(shape, float64), randn(shape, float64).softmax(1)},
                         "cross_entropy probabilities combo " + std::to_string(combo) + label(r));
      }
    }
  }
}

TEST(LossGradcheck, NllLoss) {
  manual_seed(15);
  for (const Layout& l : kLayouts) {
    const Tensor w = uniform({l.classes}, 0.5, 1.5);
    for (Reduction r : kReductions) {
      for (int combo = 0; combo < 4; ++combo) {
        if ((combo & 2) && l.target.empty()) continue;
        const Tensor weight = combo & 1 ? w : Tensor();
        const Tensor y = labels(l.target, l.classes, combo & 2 ? std::optional<int64_t>(1) : std::nullopt);
        expect_gradcheck([&, r](const std::vector<Tensor>& in) { return F::nll_loss(in[0], in[1], weight, 1, r); },
                         {randn(l.logits, float64), y}, "nll_loss combo " + std::to_string(combo) + label(r));
      }
    }
  }
}

TEST(LossGradcheck, HingeAwayFromTheKink) {
  manual_seed(16);
  const Tensor y = tensor(std::vector<double>{1, -1, -1, 1, 1, -1, 1, -1}, {2, 4});
  for (Reduction r : kReductions) {
    // y f = 1 + d with |d| >= 0.2: both sides of the margin, never on it.
    const Tensor f = y * (away_from_zero({2, 4}) + 1.0);
    expect_gradcheck([&, r](const std::vector<Tensor>& in) { return F::hinge_loss(in[0], y, r); }, {f},
                     "hinge_loss" + label(r));
  }
}

TEST(LossGradcheck, MultiMarginAwayFromTheKinks) {
  manual_seed(17);
  const Tensor w = uniform({4}, 0.5, 1.5);
  for (const Layout& l : {kLayouts[0], kLayouts[2]}) {
    for (Reduction r : kReductions) {
      for (int64_t p : {1, 2}) {
        for (bool weighted : {false, true}) {
          const double margin = weighted ? 0.5 : 1.0;
          const Tensor y = labels(l.target, l.classes);
          // Scores on a grid of 0.3: margin - x[y] + x[j] = margin + 0.3 k is at least 0.1 from 0.
          const Tensor x = randint(-5, 6, l.logits, float64) * 0.3;
          expect_gradcheck(
              [&, r, p, margin, weighted](const std::vector<Tensor>& in) {
                return F::multi_margin_loss(in[0], in[1], p, margin, weighted ? w : Tensor(), r);
              },
              {x, y}, "multi_margin_loss p=" + std::to_string(p) + label(r));
        }
      }
    }
  }
}

TEST(LossGradcheck, KlDiv) {
  manual_seed(18);
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None, Reduction::BatchMean}) {
    for (bool log_target : {false, true}) {
      const Tensor t = log_target ? randn({3, 4}, float64) : uniform({3, 4}, 0.1, 1.0);
      expect_gradcheck(
          [r, log_target](const std::vector<Tensor>& in) { return F::kl_div(in[0], in[1], r, log_target); },
          {randn({3, 4}, float64).log_softmax(1), t}, "kl_div log_target=" + std::to_string(log_target) + label(r));
    }
  }
  // Broadcast target.
  expect_gradcheck([](const std::vector<Tensor>& in) { return F::kl_div(in[0], in[1], Reduction::Sum); },
                   {randn({3, 4}, float64), uniform({4}, 0.1, 1.0)}, "kl_div broadcast");
}

// ---- PyTorch's gradients at the kinks ----------------------------------------------------

TEST(LossKinks, L1AtEqualityIsZero) {
  Tensor x = tensor(std::vector<double>{1.0, 2.0}, {2}).requires_grad_();
  F::l1_loss(x, tensor(std::vector<double>{1.0, 0.0}, {2}), Reduction::Sum).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0.0, 1.0}));
}

TEST(LossKinks, HingeOnTheMarginPassesMinusY) {
  // y f == 1 exactly: torch.clamp(1 - y f, min=0) passes the gradient at its bound.
  Tensor f = tensor(std::vector<double>{1.0, -1.0, 3.0}, {3}).requires_grad_();
  Tensor y = tensor(std::vector<double>{1.0, -1.0, 1.0}, {3});
  Tensor loss = F::hinge_loss(f, y, Reduction::Sum);
  EXPECT_EQ(loss.item(), 0.0);
  loss.backward();
  EXPECT_EQ(f.grad().to_vector<double>(), (std::vector<double>{-1.0, 1.0, 0.0}));
}

TEST(LossKinks, MultiMarginOnTheMarginIsZero) {
  // Sample 0: margin - x[0] + x[1] = 1 - 1 + 0 = 0 exactly (no gradient, as torch's z > 0 test);
  // x[2] violates it by 0.5.
  Tensor x = tensor(std::vector<double>{1.0, 0.0, 0.5}, {1, 3}).requires_grad_();
  Tensor y = tensor(std::vector<int64_t>{0}, {1});
  Tensor loss = F::multi_margin_loss(x, y, 1, 1.0, {}, Reduction::Sum);
  EXPECT_DOUBLE_EQ(loss.item(), 0.5 / 3);
  loss.backward();
  const std::vector<double> g = x.grad().to_vector<double>();
  EXPECT_DOUBLE_EQ(g[0], -1.0 / 3);
  EXPECT_EQ(g[1], 0.0);
  EXPECT_DOUBLE_EQ(g[2], 1.0 / 3);
}
