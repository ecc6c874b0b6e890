// report_html (escaped, self-contained, the sections a run calls for) and write_run_report
// (atomic files, errors that name the path).
#include "test_support.hpp"

#include "../support/temp_dir.hpp"

#include <nabla/error.hpp>
#include <nabla/nn/linear.hpp>
#include <nabla/report/report.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace nabla;
using ::testing::HasSubstr;
using ::testing::Not;
using report::testing::count;
using report::testing::decode_png;
using report::testing::embedded_pngs;
using report::testing::tag_balance_error;

namespace {

report::RunReport classification_run() {
  report::RunReport r;
  r.title = "mlp <script>alert(1)</script> & co";
  r.configuration = {{"model", "mlp"}, {"optimizer", "adam <lr=1e-3>"}};
  r.environment = {{"compiler", "GCC 12"}, {"threads", "2"}};
  for (int e = 1; e <= 3; ++e)
    r.history.append({.epoch = e, .train_loss = 1.0 / e, .train_acc = 0.6 + 0.1 * e, .val_loss = 1.1 / e,
                      .val_acc = 0.55 + 0.1 * e, .lr = 1e-3, .seconds = 2.5, .samples_per_second = 12345});
  r.class_names = {"cat", "dog", "bird"};
  r.test.task = train::Task::Classification;
  r.test.samples = 200;
  r.test.accuracy = 0.8853;
  r.test.loss = 0.31416;
  r.test.confusion = tensor(std::vector<int64_t>{60, 5, 2, 4, 70, 6, 3, 3, 47}, {3, 3});
  r.test.report = train::classification_report(r.test.confusion);
  // A 2 x 3 grey image: dark on the left, bright on the right.
  r.misclassified.push_back({.image = tensor(std::vector<float>{0, 0.5f, 1, 0, 0.5f, 1}, {1, 2, 3}),
                             .target = 1, .predicted = 2, .index = 17});
  r.weights_hash = "0123456789abcdef";
  r.files = {{"model.safetensors", "the best weights"}, {"curves.svg", "loss & accuracy"}};
  return r;
}

}  // namespace

