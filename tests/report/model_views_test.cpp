// decision_boundary_svg on hand-set Linear models (the class on each side read back from the
// embedded PNG) and first_layer_weights_html on Linear and convolution-shaped weights.
#include "test_support.hpp"

#include <nabla/autograd.hpp>
#include <nabla/error.hpp>
#include <nabla/nn/activation.hpp>
#include <nabla/nn/basic.hpp>
#include <nabla/nn/container.hpp>
#include <nabla/nn/linear.hpp>
#include <nabla/report/report.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace nabla;
using ::testing::HasSubstr;
using report::testing::count;
using report::testing::decode_png;
using report::testing::embedded_pngs;
using report::testing::tag_balance_error;

namespace {

void set(Tensor& parameter, const std::vector<float>& values) {
  NoGradGuard no_grad;
  parameter.copy_(tensor(values, parameter.shape()));
}

// Class 0's colour is blue (#2563eb), class 1's orange (#ea580c): a tint of either keeps the order
// of its red and blue channels.
bool bluish(const uint8_t* rgb) { return rgb[2] > rgb[0] + 20; }
bool orangish(const uint8_t* rgb) { return rgb[0] > rgb[2] + 20; }

const Tensor kPoints = tensor(std::vector<float>{-1, -1, 1, 1, -1, 1, 1, -1}, {4, 2});
const Tensor kLabels = tensor(std::vector<int64_t>{1, 0, 1, 0}, {4});

// A module holding nothing but a weight of the given shape (a convolution's, for the pictures).
struct WeightOnly : nn::Module {
  explicit WeightOnly(const Shape& shape) { weight = register_parameter("weight", zeros(shape)); }
  Tensor weight;
};

}  // namespace

TEST(DecisionBoundary, TwoLogitsArgmaxOnEachSide) {
  nn::Linear linear(2, 2);
  set(linear.weight, {1, 0, -1, 0});  // logits (x1, -x1): class 0 right of x1 = 0, class 1 left
  set(linear.bias, {0, 0});
  linear.train(true);
  const std::string svg = report::decision_boundary_svg(linear, kPoints, kLabels, 20, {"right", "left"});
  EXPECT_EQ(tag_balance_error(svg), "");
  EXPECT_TRUE(linear.is_training()) << "training mode restored";
  EXPECT_TRUE(autograd::grad_mode_enabled());

  const std::vector<std::string> pngs = embedded_pngs(svg);
  ASSERT_EQ(pngs.size(), 1u);
  const auto d = decode_png(pngs[0]);
  ASSERT_EQ(d.width, 20u);
  ASSERT_EQ(d.height, 20u);
  ASSERT_EQ(d.channels, 3);
  for (const uint32_t y : {0u, 10u, 19u}) {
    EXPECT_TRUE(orangish(d.at(0, y))) << "left edge, row " << y;
    EXPECT_TRUE(orangish(d.at(8, y))) << "left of centre, row " << y;
    EXPECT_TRUE(bluish(d.at(11, y))) << "right of centre, row " << y;
    EXPECT_TRUE(bluish(d.at(19, y))) << "right edge, row " << y;
  }
  EXPECT_EQ(count(svg, "fill=\"#ea580c\""), 2u + 1u);  // two class-1 points and the legend's dot
  EXPECT_THAT(svg, HasSubstr(">left</text>"));
  EXPECT_THAT(svg, HasSubstr(">x1</text>"));
  EXPECT_THAT(svg, HasSubstr(">x2</text>"));
}

TEST(DecisionBoundary, OneLogitIsPositiveForClassOne) {
  nn::Linear linear(2, 1);
  set(linear.weight, {0, 1});  // class 1 above x2 = 0
  set(linear.bias, {0});
  linear.eval();
  const std::string svg = report::decision_boundary_svg(linear, kPoints, kLabels, 16);
  EXPECT_FALSE(linear.is_training()) << "eval mode kept";
  const auto d = decode_png(embedded_pngs(svg).at(0));
  ASSERT_EQ(d.width, 16u);
  for (const uint32_t x : {0u, 8u, 15u}) {
    EXPECT_TRUE(orangish(d.at(x, 0))) << "top, column " << x;
    EXPECT_TRUE(orangish(d.at(x, 6))) << "above the middle, column " << x;
    EXPECT_TRUE(bluish(d.at(x, 9))) << "below the middle, column " << x;
    EXPECT_TRUE(bluish(d.at(x, 15))) << "bottom, column " << x;
  }
}

