// In-place elementwise ops: values (also through non-contiguous views and overlapping
// operands), broadcasting to self's shape, dtype rules, autograd's refusal while grad mode is
// on, and the version counter that catches a saved tensor modified before backward.
#include <nabla/nabla.hpp>

#include "../../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using nabla::testing::message_of;

using namespace nabla;

namespace {

std::vector<double> values(const Tensor& t) { return t.to(float64).to_vector<double>(); }

uint64_t version(const Tensor& t) { return t.impl()->storage->version; }

}  // namespace

TEST(Inplace, ArithmeticValuesWithBroadcasting) {
  using V = std::vector<double>;
  Tensor x = arange(6.0).reshape({2, 3});
  Tensor row = tensor({1.0f, 2.0f, 3.0f});
  Tensor& same = x.add_(row, 2.0);
  EXPECT_TRUE(same.is_same(x));
  EXPECT_EQ(values(x), (V{2, 5, 8, 5, 8, 11}));
  x.sub_(tensor(std::vector<float>{1.0f, 2.0f}, {2, 1}));
  EXPECT_EQ(values(x), (V{1, 4, 7, 3, 6, 9}));
  x.sub_(row, 0.5);
  EXPECT_EQ(values(x), (V{0.5, 3, 5.5, 2.5, 5, 7.5}));
  x.mul_(scalar_tensor(2.0));
  EXPECT_EQ(values(x), (V{1, 6, 11, 5, 10, 15}));
  x.div_(tensor({1.0f, 2.0f, 4.0f}));
  EXPECT_EQ(values(x), (V{1, 3, 2.75, 5, 5, 3.75}));
  x.add_(1.0).sub_(2.0).mul_(4.0).div_(8.0);
  EXPECT_EQ(values(x), (V{0, 1, 0.875, 2, 2, 1.375}));
  EXPECT_EQ(x.shape(), (Shape{2, 3}));
  EXPECT_EQ(x.dtype(), float32);
}

TEST(Inplace, AddcmulAddcdivClampSqrt) {
  using V = std::vector<double>;
  Tensor x = tensor(std::vector<double>{1, 2, 3, 4}, {2, 2});
  Tensor a = tensor(std::vector<double>{1, 2}, {2});
  Tensor b = tensor(std::vector<double>{2, 4, 6, 8}, {2, 2});
  x.addcmul_(a, b, 0.5);  // x + 0.5 * a * b
  EXPECT_EQ(values(x), (V{2, 6, 6, 12}));
  x.addcdiv_(b, a, -1.0);  // x - b / a
  EXPECT_EQ(values(x), (V{0, 4, 0, 8}));
  x.addcmul_(a, a);
  EXPECT_EQ(values(x), (V{1, 8, 1, 12}));
  x.clamp_(2.0, 10.0);
  EXPECT_EQ(values(x), (V{2, 8, 2, 10}));
  x.clamp_(std::nullopt, 4.0);
  EXPECT_EQ(values(x), (V{2, 4, 2, 4}));
  x.clamp_(3.0, std::nullopt).sqrt_();
  EXPECT_EQ(values(x), (V{std::sqrt(3.0), 2, std::sqrt(3.0), 2}));
  EXPECT_THROW(x.clamp_(std::nullopt, std::nullopt), Error);
}

TEST(Inplace, WritesThroughNonContiguousViews) {
  using V = std::vector<double>;
  Tensor x = arange(6.0).reshape({2, 3});
  Tensor t = x.t();  // (3, 2) view, strides (1, 3)
  t.add_(tensor(std::vector<float>{10.0f, 20.0f, 30.0f, 40.0f, 50.0f, 60.0f}, {3, 2}));
  EXPECT_EQ(values(x), (V{10, 31, 52, 23, 44, 65}));
  x.narrow(1, 1, 1).mul_(0.0);  // column 1 only
  EXPECT_EQ(values(x), (V{10, 0, 52, 23, 0, 65}));
  x.select(0, 1).clamp_(24.0, 60.0);
  EXPECT_EQ(values(x), (V{10, 0, 52, 24, 24, 60}));
  x.t().addcmul_(ones({3, 1}), tensor({1.0f, 2.0f}));  // adds 1 to row 0, 2 to row 1
  EXPECT_EQ(values(x), (V{11, 1, 53, 26, 26, 62}));
}

TEST(Inplace, OperandOverlappingSelfIsReadBeforeWriting) {
  using V = std::vector<double>;
  Tensor x = arange(5.0);
  x.narrow(0, 1, 4).add_(x.narrow(0, 0, 4));  // x[1:] += old x[:-1]
  EXPECT_EQ(values(x), (V{0, 1, 3, 5, 7}));
  Tensor y = arange(4.0);
  y.add_(y);
  EXPECT_EQ(values(y), (V{0, 2, 4, 6}));
  Tensor m = arange(4.0).reshape({2, 2});
  m.mul_(m.t());  // reads the transpose of what it writes
  EXPECT_EQ(values(m), (V{0, 2, 2, 9}));
  Tensor z = arange(4.0);
  z.narrow(0, 0, 3).addcmul_(z.narrow(0, 1, 3), z.narrow(0, 1, 3));  // z[:3] += old z[1:]^2
  EXPECT_EQ(values(z), (V{1, 5, 11, 3}));
}