TEST(ReportHtml, EscapesTextAndIsSelfContained) {
  const std::string html = report::report_html(classification_run());
  EXPECT_EQ(tag_balance_error(html), "");
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("mlp &lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
  EXPECT_THAT(html, HasSubstr("adam &lt;lr=1e-3&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
}

TEST(ReportHtml, ShowsTheNumbersAndSectionsOfAClassificationRun) {
  const std::string html = report::report_html(classification_run());
  EXPECT_THAT(html, HasSubstr("88.53 %"));
  EXPECT_THAT(html, HasSubstr("0.3142"));          // test loss
  EXPECT_THAT(html, HasSubstr("7.5 s"));           // training time: 3 epochs of 2.5 s
  EXPECT_THAT(html, HasSubstr("12,345"));          // samples/s
  EXPECT_THAT(html, HasSubstr("0123456789abcdef"));  // weights hash
  EXPECT_EQ(count(html, "<polyline"), 4u);          // the curves, inlined
  EXPECT_THAT(html, HasSubstr(">70</text>"));       // a confusion-matrix cell
  EXPECT_THAT(html, HasSubstr("macro avg."));
  EXPECT_THAT(html, HasSubstr("model.safetensors"));
  EXPECT_THAT(html, HasSubstr("loss &amp; accuracy")) << "the caller's description of curves.svg";
  EXPECT_EQ(count(html, "<code>curves.svg</code>"), 1u) << "listed once";

  // The misclassified image: "dog → bird", upscaled with nearest neighbours.
  EXPECT_THAT(html, HasSubstr("dog</span> <span class=\"guess\">\xe2\x86\x92 bird"));
  const std::vector<std::string> pngs = embedded_pngs(html);
  ASSERT_EQ(pngs.size(), 1u);
  const auto d = decode_png(pngs[0]);
  ASSERT_EQ(d.channels, 1);
  ASSERT_EQ(d.width % 3, 0u);
  const uint32_t scale = d.width / 3;
  EXPECT_GE(scale, 2u);
  EXPECT_EQ(d.height, 2 * scale);
  EXPECT_EQ(d.at(0, 0)[0], 0);
  EXPECT_EQ(d.at(scale, 2 * scale - 1)[0], 128);
  EXPECT_EQ(d.at(3 * scale - 1, 0)[0], 255);
}

TEST(ReportHtml, RegressionRunShowsR2AndNoClassificationSections) {
  report::RunReport r;
  r.title = "sine";
  r.history.append({.epoch = 1, .train_loss = 0.5, .val_loss = 0.6, .extra = {{"val_r2", 0.7}}});
  r.history.append({.epoch = 2, .train_loss = 0.25, .val_loss = 0.3, .extra = {{"val_r2", 0.85}}});
  r.test.task = train::Task::Regression;
  r.test.r2 = 0.9731;
  r.test.mse = 0.0123;
  r.test.loss = 0.0123;
  const std::string html = report::report_html(r);
  EXPECT_EQ(tag_balance_error(html), "");
  EXPECT_THAT(html, HasSubstr("0.9731"));
  EXPECT_THAT(html, HasSubstr("R\xc2\xb2"));
  EXPECT_THAT(html, Not(HasSubstr("confusion_matrix.svg")));
  EXPECT_THAT(html, Not(HasSubstr("Misclassified")));
  EXPECT_THAT(html, Not(HasSubstr("train acc.")));
}

TEST(ReportHtml, DecisionRegionsForTwoInputs) {
  report::RunReport r = classification_run();
  r.misclassified.clear();
  r.model = std::make_shared<nn::Linear>(2, 3);
  r.input_shape = {2};
  r.points = tensor(std::vector<float>{0, 0, 1, 1, 2, 0}, {3, 2});
  r.point_labels = tensor(std::vector<int64_t>{0, 1, 2}, {3});
  const std::string html = report::report_html(r);
  EXPECT_EQ(tag_balance_error(html), "");
  EXPECT_THAT(html, HasSubstr("Decision regions"));
  EXPECT_EQ(embedded_pngs(html).size(), 1u);
  EXPECT_THAT(html, Not(HasSubstr("http://"))) << "the inlined SVGs drop their namespace URLs";
}

class WriteRunReport : public nabla::testing::TempDirTest {};

TEST_F(WriteRunReport, WritesTheThreeFilesAndNoTemporaries) {
  const std::string report_path = report::write_run_report(classification_run(), dir_.string());
  EXPECT_EQ(report_path, path("report.html"));
  EXPECT_EQ(listing(), (std::vector<std::string>{"confusion_matrix.svg", "curves.svg", "report.html"}));
  std::ifstream in(report_path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), report::report_html(classification_run()));
  std::ifstream curves(path("curves.svg"));
  std::stringstream svg;
  svg << curves.rdbuf();
  EXPECT_EQ(svg.str(), report::curves_svg(classification_run().history));
  EXPECT_THAT(svg.str(), HasSubstr("xmlns=\"http://www.w3.org/2000/svg\"")) << "a standalone SVG keeps its namespace";

  // Again over the old files: replaced, still nothing left behind.
  report::write_run_report(classification_run(), dir_.string());
  EXPECT_EQ(listing().size(), 3u);
}

TEST_F(WriteRunReport, RegressionWritesNoConfusionMatrix) {
  report::RunReport r;
  r.test.task = train::Task::Regression;
  report::write_run_report(r, dir_.string());
  EXPECT_EQ(listing(), (std::vector<std::string>{"curves.svg", "report.html"}));
}

TEST_F(WriteRunReport, ErrorsNameThePath) {
  const std::string missing = path("no/such/run");
  try {
    report::write_run_report(classification_run(), missing);
    ADD_FAILURE() << "no error for a missing directory";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(missing));
  }
  // A directory in place of report.html: the rename fails and the error names the file.
  std::filesystem::create_directories(path("run/report.html/x"));
  try {
    report::write_run_report(classification_run(), path("run"));
    ADD_FAILURE() << "no error when report.html cannot be replaced";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(path("run/report.html")));
  }
  for (const auto& entry : std::filesystem::directory_iterator(path("run")))
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr(".tmp"))) << "temporary file left behind";
}
