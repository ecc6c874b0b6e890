// gradcheck itself: it passes correct gradients and catches (and precisely reports) wrong ones.
#include <nabla/nabla.hpp>

#include "autograd/record.hpp"

#include <gtest/gtest.h>

using namespace nabla;

namespace {

// x^3 with a deliberately wrong backward (2x^2 instead of 3x^2) to prove gradcheck notices.
Tensor wrong_cube(const Tensor& x) {
  Tensor out = x * x * x;
  Tensor plain = out.detach().clone();
  return autograd::record("WrongCubeBackward", plain, {x}, [s = autograd::SavedTensor(x)](const Tensor& g) {
    return autograd::TensorList{g * s.get() * s.get() * 2.0};
  });
}

}  // namespace

TEST(Gradcheck, PassesCorrectGradients) {
  manual_seed(3);
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return (in[0] * in[1]).exp(); },
                                {randn({3, 4}), randn({4})});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_LT(r.max_abs_error, 1e-6);
}

TEST(Gradcheck, ReportsInputElementAndBothValues) {
  Tensor x = tensor(std::vector<double>{1.0, 2.0}, {2});
  GradcheckOptions options;
  options.raise = false;
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return wrong_cube(in[0]); }, {x}, options);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("input 0"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("element 0"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("analytic 2"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("numeric 3"), std::string::npos) << r.message;
  EXPECT_THROW(gradcheck([](const std::vector<Tensor>& in) { return wrong_cube(in[0]); }, {x}), Error);
}

TEST(Gradcheck, LeavesCallerInputsUntouchedAndSkipsIntegers) {
  Tensor x = tensor({1.0f, 2.0f});
  Tensor idx = tensor(std::vector<int64_t>{1, 0}, {2});
  GradcheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) { return in[0].index_select(0, in[1]).square(); }, {x, idx});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_FALSE(x.requires_grad());
  EXPECT_FALSE(x.grad().defined());
  EXPECT_EQ(x.dtype(), float32);
}
