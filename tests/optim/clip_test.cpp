// clip_grad_norm_ and clip_grad_value_ against torch.nn.utils on fixed gradients, for every
// norm type (p, 0, +/-inf), clipping and not, float64 and float32.
#include <nabla/optim/clip.hpp>

#include "trajectory.hpp"

#include <limits>

namespace {

using namespace nabla;
using nabla::testing::expect_error;
using nabla::testing::golden_tensor;
using nabla::testing::max_relative_error;

const nlohmann::json& clip_golden() { return nabla::testing::optim_golden().at("clip"); }

// Parameters holding the golden gradients (in `dtype`), plus one without a gradient.
std::vector<Tensor> params_with_grads(DType dtype) {
  std::vector<Tensor> params;
  for (const auto& g : clip_golden().at("grads")) {
    const Tensor grad = golden_tensor(g).to(dtype);
    Tensor p = zeros(grad.shape(), dtype).requires_grad_();
    p.set_grad(grad.clone());
    params.push_back(p);
  }
  params.push_back(zeros({4}, dtype).requires_grad_());
  return params;
}

double parse_norm(const std::string& s) {
  const double inf = std::numeric_limits<double>::infinity();
  return s == "inf" ? inf : s == "-inf" ? -inf : std::stod(s);
}

TEST(ClipGradNorm, MatchesPyTorch) {
  int cases = 0;
  for (const auto& c : clip_golden().at("norm_cases")) {
    const DType dtype = c.at("dtype") == "float32" ? float32 : float64;
    const double tol = dtype == float32 ? 1e-6 : 1e-12;
    SCOPED_TRACE("norm_type " + c.at("norm_type").get<std::string>() + ", max_norm " +
                 std::to_string(c.at("max_norm").get<double>()) + ", " + c.at("dtype").get<std::string>());
    std::vector<Tensor> params = params_with_grads(dtype);
    const Tensor total = optim::clip_grad_norm_(params, c.at("max_norm"), parse_norm(c.at("norm_type")));
    EXPECT_EQ(total.ndim(), 0);
    EXPECT_EQ(total.dtype(), dtype);
    EXPECT_NEAR(total.item(), c.at("total_norm").get<double>(), tol * c.at("total_norm").get<double>());
    for (size_t i = 0; i < c.at("grads").size(); ++i)
      EXPECT_LE(max_relative_error(params[i].grad(), golden_tensor(c.at("grads")[i])), tol) << "grad " << i;
    EXPECT_FALSE(params.back().grad().defined());
    ++cases;
  }
  EXPECT_EQ(cases, 28);
}

TEST(ClipGradNorm, ScalesToMaxNormExactlyWhenClipping) {
  Tensor w = zeros({2}, float64).requires_grad_();
  w.set_grad(tensor(std::vector<double>{3, 4}, {2}, float64));
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm_({w}, 1.0).item(), 5.0);
  const double coef = 1.0 / (5.0 + 1e-6);
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{3 * coef, 4 * coef}));
}

TEST(ClipGradNorm, NoGradientsGiveZero) {
  Tensor w = zeros({2}).requires_grad_();
  const Tensor total = optim::clip_grad_norm_({w}, 1.0);
  EXPECT_EQ(total.item(), 0.0);
  EXPECT_EQ(total.dtype(), float32);
}

TEST(ClipGradNorm, NonFiniteNorm) {
  Tensor w = zeros({2}).requires_grad_();
  w.set_grad(tensor({1.0f, std::numeric_limits<float>::infinity()}));
  expect_error([&] { optim::clip_grad_norm_({w}, 1.0, 2.0, /*error_if_nonfinite=*/true); }, "non-finite (inf)");
  EXPECT_EQ(w.grad().to_vector<float>()[0], 1.0f);  // left untouched by the refusal
  const Tensor total = optim::clip_grad_norm_({w}, 1.0);  // scaled by 1 / inf, as PyTorch
  EXPECT_TRUE(std::isinf(total.item()));
  EXPECT_EQ(w.grad().to_vector<float>()[0], 0.0f);
}

TEST(ClipGradValue, MatchesPyTorch) {
  std::vector<Tensor> params = params_with_grads(float64);
  const auto& c = clip_golden().at("value_case");
  optim::clip_grad_value_(params, c.at("clip_value"));
  for (size_t i = 0; i < c.at("grads").size(); ++i)
    EXPECT_EQ(params[i].grad().to_vector<double>(), golden_tensor(c.at("grads")[i]).to_vector<double>());
  EXPECT_FALSE(params.back().grad().defined());
}

}  // namespace