TEST(DecisionBoundary, RejectsBadInputs) {
  nn::Linear linear(2, 2);
  EXPECT_THROW(report::decision_boundary_svg(linear, zeros({4, 3}), kLabels), Error);
  EXPECT_THROW(report::decision_boundary_svg(linear, kPoints, zeros({3}, DType::Int64)), Error);
  EXPECT_THROW(report::decision_boundary_svg(linear, kPoints, kLabels, 1), Error);
}

TEST(FirstLayerWeights, LinearUnitsAsPicturesWithDivergingColours) {
  auto fc = std::make_shared<nn::Linear>(784, 5);
  nn::Sequential model({std::make_shared<nn::Flatten>(), fc, std::make_shared<nn::ReLU>()});
  std::vector<float> w(5 * 784, 0.0f);
  w[3 * 28 + 4] = 1.0f;     // unit 0: positive at row 3, column 4
  w[10 * 28 + 20] = -0.5f;  //         negative at row 10, column 20
  set(fc->weight, w);

  const std::string html = report::first_layer_weights_html(model, {1, 28, 28}, 3);
  EXPECT_EQ(tag_balance_error(html), "");
  EXPECT_THAT(html, HasSubstr("1.weight"));
  const std::vector<std::string> pngs = embedded_pngs(html);
  ASSERT_EQ(pngs.size(), 3u) << "max_units";
  const auto d = decode_png(pngs[0]);
  ASSERT_EQ(d.width, 56u) << "28 pixels upscaled twice";
  ASSERT_EQ(d.height, 56u);
  EXPECT_TRUE(orangish(d.at(4 * 2, 3 * 2))) << "positive is red";
  EXPECT_TRUE(orangish(d.at(4 * 2 + 1, 3 * 2 + 1))) << "nearest-neighbour block";
  EXPECT_TRUE(bluish(d.at(20 * 2, 10 * 2))) << "negative is blue";
  const uint8_t* zero = d.at(0, 0);
  EXPECT_GT(zero[0], 230);
  EXPECT_GT(zero[1], 230);
  EXPECT_GT(zero[2], 230);

  EXPECT_EQ(report::first_layer_weights_html(model, {1, 28, 27}), "") << "input shape does not fit";
  EXPECT_EQ(report::first_layer_weights_html(model, {784}), "") << "not an image";
  nn::ReLU no_weights;
  EXPECT_EQ(report::first_layer_weights_html(no_weights, {1, 28, 28}), "");
}

TEST(FirstLayerWeights, ConvolutionFiltersGreyOrRgb) {
  WeightOnly rgb({4, 3, 5, 5});
  const std::string colour = report::first_layer_weights_html(rgb, {3, 32, 32});
  ASSERT_EQ(embedded_pngs(colour).size(), 4u);
  EXPECT_THAT(colour, HasSubstr("RGB"));
  const auto c = decode_png(embedded_pngs(colour)[0]);
  EXPECT_EQ(c.width, 55u);  // 5 pixels, 11 times
  EXPECT_EQ(c.at(0, 0)[0], 128) << "zero weights are mid-grey";

  WeightOnly grey({6, 1, 3, 3});
  set(grey.weight, std::vector<float>(54, -0.25f));
  const std::string filters = report::first_layer_weights_html(grey, {1, 28, 28}, 64);
  const std::vector<std::string> pngs = embedded_pngs(filters);
  ASSERT_EQ(pngs.size(), 6u);
  const auto d = decode_png(pngs[5]);
  EXPECT_EQ(d.width, 57u);  // 3 pixels, 19 times
  EXPECT_TRUE(bluish(d.at(30, 30)));
}
