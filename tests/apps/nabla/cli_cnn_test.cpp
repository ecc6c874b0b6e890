// `nabla` with convolutional models, run as a user runs it: LeNet-5 trained on a Fashion-MNIST
// subset end to end (progress, checkpoint, report with the first layer's filters, predict),
// summaries with receptive fields, gradchecks through conv / batch-norm / residual / U-Net
// models, the errors for image models on the wrong data, and training-image augmentation.
#include "cli_support.hpp"

#include <nabla/data/builtin.hpp>
#include <nabla/io/checkpoint.hpp>
#include <nabla/io/safetensors.hpp>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace nabla;
using nabla::testing::capture;
using nabla::testing::printed_hash;
using nabla::testing::CliResult;
using nabla::testing::read_text;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

class CliCnn : public nabla::testing::CliTest {};

TEST_F(CliCnn, TrainsLenet5OnAFashionMnistSubset) {
  if (!data::fashion_mnist_available()) GTEST_SKIP() << "Fashion-MNIST is not installed";
  const CliResult r = run_ok({"train", "--model", "lenet5", "--data", "fashion-mnist", "--limit", "1000", "--epochs",
                              "1", "--name", "l5"});
  EXPECT_THAT(r.out, HasSubstr("lenet5 on fashion-mnist (classification), 61,706 parameters"));
  EXPECT_THAT(r.out, HasSubstr("input (N, 1, 28, 28)"));
  EXPECT_THAT(r.out, HasSubstr("epoch 1/1"));
  EXPECT_THAT(r.out, ContainsRegex("test accuracy [0-9]+\\.[0-9]{2}%"));

  const io::LoadedModel best = io::load_model(path("runs/l5/model.safetensors"));
  EXPECT_EQ(best.info.spec, "lenet5");
  EXPECT_EQ(best.info.input_shape, (Shape{1, 28, 28}));
  EXPECT_EQ(best.model->state_dict().at("0.weight").shape(), (Shape{6, 1, 5, 5}));
  EXPECT_EQ(best.model->num_parameters(), 61706);

  // The report draws C1's six 5x5 filters.
  const std::string report = read_text(path("runs/l5/report.html"));
  EXPECT_THAT(report, HasSubstr("<code>0.weight</code> (6, 1, 5, 5): all 6 filters, each drawn as a 5"));
  EXPECT_THAT(report, HasSubstr("filter 5"));

  // The checkpoint predicts and summarises on its own.
  io::write_safetensors(path("x.safetensors"), {{"input", randn({3, 1, 28, 28})}});
  run_ok({"predict", "--checkpoint", "runs/l5/model.safetensors", "--input", "x.safetensors", "--output", "p.csv"});
  EXPECT_THAT(read_text(path("p.csv")), HasSubstr("index,predicted,p_T-shirt/top"));
  const CliResult s = run_ok({"summary", "--checkpoint", "runs/l5/model.safetensors"});
  EXPECT_THAT(s.out, HasSubstr("receptive field"));
}

TEST_F(CliCnn, SummaryShowsLenet5ReceptiveFields) {
  const CliResult r = run_ok({"summary", "--model", "lenet5", "--input-shape", "1,28,28", "--outputs", "10"});
  EXPECT_EQ(capture(r.out, "\nparameters +([0-9,]+)"), "61,706");
  EXPECT_THAT(r.out, HasSubstr("receptive field  jump"));
  // The lecture's arithmetic: C1 5, S2 6, C3 6 + 4 x 2 = 14, S4 16, with jumps 1, 2, 2, 4.
  EXPECT_THAT(r.out, ContainsRegex("\n 0  0 \\(Conv2d\\) +\\(N, 6, 28, 28\\) +5x5 +1x1 +156\n"));
  EXPECT_THAT(r.out, ContainsRegex("\n 2  2 \\(MaxPool2d\\) +\\(N, 6, 14, 14\\) +6x6 +2x2 +0\n"));
  EXPECT_THAT(r.out, ContainsRegex("\n 3  3 \\(Conv2d\\) +\\(N, 16, 10, 10\\) +14x14 +2x2 +2,416\n"));
  EXPECT_THAT(r.out, ContainsRegex("\n 5  5 \\(MaxPool2d\\) +\\(N, 16, 5, 5\\) +16x16 +4x4 +0\n"));
  EXPECT_THAT(r.out, ContainsRegex("\n 7  7 \\(Linear\\) +\\(N, 120\\) +48,120\n"));  // no field after the flatten
  // Models of flat data keep the old table.
  EXPECT_THAT(run_ok({"summary", "--model", "mlp:4", "--input-shape", "2", "--outputs", "2"}).out,
              ::testing::Not(HasSubstr("receptive field")));
}

TEST_F(CliCnn, SummaryOfAnImageToImageUnet) {
  const CliResult r = run_ok({"summary", "--model", "unet:width=4", "--input-shape", "1,32,32"});
  EXPECT_THAT(r.out, HasSubstr("unet:width=4 for input (N, 1, 32, 32) and output (N, 1, 32, 32)"));
  EXPECT_THAT(r.out, ContainsRegex("0 \\(UNet\\) +\\(N, 1, 32, 32\\) +44x44 +1x1"));
}

