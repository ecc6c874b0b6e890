// Upsample and functional::interpolate: PyTorch's outputs and input gradients for nearest and
// bilinear (both align_corners) at integer, non-integer and per-axis scale factors and explicit
// sizes (float64 to 1e-10, float32 to 1e-5), printing, gradchecks, hand-checked small cases,
// bit-identical results on 1 and 2 threads, and the option and shape errors.
#include <nabla/nabla.hpp>
#include <nabla/nn/norm_all.hpp>

#include "../support/golden.hpp"
#include "../support/message_of.hpp"

#include <gtest/gtest.h>

#include <functional>

using nabla::testing::message_of;

using namespace nabla;
namespace F = nabla::nn::functional;
using nabla::testing::golden;
using nabla::testing::golden_tensor;
using nabla::testing::max_relative_error;

namespace {

using Json = nlohmann::json;

const Json& cases() {
  static const Json j = golden("nn_norm")["upsample"];
  return j;
}

nn::UpsampleOptions options_of(const Json& j) {
  nn::UpsampleOptions o;
  if (j.contains("size")) o.size = j["size"].get<std::vector<int64_t>>();
  if (j.contains("scale_factor")) o.scale_factor = j["scale_factor"].get<std::vector<double>>();
  o.mode = j["mode"].get<std::string>();
  if (j.contains("align_corners")) o.align_corners = j["align_corners"].get<bool>();
  return o;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// ---- PyTorch's values ----------------------------------------------------------------------------------

TEST(UpsampleGolden, ForwardAndInputGradientMatchPyTorch) {
  for (const Json& c : cases()) {
    SCOPED_TRACE(c["repr"].get<std::string>() + " " + c["options"].dump());
    nn::Upsample up(options_of(c["options"]));
    EXPECT_EQ(up.to_string(), c["repr"].get<std::string>());
    for (DType dtype : {float64, float32}) {
      const double tol = dtype == float64 ? 1e-10 : 1e-5, floor = dtype == float64 ? 1e-3 : 1.0;
      Tensor x = golden_tensor(c["x"]).to(dtype).requires_grad_();
      Tensor y = up.forward(x);
      ASSERT_EQ(y.shape(), golden_tensor(c["y"]).shape());
      EXPECT_LT(max_relative_error(y, golden_tensor(c["y"]), floor), tol);
      y.backward(golden_tensor(c["g"]).to(dtype));
      EXPECT_LT(max_relative_error(x.grad(), golden_tensor(c["grad_x"]), floor), tol);
    }
  }
}

// ---- finite differences --------------------------------------------------------------------------------

TEST(UpsampleGradcheck, NearestAndBilinear) {
  manual_seed(4);
  const std::vector<nn::UpsampleOptions> all = {
      {.scale_factor = {2.0}},
      {.size = {5, 3}},
      {.scale_factor = {1.7, 0.8}, .mode = "bilinear"},
      {.scale_factor = {2.0}, .mode = "bilinear", .align_corners = true},
      {.size = {7, 2}, .mode = "bilinear", .align_corners = false},
      {.size = {1, 5}, .mode = "bilinear", .align_corners = true},
  };
  for (const auto& o : all) {
    SCOPED_TRACE(nn::Upsample(o).to_string());
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return F::interpolate(in[0], o); },
                          {randn({2, 2, 3, 4}, float64)}).ok);
    // A non-contiguous input.
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return F::interpolate(in[0].transpose(2, 3), o); },
                          {randn({1, 2, 4, 3}, float64)}).ok);
  }
}

// ---- small cases by hand -------------------------------------------------------------------------------