TEST(Inplace, SelfNeverChangesShape) {
  Tensor x = ones({3});
  std::string msg = message_of([&] { x.add_(ones({2, 3})); });
  EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3]"), std::string::npos) << msg;
  msg = message_of([&] { ones({3, 4}).mul_(ones({5})); });
  EXPECT_NE(msg.find("[5]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3, 4]"), std::string::npos) << msg;
  EXPECT_THROW(ones({2, 2}).addcmul_(ones({2}), ones({3})), Error);
  // A failed check writes nothing and leaves the version alone.
  const uint64_t before = version(x);
  EXPECT_THROW(x.sub_(ones({4})), Error);
  EXPECT_EQ(version(x), before);
  EXPECT_EQ(values(x), (std::vector<double>{1, 1, 1}));
}

TEST(Inplace, ExpandedSelfIsRefused) {
  Tensor e = zeros({1, 2}).expand({3, 2});
  const std::string msg = message_of([&] { e.add_(1.0); });
  EXPECT_NE(msg.find("add_"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3, 2]"), std::string::npos) << msg;
}

TEST(Inplace, DtypeRules) {
  Tensor i = tensor(std::vector<int64_t>{1, 2, 3}, {3});
  i.add_(tensor(std::vector<int64_t>{1, 1, 1}, {3}), 2.0).sub_(1.0).mul_(3.0);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{6, 9, 12}));
  i.mul_(tensor(std::vector<int64_t>{2}, {1})).sub_(tensor(std::vector<int64_t>{1, 2, 3}, {3}));
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{11, 16, 21}));
  i.clamp_(12.0, 20.0);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{12, 16, 20}));
  EXPECT_NE(message_of([&] { i.div_(2.0); }).find("div_"), std::string::npos);
  EXPECT_NE(message_of([&] { i.div_(i); }).find("int64"), std::string::npos);
  EXPECT_THROW(i.sqrt_(), Error);
  EXPECT_THROW(i.addcdiv_(i, i), Error);
  EXPECT_THROW(i.add_(0.5), Error);  // would be truncated
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{12, 16, 20}));
  const std::string msg = message_of([] { ones({2}).add_(ones({2}, float64)); });
  EXPECT_NE(msg.find("float32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("float64"), std::string::npos) << msg;
}

TEST(Inplace, RefusedWhileGradModeWouldRecord) {
  Tensor w = ones({2}).requires_grad_();
  std::string msg = message_of([&] { w.add_(1.0); });
  EXPECT_NE(msg.find("in-place"), std::string::npos) << msg;
  EXPECT_THROW(w.mul_(ones({2})), Error);
  EXPECT_THROW((w * 2.0).add_(1.0), Error);  // a non-leaf that requires grad
  // Reading a tensor that requires grad is refused too.
  Tensor plain = zeros({2});
  EXPECT_THROW(plain.add_(w), Error);
  EXPECT_EQ(values(w), (std::vector<double>{1, 1}));
  {
    NoGradGuard no_grad;
    const uint64_t before = version(w);
    w.sub_(ones({2}), 0.5).addcmul_(w, w);
    EXPECT_GT(version(w), before);
    plain.add_(w);
  }
  EXPECT_EQ(values(w), (std::vector<double>{0.75, 0.75}));
  EXPECT_EQ(values(plain), (std::vector<double>{0.75, 0.75}));
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(w.is_leaf());
}

TEST(Inplace, VersionCounterCatchesModifiedSavedTensors) {
  Tensor leaf = tensor({1.0f, 2.0f}).requires_grad_();
  Tensor b = tensor({3.0f, 4.0f});
  Tensor a = leaf.mul(b);  // saves b for leaf's gradient
  b.add_(1.0);             // allowed: b does not require grad
  const std::string msg = message_of([&] { a.sum().backward(); });
  EXPECT_NE(msg.find("in-place"), std::string::npos) << msg;

  // A saved output (exp saves its result) modified under no-grad.
  Tensor x = tensor({0.0f, 1.0f}).requires_grad_();
  Tensor y = x.exp();
  {
    NoGradGuard no_grad;
    y.mul_(2.0);
  }
  EXPECT_THROW(y.sum().backward(), Error);

  // Modifying something that was not saved is harmless: add saves nothing.
  Tensor c = tensor({3.0f, 4.0f});
  Tensor s = leaf + c;
  c.mul_(10.0);
  s.sum().backward();
  EXPECT_EQ(leaf.grad().to_vector<float>(), (std::vector<float>{1, 1}));
}
