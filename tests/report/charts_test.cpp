// curves_svg and confusion_matrix_svg: well-formed documents, one polyline per measured series
// (none for unmeasured ones), points for a single epoch, counts and escaped names in the matrix.
#include "test_support.hpp"

#include <nabla/error.hpp>
#include <nabla/report/report.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace nabla;
using ::testing::HasSubstr;
using ::testing::Not;
using report::testing::count;
using report::testing::tag_balance_error;

namespace {

constexpr double kNaN = train::EpochRecord::nan;

train::History classification_history(bool with_validation, int epochs = 5) {
  train::History h;
  for (int e = 1; e <= epochs; ++e)
    h.append({.epoch = e,
              .train_loss = 2.0 / e,
              .train_acc = 0.5 + 0.08 * e,
              .val_loss = with_validation ? 2.2 / e : kNaN,
              .val_acc = with_validation ? 0.45 + 0.08 * e : kNaN,
              .lr = 0.01,
              .seconds = 1.5,
              .samples_per_second = 1000});
  return h;
}

}  // namespace

TEST(TagBalance, CatchesUnclosedAndMisnestedTags) {
  EXPECT_EQ(tag_balance_error("<svg><g><line/></g></svg>"), "");
  EXPECT_NE(tag_balance_error("<svg><g></svg>"), "");
  EXPECT_NE(tag_balance_error("<svg><g>"), "");
  EXPECT_NE(tag_balance_error("<svg><text>a < b</text></svg>"), "");  // an unescaped '<'
}

TEST(Curves, OnePolylinePerMeasuredSeries) {
  const std::string both = report::curves_svg(classification_history(true));
  EXPECT_EQ(tag_balance_error(both), "");
  EXPECT_EQ(count(both, "<polyline"), 4u);  // train and validation loss, train and validation accuracy
  EXPECT_THAT(both, HasSubstr("Accuracy (%)"));
  EXPECT_THAT(both, HasSubstr("validation"));

  const std::string train_only = report::curves_svg(classification_history(false));
  EXPECT_EQ(tag_balance_error(train_only), "");
  EXPECT_EQ(count(train_only, "<polyline"), 2u);
  EXPECT_THAT(train_only, Not(HasSubstr("data-series=\"validation\"")));
  EXPECT_THAT(train_only, Not(HasSubstr("NaN")));
  EXPECT_THAT(train_only, Not(HasSubstr("nan")));
}

TEST(Curves, AccuracyIsDrawnInPercent) {
  // 0.5 + 0.08 e for e = 1..5 spans 58 % .. 90 %: the ticks are percentages, not fractions.
  const std::string svg = report::curves_svg(classification_history(false));
  EXPECT_THAT(svg, HasSubstr(">90</text>"));
  EXPECT_THAT(svg, Not(HasSubstr(">0.9</text>")));
}

TEST(Curves, RegressionShowsLossAndR2) {
  train::History h;
  for (int e = 1; e <= 4; ++e)
    h.append({.epoch = e, .train_loss = 1.0 / e, .val_loss = 1.2 / e, .extra = {{"val_r2", 0.5 + 0.1 * e}}});
  const std::string svg = report::curves_svg(h);
  EXPECT_EQ(tag_balance_error(svg), "");
  EXPECT_EQ(count(svg, "<polyline"), 3u);
  EXPECT_THAT(svg, HasSubstr("R\xc2\xb2"));
  EXPECT_THAT(svg, Not(HasSubstr("Accuracy")));

  train::History no_r2;
  no_r2.append({.epoch = 1, .train_loss = 1.0});
  no_r2.append({.epoch = 2, .train_loss = 0.5});
  const std::string loss_only = report::curves_svg(no_r2);
  EXPECT_EQ(count(loss_only, "<polyline"), 1u);
  EXPECT_THAT(loss_only, Not(HasSubstr("R\xc2\xb2")));
}

TEST(Curves, SingleEpochIsDrawnAsPoints) {
  const std::string svg = report::curves_svg(classification_history(true, 1));
  EXPECT_EQ(tag_balance_error(svg), "");
  EXPECT_EQ(count(svg, "<polyline"), 0u);
  EXPECT_EQ(count(svg, "<circle"), 4u);
}

TEST(Curves, PartlyMeasuredSeriesSkipsTheGaps) {
  train::History h = classification_history(true, 4);
  train::History gappy;
  for (size_t i = 0; i < h.size(); ++i) {
    train::EpochRecord r = h[i];
    if (i == 1) r.val_loss = kNaN;
    gappy.append(r);
  }
  const std::string svg = report::curves_svg(gappy);
  EXPECT_EQ(count(svg, "<polyline"), 4u);
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
}

TEST(Curves, EmptyHistorySaysSo) {
  const std::string svg = report::curves_svg(train::History{});
  EXPECT_EQ(tag_balance_error(svg), "");
  EXPECT_THAT(svg, HasSubstr("No epochs recorded"));
  EXPECT_EQ(count(svg, "<polyline"), 0u);
}

TEST(ConfusionMatrix, CountsNamesAndRowNormalisedColours) {
  // Class "big" has 1000 examples, "small & rare" 10: both diagonals are 90 % of their rows, so
  // they get the same colour although the counts differ a hundredfold.
  const Tensor cm = tensor(std::vector<int64_t>{900, 100, 1, 9}, {2, 2});
  const std::string svg = report::confusion_matrix_svg(cm, {"big", "small & rare"});
  EXPECT_EQ(tag_balance_error(svg), "");
  for (const char* cell : {">900</text>", ">100</text>", ">1</text>", ">9</text>"}) EXPECT_THAT(svg, HasSubstr(cell));
  EXPECT_THAT(svg, HasSubstr("small &amp; rare"));
  EXPECT_THAT(svg, Not(HasSubstr("small & rare")));
  EXPECT_THAT(svg, HasSubstr("rotate(-45"));
  EXPECT_THAT(svg, HasSubstr("true class"));
  EXPECT_THAT(svg, HasSubstr("predicted class"));

  // The rect right before each diagonal count carries the colour: both the same.
  auto fill_before = [&](const std::string& label) {
    const size_t text = svg.find(label);
    const size_t fill = svg.find("fill=\"#", svg.rfind("<rect", text));
    return svg.substr(fill + 6, 7);
  };
  EXPECT_EQ(fill_before(">900</text>"), fill_before(">9</text>"));
  EXPECT_NE(fill_before(">900</text>"), fill_before(">100</text>"));
  // Dark cells have white counts.
  const size_t dark = svg.find(">900</text>");
  EXPECT_NE(svg.rfind("fill=\"#ffffff\"", dark), std::string::npos);
  EXPECT_GT(svg.rfind("fill=\"#ffffff\"", dark), svg.rfind("<rect", dark));
}

TEST(ConfusionMatrix, MissingNamesAreIndicesAndBadShapesAreErrors) {
  const std::string svg = report::confusion_matrix_svg(tensor(std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}), {});
  EXPECT_EQ(tag_balance_error(svg), "");
  EXPECT_THAT(svg, HasSubstr(">2</text>"));
  EXPECT_THROW(report::confusion_matrix_svg(zeros({2, 3}, DType::Int64), {}), Error);
  EXPECT_THROW(report::confusion_matrix_svg(Tensor(), {}), Error);
}