TEST(UpsampleValues, NearestRepeatsAndBilinearInterpolates) {
  Tensor x = tensor(std::vector<float>{1, 2, 3, 4}, {1, 1, 2, 2});
  EXPECT_EQ(F::interpolate(x, {.scale_factor = {2.0}}).to_vector<float>(),
            (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // size (2, 3) from width 2: source columns floor(o * 2/3) = 0, 0, 1.
  EXPECT_EQ(F::interpolate(x, {.size = {2, 3}}).to_vector<float>(), (std::vector<float>{1, 1, 2, 3, 3, 4}));
  // align_corners: the corners coincide, (1, 3) along a row of 3 has the midpoint in between.
  EXPECT_EQ(F::interpolate(x, {.size = {2, 3}, .mode = "bilinear", .align_corners = true}).to_vector<float>(),
            (std::vector<float>{1, 1.5f, 2, 3, 3.5f, 4}));
  // Without: source x = (o + 0.5) * 2/3 - 0.5 = -1/6 (clamped to 0), 0.5, 7/6 (clamped to the edge).
  EXPECT_EQ(F::interpolate(x, {.size = {2, 3}, .mode = "bilinear"}).to_vector<float>(),
            (std::vector<float>{1, 1.5f, 2, 3, 3.5f, 4}));
  // A constant image stays constant; an unchanged size is the identity.
  Tensor c = full({2, 3, 4, 5}, 2.5);
  EXPECT_EQ(F::interpolate(c, {.scale_factor = {1.6, 0.7}, .mode = "bilinear"}).to_vector<float>(),
            std::vector<float>(2 * 3 * 6 * 3, 2.5f));
  Tensor r = randn({1, 2, 3, 4});
  EXPECT_EQ(F::interpolate(r, {.size = {3, 4}, .mode = "bilinear"}).to_vector<float>(), r.to_vector<float>());
  // The nearest gradient sums over each source pixel's copies.
  Tensor xg = ones({1, 1, 2, 2}).requires_grad_();
  F::interpolate(xg, {.scale_factor = {2.0, 3.0}}).sum().backward();
  EXPECT_EQ(xg.grad().to_vector<float>(), std::vector<float>(4, 6.0f));
}

TEST(UpsampleModule, PrintingAndNoState) {
  EXPECT_EQ(nn::Upsample({.scale_factor = {2.0}}).to_string(), "Upsample(scale_factor=2.0, mode=nearest)");
  EXPECT_EQ(nn::Upsample({.scale_factor = {2.0, 1.5}, .mode = "bilinear"}).to_string(),
            "Upsample(scale_factor=(2.0, 1.5), mode=bilinear)");
  EXPECT_EQ(nn::Upsample({.size = {28}}).to_string(), "Upsample(size=28, mode=nearest)");
  EXPECT_EQ(nn::Upsample({.size = {5, 7}, .mode = "bilinear", .align_corners = true}).to_string(),
            "Upsample(size=(5, 7), mode=bilinear)");
  nn::Upsample up({.size = {28}});
  EXPECT_TRUE(up.state_dict().empty());
  EXPECT_EQ(up.forward(zeros({2, 1, 14, 10})).shape(), (Shape{2, 1, 28, 28}));
}

// ---- determinism -------------------------------------------------------------------------------------

TEST(UpsampleThreads, BitIdenticalOnOneAndTwoThreads) {
  const int saved = get_num_threads();
  auto run = [](int threads, const nn::UpsampleOptions& o) {
    set_num_threads(threads);
    manual_seed(12);
    Tensor x = randn({4, 8, 32, 32}).requires_grad_();
    Tensor y = F::interpolate(x, o);
    (y * y).sum().backward();
    return std::make_pair(y.to_vector<float>(), x.grad().to_vector<float>());
  };
  for (const nn::UpsampleOptions& o : std::vector<nn::UpsampleOptions>{
           {.scale_factor = {2.0}}, {.scale_factor = {1.7}, .mode = "bilinear"},
           {.size = {45, 70}, .mode = "bilinear", .align_corners = true}}) {
    SCOPED_TRACE(nn::Upsample(o).to_string());
    const auto one = run(1, o), two = run(2, o);
    EXPECT_EQ(one.first, two.first);
    EXPECT_EQ(one.second, two.second);
  }
  set_num_threads(saved);
}

// ---- errors ---------------------------------------------------------------------------------------------

TEST(UpsampleErrors, OptionsAndShapes) {
  auto up_error = [](const nn::UpsampleOptions& o) { return message_of([&] { nn::Upsample up(o); }); };
  EXPECT_TRUE(contains(up_error({.scale_factor = {2.0}, .mode = "bicubic"}), "got 'bicubic'"));
  EXPECT_TRUE(contains(up_error({.scale_factor = {2.0}, .align_corners = true}), "align_corners can only be set"));
  EXPECT_TRUE(contains(up_error({}), "exactly one of size and scale_factor"));
  EXPECT_TRUE(contains(up_error({.size = {4}, .scale_factor = {2.0}}), "exactly one of size and scale_factor"));
  EXPECT_TRUE(contains(up_error({.size = {4, 4, 4}}), "one value or two"));
  EXPECT_TRUE(contains(up_error({.size = {4, 0}}), "[4, 0]"));
  EXPECT_TRUE(contains(up_error({.scale_factor = {-2.0}}), "scale_factor must be positive"));

  std::string m = message_of([] { F::interpolate(zeros({3, 4, 4}), {.scale_factor = {2.0}}); });
  EXPECT_TRUE(contains(m, "4-D input") && contains(m, "[3, 4, 4]")) << m;
  m = message_of([] { F::interpolate(zeros({1, 1, 4, 4}), {.scale_factor = {0.2}}); });
  EXPECT_TRUE(contains(m, "[1, 1, 4, 4]") && contains(m, "(0, 0)")) << m;
  m = message_of([] { F::interpolate(zeros({1, 1, 2, 2}, DType::Int64), {.scale_factor = {2.0}}); });
  EXPECT_TRUE(contains(m, "floating-point")) << m;
}