TEST_F(CliCnn, GradcheckThroughConvBatchNormAndPooling) {
  const std::string spec = R"({"layers": [{"type": "conv2d", "out": 3, "kernel": 3, "padding": 1},
      {"type": "batchnorm2d"}, {"type": "relu"}, {"type": "maxpool2d", "kernel": 2},
      {"type": "conv2d", "out": 2, "kernel": 2, "stride": 1}, {"type": "avgpool2d", "kernel": 2},
      {"type": "flatten"}, {"type": "linear"}]})";
  const CliResult r = run_ok({"gradcheck", "--model", spec, "--input-shape", "2,6,6", "--outputs", "3"});
  for (const char* tensor : {"0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias", "7.weight", "7.bias",
                             "input"})
    EXPECT_THAT(r.out, ContainsRegex(std::string("\n") + tensor + " .* ok\n"));
  EXPECT_THAT(r.out, HasSubstr("all 9 gradient checks passed"));
}

TEST_F(CliCnn, GradcheckThroughResidualBlocksAndUnet) {
  const CliResult res = run_ok({"gradcheck", "--model", "resnet_small:widths=2,3", "--input-shape", "1,6,6",
                                "--outputs", "3", "--batch", "2"});
  EXPECT_THAT(res.out, ContainsRegex("\n4\\.downsample\\.0\\.weight .* ok\n"));
  EXPECT_THAT(res.out, HasSubstr("all 21 gradient checks passed"));
  const CliResult unet = run_ok({"gradcheck", "--model", "unet:width=2:depth=1", "--input-shape", "1,4,4", "--batch",
                                 "2"});
  EXPECT_THAT(unet.out, HasSubstr("output (N, 1, 4, 4), regression loss"));
  EXPECT_THAT(unet.out, HasSubstr("all 23 gradient checks passed"));
}

TEST_F(CliCnn, ImageModelsOnTheWrongDataAreClearErrors) {
  EXPECT_THAT(run_error({"summary", "--model", "lenet5", "--data", "blobs"}).err,
              HasSubstr("layer 0 (conv2d): conv2d needs (C, H, W) per example, got [2] (1 dim)"));
  EXPECT_THAT(run_error({"train", "--model", "resnet_small", "--data", "moons", "--quiet"}).err,
              HasSubstr("conv2d needs (C, H, W)"));
  if (!data::fashion_mnist_available()) GTEST_SKIP() << "Fashion-MNIST is not installed";
  const CliResult r = run_error({"train", "--model", "unet", "--data", "fashion-mnist", "--limit", "100", "--quiet"});
  EXPECT_THAT(r.err, HasSubstr("unet maps an image to an image"));
  EXPECT_THAT(r.err, HasSubstr("10 outputs per example"));
}

TEST_F(CliCnn, AugmentedTrainingResumesBitExactly) {
  if (!data::fashion_mnist_available()) GTEST_SKIP() << "Fashion-MNIST is not installed";
  // The crops and flips draw from the default generator, which training checkpoints keep.
  const std::vector<std::string> common = {"train", "--model", "mlp:16", "--data", "fashion-mnist", "--limit", "600",
                                           "--augment", "crop:2,flip", "--quiet"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = common;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const CliResult whole = run_ok(with({"--name", "whole", "--epochs", "3"}));
  run_ok(with({"--name", "half", "--epochs", "1"}));
  const CliResult resumed = run_ok({"train", "--resume", "runs/half", "--epochs", "3", "--quiet"});
  EXPECT_FALSE(printed_hash(whole).empty());
  EXPECT_EQ(printed_hash(resumed), printed_hash(whole));
  // ...and augmentation changes what is learnt.
  const CliResult plain = run_ok({"train", "--model", "mlp:16", "--data", "fashion-mnist", "--limit", "600", "--name",
                                  "plain", "--epochs", "3", "--quiet"});
  EXPECT_NE(printed_hash(plain), printed_hash(whole));
  EXPECT_EQ(nlohmann::json::parse(read_text(path("runs/whole/config.json")))["augment"], "crop:2,flip");
}

TEST_F(CliCnn, BadAugmentOptionsAreClearErrors) {
  EXPECT_THAT(run_error({"train", "--model", "mlp:4", "--data", "moons", "--augment", "crop:0", "--quiet"}).err,
              HasSubstr("--augment must be none, crop:P, flip or crop:P,flip"));
  EXPECT_THAT(run_error({"train", "--model", "mlp:4", "--data", "moons", "--augment", "rotate", "--quiet"}).err,
              HasSubstr("got 'rotate'"));
  EXPECT_THAT(run_error({"train", "--model", "mlp:4", "--data", "moons", "--augment", "flip", "--quiet"}).err,
              HasSubstr("--augment flip needs image data (C, H, W) per example"));
}

}  // namespace
