// Comparisons, where() and allclose: mask values and dtypes, broadcasting, NaN handling,
// where()'s gradient routing, and allclose's torch.isclose rules.
#include <nabla/nabla.hpp>

#include "../../support/message_of.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using nabla::testing::message_of;

using namespace nabla;

namespace {

std::vector<double> values(const Tensor& t) { return t.to(float64).to_vector<double>(); }

}  // namespace

TEST(Compare, TensorFormsBroadcastAndGiveMasksInTheOperandsDtype) {
  Tensor a = tensor(std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
  Tensor b = tensor({2.0f, 2.0f, 7.0f});  // broadcast over rows
  using V = std::vector<double>;
  EXPECT_EQ(values(a.eq(b)), (V{0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(values(a.ne(b)), (V{1, 0, 1, 1, 1, 1}));
  EXPECT_EQ(values(a.lt(b)), (V{1, 0, 1, 0, 0, 1}));
  EXPECT_EQ(values(a.le(b)), (V{1, 1, 1, 0, 0, 1}));
  EXPECT_EQ(values(a.gt(b)), (V{0, 0, 0, 1, 1, 0}));
  EXPECT_EQ(values(a.ge(b)), (V{0, 1, 0, 1, 1, 0}));
  EXPECT_EQ(a.lt(b).dtype(), float32);
  EXPECT_EQ(a.lt(b).shape(), (Shape{2, 3}));
  // (3, 1) against (2,) broadcasts to (3, 2).
  Tensor c = tensor(std::vector<int64_t>{1, 2, 3}, {3, 1});
  Tensor d = tensor(std::vector<int64_t>{2, 3}, {2});
  EXPECT_EQ(c.ge(d).to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1, 0, 1, 1}));
  EXPECT_EQ(c.ge(d).dtype(), int64);
}

TEST(Compare, ScalarForms) {
  Tensor a = tensor({-1.0f, 0.0f, 0.1f, 2.0f});
  using V = std::vector<double>;
  EXPECT_EQ(values(a.gt(0.0)), (V{0, 0, 1, 1}));
  EXPECT_EQ(values(a.ge(0.0)), (V{0, 1, 1, 1}));
  EXPECT_EQ(values(a.lt(0.0)), (V{1, 0, 0, 0}));
  EXPECT_EQ(values(a.le(0.0)), (V{1, 1, 0, 0}));
  EXPECT_EQ(values(a.ne(2.0)), (V{1, 1, 1, 0}));
  // The scalar is rounded to the tensor's dtype first (0.1 as float32), as in PyTorch.
  EXPECT_EQ(values(a.eq(0.1)), (V{0, 0, 1, 0}));
  // Integer tensors compare exactly against fractional scalars.
  Tensor i = tensor(std::vector<int64_t>{0, 1, 2}, {3});
  EXPECT_EQ(i.lt(0.5).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(i.eq(1.0).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0}));
  Tensor u = tensor(std::vector<int64_t>{0, 7, 255}, {3}, uint8);
  EXPECT_EQ(u.gt(-1.0).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(u.ge(255.0).dtype(), uint8);
}

TEST(Compare, NaNIsUnequalToEverything) {
  Tensor a = tensor({NAN, 1.0f});
  Tensor b = tensor({NAN, NAN});
  using V = std::vector<double>;
  EXPECT_EQ(values(a.eq(b)), (V{0, 0}));
  EXPECT_EQ(values(a.ne(b)), (V{1, 1}));
  EXPECT_EQ(values(a.le(b)), (V{0, 0}));
  EXPECT_EQ(values(a.ge(NAN)), (V{0, 0}));
}

TEST(Compare, NeverRecorded) {
  Tensor x = randn({3}).requires_grad_();
  EXPECT_FALSE(x.gt(0.0).requires_grad());
  EXPECT_FALSE(x.eq(x).requires_grad());
  // A mask multiplies directly and blocks the gradient where it is 0.
  Tensor y = x * x.gt(0.0);
  y.sum().backward();
  const auto xv = x.to_vector<float>(), gv = x.grad().to_vector<float>();
  for (size_t k = 0; k < xv.size(); ++k) EXPECT_EQ(gv[k], xv[k] > 0 ? 1.0f : 0.0f);
}

TEST(Compare, Errors) {
  const std::string msg = message_of([] { ones({2}, float32).lt(ones({2}, int64)); });
  EXPECT_NE(msg.find("float32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("int64"), std::string::npos) << msg;
  const std::string shapes = message_of([] { ones({2, 3}).eq(ones({4})); });
  EXPECT_NE(shapes.find("[2, 3]"), std::string::npos) << shapes;
  EXPECT_NE(shapes.find("[4]"), std::string::npos) << shapes;
}

TEST(Where, ValuesBroadcastAllThree) {
  Tensor cond = tensor(std::vector<int64_t>{1, 0, 0, 5}, {2, 2, 1});  // (2, 2, 1)
  Tensor a = tensor(std::vector<float>{10.0f, 20.0f, 30.0f}, {1, 1, 3});
  Tensor b = tensor(std::vector<float>{-1.0f, -2.0f}, {2, 1});
  Tensor out = where(cond, a, b);
  EXPECT_EQ(out.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(values(out), (std::vector<double>{10, 20, 30, -2, -2, -2, -1, -1, -1, 10, 20, 30}));
  EXPECT_EQ(out.dtype(), float32);
}

TEST(Where, AnyConditionDtypeNonzeroIsTrue) {
  Tensor a = tensor(std::vector<int64_t>{1, 2, 3}, {3});
  Tensor b = tensor(std::vector<int64_t>{-1, -2, -3}, {3});
  const std::vector<int64_t> expected{1, -2, 3};
  EXPECT_EQ(where(tensor({0.5f, 0.0f, NAN}), a, b).to_vector<int64_t>(), expected);
  EXPECT_EQ(where(tensor(std::vector<int64_t>{1, 0, 1}, {3}, uint8), a, b).to_vector<int64_t>(), expected);
  EXPECT_EQ(where(tensor(std::vector<double>{-2, 0, 1e-300}, {3}), a, b).to_vector<int64_t>(), expected);
}

TEST(Where, GradientGoesToTheChosenOperand) {
  Tensor cond = tensor(std::vector<int64_t>{1, 0, 1, 0, 0, 1}, {2, 3});
  Tensor a = randn({2, 3}, float64).requires_grad_();
  Tensor b = randn({3}, float64).requires_grad_();  // broadcast over rows: gradients add up
  where(cond, a, b).sum().backward();
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{1, 0, 1, 0, 0, 1}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{1, 2, 0}));
  EXPECT_FALSE(cond.grad().defined());
  manual_seed(8);
  GradcheckResult r = gradcheck([&](const std::vector<Tensor>& in) { return where(cond, in[0], in[1]) * in[0]; },
                                {randn({2, 3}, float64), randn({2, 1}, float64)}, {.raise = false});
  EXPECT_TRUE(r.ok) << r.message;
  // A float condition that requires grad still gets none.
  Tensor fc = tensor({1.0f, 0.0f}).requires_grad_();
  Tensor fa = tensor({1.0f, 2.0f}).requires_grad_();
  where(fc, fa, fa * 3.0).sum().backward();
  EXPECT_FALSE(fc.grad().defined());
  EXPECT_EQ(fa.grad().to_vector<float>(), (std::vector<float>{1, 3}));
}

TEST(Where, Errors) {
  const std::string dt = message_of([] { where(ones({2}), ones({2}, float32), ones({2}, float64)); });
  EXPECT_NE(dt.find("float64"), std::string::npos) << dt;
  const std::string sh = message_of([] { where(ones({3}), ones({2}), ones({2})); });
  EXPECT_NE(sh.find("[3]"), std::string::npos) << sh;
  EXPECT_NE(sh.find("[2]"), std::string::npos) << sh;
  EXPECT_THROW(where(Tensor(), ones({2}), ones({2})), Error);
}

TEST(Allclose, ToleranceAndBroadcasting) {
  Tensor a = tensor({1.0f, 2.0f, 3.0f});
  EXPECT_TRUE(allclose(a, a));
  EXPECT_TRUE(allclose(a, a + 1e-6));
  EXPECT_FALSE(allclose(a, a + 1e-3));
  EXPECT_TRUE(allclose(a, a + 1e-3, 0.0, 2e-3));
  // |a - b| <= atol + rtol * |b|: b's magnitude sets the tolerance.
  Tensor x = tensor(std::vector<double>{100}, {1});
  Tensor y = tensor(std::vector<double>{101}, {1});
  EXPECT_TRUE(allclose(x, y, 0.01, 0.0));    // 1 <= 1.01
  EXPECT_FALSE(allclose(x, y, 0.0099, 0.0));  // 1 > 0.9999
  EXPECT_TRUE(allclose(ones({2, 3}), ones({3})));
  EXPECT_FALSE(allclose(ones({2, 3}), tensor({1.0f, 1.0f, 1.5f})));
  EXPECT_THROW(allclose(ones({2, 3}), ones({2})), Error);
  EXPECT_THROW(allclose(a, a, -1.0), Error);
}

TEST(Allclose, NaNInfinityAndMixedDtypes) {
  EXPECT_FALSE(allclose(tensor({NAN}), tensor({NAN})));
  EXPECT_TRUE(allclose(tensor({INFINITY, -INFINITY}), tensor({INFINITY, -INFINITY})));
  EXPECT_FALSE(allclose(tensor({INFINITY}), tensor({-INFINITY})));
  EXPECT_FALSE(allclose(tensor({1.0f}), tensor({INFINITY})));
  EXPECT_FALSE(allclose(tensor({INFINITY}), tensor({1e30f})));
  EXPECT_TRUE(allclose(tensor(std::vector<int64_t>{1, 2}, {2}), tensor({1.0f, 2.0f})));
  EXPECT_FALSE(allclose(tensor(std::vector<int64_t>{1, 3}, {2}), tensor(std::vector<double>{1, 2}, {2})));
  // Non-contiguous operands compare element by element.
  Tensor m = arange(6.0).reshape({2, 3});
  EXPECT_TRUE(allclose(m.t(), tensor(std::vector<float>{0.0f, 3.0f, 1.0f, 4.0f, 2.0f, 5.0f}, {3, 2})));
  EXPECT_FALSE(allclose(m.t(), m.reshape({3, 2})));
}

TEST(ValueTests, IsNanIsInfIsFinite) {
  Tensor x = tensor({1.0f, NAN, INFINITY, -INFINITY, -0.0f});
  EXPECT_EQ(x.isnan().to_vector(), (std::vector<float>{0, 1, 0, 0, 0}));
  EXPECT_EQ(x.isinf().to_vector(), (std::vector<float>{0, 0, 1, 1, 0}));
  EXPECT_EQ(x.isfinite().to_vector(), (std::vector<float>{1, 0, 0, 0, 1}));
  EXPECT_EQ(x.isnan().dtype(), float32);
  // float64, a strided view, and integers (never NaN or infinite).
  Tensor d = tensor(std::vector<double>{NAN, 2, 3, INFINITY}, {2, 2}).t();
  EXPECT_EQ(d.isfinite().to_vector<double>(), (std::vector<double>{0, 1, 1, 0}));
  Tensor i = tensor(std::vector<int64_t>{5, -7}, {2});
  EXPECT_EQ(i.isfinite().to_vector<int64_t>(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(i.isnan().to_vector<int64_t>(), (std::vector<int64_t>{0, 0}));
  EXPECT_THROW(Tensor().isnan(), Error);
}
