// Tensor core: creation, metadata, views sharing storage, copies, dtype conversion, errors.
#include <nabla/nabla.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace nabla;

TEST(Creation, FactoriesFillValues) {
  EXPECT_EQ(zeros({2, 3}).to_vector(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(ones({4}).to_vector(), std::vector<float>(4, 1.0f));
  EXPECT_EQ(full({2}, 2.5).to_vector(), (std::vector<float>{2.5f, 2.5f}));
  EXPECT_EQ(arange(5).to_vector(), (std::vector<float>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(1, 2, 0.25).to_vector(), (std::vector<float>{1, 1.25, 1.5, 1.75}));
  EXPECT_EQ(arange(3, 0, -1, int64).to_vector<int64_t>(), (std::vector<int64_t>{3, 2, 1}));
  EXPECT_EQ(linspace(0, 1, 5).to_vector(), (std::vector<float>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(linspace(-1, 1, 1).to_vector(), (std::vector<float>{-1}));
  EXPECT_EQ(eye(2, 3).to_vector(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(tensor({1.0f, 2.0f}).shape(), (Shape{2}));
  EXPECT_EQ(scalar_tensor(3.0).ndim(), 0);
  EXPECT_EQ(scalar_tensor(3.0).item(), 3.0);
  EXPECT_EQ(tensor(std::vector<double>{1, 2, 3, 4}, {2, 2}).dtype(), float64);
  EXPECT_EQ(zeros({0, 3}).numel(), 0);
}

TEST(Creation, BadArgumentsThrowWithValues) {
  try {
    tensor(std::vector<float>{1, 2, 3}, {2, 2});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 2]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(zeros({2, -1}), Error);
  EXPECT_THROW(arange(0, 1, 0), Error);
  EXPECT_THROW(ones({2}).item(), Error);
}

TEST(Metadata, SizesStridesAndNegativeDims) {
  Tensor t = zeros({2, 3, 4});
  EXPECT_EQ(t.ndim(), 3);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.size(-1), 4);
  EXPECT_EQ(t.strides(), (Shape{12, 4, 1}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_THROW(t.size(3), Error);
  EXPECT_THROW(Tensor().shape(), Error);
}

TEST(Views, ShareStorageAndSeeWrites) {
  Tensor a = arange(6).reshape({2, 3});
  Tensor t = a.t();
  EXPECT_TRUE(t.shares_storage(a));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(t.to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  a.select(0, 1).fill_(9);  // writes through a view are seen by every other view
  EXPECT_EQ(t.to_vector(), (std::vector<float>{0, 9, 1, 9, 2, 9}));
  Tensor c = t.contiguous();
  EXPECT_FALSE(c.shares_storage(a));
  EXPECT_TRUE(c.is_contiguous());
}

TEST(Views, ReshapeViewRules) {
  Tensor a = arange(24).reshape({2, 3, 4});
  EXPECT_EQ(a.view({6, -1}).shape(), (Shape{6, 4}));
  EXPECT_TRUE(a.view({4, 6}).shares_storage(a));
  // A transposed tensor cannot be flattened as a view, but reshape copies.
  Tensor t = a.transpose(1, 2);
  EXPECT_THROW(t.view({-1}), Error);
  Tensor r = t.reshape({-1});
  EXPECT_FALSE(r.shares_storage(a));
  EXPECT_EQ(r.to_vector()[1], 4.0f);
  // Splitting a dimension of a non-contiguous tensor is still a view.
  EXPECT_TRUE(t.view({2, 2, 2, 3}).shares_storage(a));
  EXPECT_THROW(a.view({5, -1}), Error);
  EXPECT_THROW(a.view({-1, -1}), Error);
  EXPECT_EQ(a.flatten(1).shape(), (Shape{2, 12}));
  EXPECT_EQ(a.flatten().shape(), (Shape{24}));
}

TEST(Views, NarrowSliceSelectSqueezeUnsqueezePermute) {
  Tensor a = arange(12).reshape({3, 4});
  EXPECT_EQ(a.narrow(1, 1, 2).to_vector(), (std::vector<float>{1, 2, 5, 6, 9, 10}));
  EXPECT_EQ(a.slice(1, 0, 4, 2).to_vector(), (std::vector<float>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(a.slice(0, -1, 100).to_vector(), (std::vector<float>{8, 9, 10, 11}));
  EXPECT_EQ(a.select(1, -1).to_vector(), (std::vector<float>{3, 7, 11}));
  EXPECT_THROW(a.narrow(0, 2, 2), Error);
  EXPECT_THROW(a.select(0, 3), Error);
  Tensor u = a.unsqueeze(0).unsqueeze(-1);
  EXPECT_EQ(u.shape(), (Shape{1, 3, 4, 1}));
  EXPECT_EQ(u.squeeze().shape(), (Shape{3, 4}));
  EXPECT_EQ(u.squeeze(0).shape(), (Shape{3, 4, 1}));
  EXPECT_EQ(u.squeeze(1).shape(), (Shape{1, 3, 4, 1}));
  Tensor p = arange(24).reshape({2, 3, 4}).permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.select(0, 1).select(0, 1).to_vector(), (std::vector<float>{13, 17, 21}));
  EXPECT_THROW(p.permute({0, 0, 1}), Error);
}

TEST(Views, ExpandBroadcastsWithoutCopy) {
  Tensor a = tensor({1.0f, 2.0f, 3.0f}).reshape({3, 1});
  Tensor e = a.expand({2, 3, 4});
  EXPECT_EQ(e.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(e.strides(), (Shape{0, 1, 0}));
  EXPECT_TRUE(e.shares_storage(a));
  EXPECT_EQ(e.select(0, 1).select(0, 2).to_vector(), (std::vector<float>{3, 3, 3, 3}));
  EXPECT_THROW(a.expand({2, 4}), Error);
  EXPECT_EQ(a.expand({-1, 5}).shape(), (Shape{3, 5}));
}

TEST(Copies, FloatToIntegerOutOfRangeIsDefined) {
  // C++ leaves these conversions undefined; nabla truncates, then wraps as PyTorch does on x86.
  Tensor f = tensor({256.0f, -1.0f, 300.7f, 255.9f, NAN, 1e30f, -1e30f});
  EXPECT_EQ(f.to(uint8).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 255, 44, 255, 0, 255, 0}));
  EXPECT_EQ(f.to(int64).to_vector<int64_t>(),
            (std::vector<int64_t>{256, -1, 300, 255, 0, INT64_MAX, INT64_MIN}));
}

TEST(Copies, CloneToAndCopy) {
  Tensor a = arange(4).reshape({2, 2});
  Tensor d = a.to(float64);
  EXPECT_EQ(d.dtype(), float64);
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{0, 1, 2, 3}));
  Tensor i = tensor({1.7f, -1.7f}).to(int64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, -1}));  // truncation, as C++ and torch
  Tensor b = zeros({2, 2});
  b.copy_(tensor({5.0f, 6.0f}));  // broadcast rows
  EXPECT_EQ(b.to_vector(), (std::vector<float>{5, 6, 5, 6}));
  Tensor c = a.clone();
  c.fill_(1);
  EXPECT_EQ(a.to_vector()[0], 0.0f);
  // Copying a tensor onto an overlapping view of itself reads before it writes.
  Tensor v = arange(4);
  v.slice(0, 1, 4).copy_(v.slice(0, 0, 3));
  EXPECT_EQ(v.to_vector(), (std::vector<float>{0, 0, 1, 2}));
}

TEST(Random, SameSeedSameNumbersAndPinnedStream) {
  manual_seed(42);
  std::vector<float> a = randn({1000}).to_vector();
  manual_seed(42);
  std::vector<float> b = randn({1000}).to_vector();
  EXPECT_EQ(a, b);
  Generator g(7), h(7);
  EXPECT_EQ(rand({5}, g).to_vector(), rand({5}, h).to_vector());
  // The stream is nabla's own (xoshiro256++), identical on every platform: pin a few values.
  Generator p(0);
  EXPECT_EQ(p.next_u64(), 0x53175d61490b23dfULL);
  EXPECT_EQ(p.next_u64(), 0x61da6f3dc380d507ULL);
}

TEST(Random, DistributionsHaveTheRightMoments) {
  Generator g(1);
  std::vector<double> n = randn({200000}, g, float64).to_vector<double>();
  double mean = 0, sq = 0;
  for (double v : n) mean += v, sq += v * v;
  mean /= static_cast<double>(n.size());
  const double var = sq / static_cast<double>(n.size()) - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.01);
  std::vector<float> u = rand({100000}, g).to_vector();
  for (float v : u) ASSERT_TRUE(v >= 0.0f && v < 1.0f);
  std::vector<int64_t> r = randint(3, 7, {10000}, g).to_vector<int64_t>();
  std::vector<int> counts(4, 0);
  for (int64_t v : r) {
    ASSERT_TRUE(v >= 3 && v < 7);
    counts[static_cast<size_t>(v - 3)]++;
  }
  for (int c : counts) EXPECT_NEAR(c, 2500, 200);
  std::vector<float> bern = bernoulli({10000}, 0.3, g).to_vector();
  double ones = 0;
  for (float v : bern) ones += v;
  EXPECT_NEAR(ones / 10000.0, 0.3, 0.02);
  std::vector<int64_t> perm = randperm(10, g).to_vector<int64_t>();
  std::sort(perm.begin(), perm.end());
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(perm[static_cast<size_t>(i)], i);
  EXPECT_THROW(bernoulli(tensor({0.5f, 1.5f})), Error);
}

TEST(Random, GeneratorStateRoundTrips) {
  Generator g(3);
  randn({7}, g);
  Generator::State s = g.get_state();
  std::vector<float> expected = randn({9}, g).to_vector();
  Generator h;
  h.set_state(s);
  EXPECT_EQ(randn({9}, h).to_vector(), expected);
}

TEST(Printing, LooksLikePyTorch) {
  EXPECT_EQ(tensor({1.0f, 2.0f, 3.0f}).to_string(), "tensor([1., 2., 3.])");
  EXPECT_EQ(tensor({0.1f, -2.0f}).to_string(), "tensor([ 0.1000, -2.0000])");
  EXPECT_EQ(arange(4).reshape({2, 2}).to_string(), "tensor([[0., 1.],\n        [2., 3.]])");
  EXPECT_EQ(scalar_tensor(3.0).to_string(), "tensor(3.)");
  EXPECT_EQ(tensor({1e-5f, 1.0f}).to_string(), "tensor([1.0000e-05, 1.0000e+00])");
  EXPECT_EQ(arange(3, int64).to_string(), "tensor([0, 1, 2])");
  EXPECT_EQ(ones({1}, float64).to_string(), "tensor([1.], dtype=float64)");
  EXPECT_EQ(tensor({2.0f}).requires_grad_().to_string(), "tensor([2.], requires_grad=True)");
  EXPECT_EQ(zeros({0}).to_string(), "tensor([])");
  EXPECT_EQ(arange(8).reshape({2, 2, 2}).to_string(),
            "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])");
  const std::string big = arange(2000).to_string();
  EXPECT_NE(big.find("..."), std::string::npos);
  EXPECT_LT(big.size(), 200u);
}
