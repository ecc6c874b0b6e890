// The `nabla` command-line tool run as a user runs it (a subprocess): help and version, the
// datasets list, summary totals against the model's own count, gradcheck passing and failing,
// and every kind of error ending as exactly one `nabla: error:` line with a non-zero status and
// no signal. Training, eval and predict are in cli_train_test.cpp.
#include "cli_support.hpp"

#include <nabla/data/builtin.hpp>
#include <nabla/io/checkpoint.hpp>
#include <nabla/io/spec.hpp>

#include <gmock/gmock.h>

#include <cmath>

using namespace nabla;
using nabla::testing::capture;
using nabla::testing::read_text;
using nabla::testing::write_text;
using nabla::testing::CliResult;
using ::testing::HasSubstr;

namespace {

class Cli : public nabla::testing::CliTest {};

const std::string kBad = std::string(NABLA_SOURCE_DIR) + "/tests/io/bad/";

TEST_F(Cli, VersionAndHelpExitZero) {
  const CliResult version = run_ok({"--version"});
  EXPECT_EQ(version.out, std::string("nabla ") + NABLA_VERSION + "\n");
  const CliResult help = run_ok({"--help"});
  for (const char* sub : {"train", "eval", "predict", "summary", "datasets", "gradcheck"})
    EXPECT_THAT(help.out, HasSubstr(sub));
  EXPECT_THAT(run_ok({"train", "--help"}).out, HasSubstr("--early-stopping"));
  EXPECT_THAT(run_ok({"eval", "--help"}).out, HasSubstr("--checkpoint"));
  EXPECT_THAT(run_ok({"predict", "--help"}).out, HasSubstr("--output"));
  EXPECT_THAT(run_ok({"summary", "--help"}).out, HasSubstr("--input-shape"));
  EXPECT_THAT(run_ok({"datasets", "--help"}).out, HasSubstr("datasets"));
  EXPECT_THAT(run_ok({"gradcheck", "--help"}).out, HasSubstr("--batch"));
}

TEST_F(Cli, DatasetsListsTheRegistryAndFashionMnist) {
  const CliResult r = run_ok({"datasets"});
  for (const data::DatasetInfo& info : data::builtin_datasets()) {
    EXPECT_THAT(r.out, HasSubstr(info.name));
    EXPECT_THAT(r.out, HasSubstr(info.source));
  }
  EXPECT_THAT(r.out, HasSubstr(data::fashion_mnist_available() ? "fashion-mnist: installed" : "not installed"));
}

TEST_F(Cli, SummaryTotalsEqualTheModelsParameterCount) {
  const CliResult r = run_ok({"summary", "--model", "mlp:32,16", "--input-shape", "1,28,28", "--outputs", "10"});
  const auto model = io::build_model("mlp:32,16", {1, 28, 28}, 10);
  const int64_t n = model->num_parameters();
  ASSERT_EQ(n, 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10);
  EXPECT_EQ(capture(r.out, "\nparameters +([0-9,]+)"), "25,818");
  EXPECT_EQ(capture(r.out, "\ntrainable +([0-9,]+)"), "25,818");
  EXPECT_EQ(capture(r.out, "size \\(float32\\) +([0-9,]+) bytes"), "103,272");  // 4 bytes each
  EXPECT_THAT(r.out, HasSubstr("1 (Linear)"));
  EXPECT_THAT(r.out, HasSubstr("(N, 16)"));
  // Activations: 784 + 32 + 32 + 16 + 16 + 10 = 890 floats = 3560 B per example, x64 per batch.
  EXPECT_THAT(r.out, HasSubstr("3.5 KiB per example, 222.5 KiB per batch of 64"));
}

TEST_F(Cli, SummaryFromData) {
  const CliResult r = run_ok({"summary", "--model", "logreg", "--data", "blobs", "--batch-size", "10"});
  EXPECT_EQ(capture(r.out, "\nparameters +([0-9,]+)"), std::to_string(2 * 3 + 3));
  EXPECT_THAT(r.out, HasSubstr("per batch of 10"));
}

TEST_F(Cli, GradcheckPassesOnATanhMlp) {
  const CliResult r = run_ok({"gradcheck", "--model", "mlp:8:act=tanh", "--input-shape", "2", "--outputs", "3"});
  for (const char* tensor : {"1.weight", "1.bias", "3.weight", "3.bias", "input"})
    EXPECT_THAT(r.out, ::testing::ContainsRegex(std::string("\n") + tensor + " .* ok\n"));
  EXPECT_THAT(r.out, HasSubstr("all 5 gradient checks passed"));
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(Cli, GradcheckWithDataAndRegression) {
  const CliResult r = run_ok({"gradcheck", "--model", "mlp:4,4:act=gelu", "--data", "sine", "--batch", "2"});
  EXPECT_THAT(r.out, HasSubstr("regression loss"));
  EXPECT_THAT(r.out, HasSubstr("all 7 gradient checks passed"));
}

TEST_F(Cli, GradcheckFailureExitsOne) {
  // A huge step makes central differences of tanh inaccurate: the check must say so.
  const CliResult r = run_error({"gradcheck", "--model", "mlp:8:act=tanh", "--input-shape", "2", "--outputs", "3",
                                 "--eps", "0.5", "--atol", "1e-9", "--rtol", "1e-9"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.out, HasSubstr("FAILED"));
  EXPECT_THAT(r.err, HasSubstr("gradcheck failed"));
}

TEST_F(Cli, ParseErrorsExitTwo) {
  EXPECT_EQ(run_error({"train", "--model", "mlp:16", "--data", "moons", "--bogus"}).status, 2);
  EXPECT_EQ(run_error({}).status, 2);
  EXPECT_EQ(run_error({"frobnicate"}).status, 2);
  EXPECT_EQ(run_error({"train", "--epochs", "many"}).status, 2);
  EXPECT_EQ(run_error({"eval"}).status, 2);  // --checkpoint is required
}

// Each of these fails while running: exit 1, one line on stderr, nothing written to stdout's end.
struct ErrorCase {
  std::string name;
  std::vector<std::string> args;
  std::string message;  // part of the error line
};

class CliErrors : public nabla::testing::CliTest, public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(CliErrors, OneLineOnStderrExitOne) {
  const ErrorCase& c = GetParam();
  const CliResult r = run_error(c.args);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr(c.message));
}

std::vector<std::string> train_moons(std::vector<std::string> more) {
  std::vector<std::string> args = {"train", "--data", "moons", "--epochs", "1", "--quiet"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

INSTANTIATE_TEST_SUITE_P(
    Cli, CliErrors,
    ::testing::Values(
        ErrorCase{"UnknownModel", train_moons({"--model", "resnet9000"}), "unknown model 'resnet9000'"},
        ErrorCase{"BadSpecOption", train_moons({"--model", "mlp:16:act=nope"}), "option 'act'"},
        ErrorCase{"UnknownSpecOption", train_moons({"--model", "mlp:16:width=3"}), "unknown option 'width'"},
        ErrorCase{"BadJsonSpec", train_moons({"--model", kBad + "spec_unknown_type.json"}), "unknown"},
        ErrorCase{"UnknownDataset", {"train", "--model", "logreg", "--data", "imagenet"}, "unknown data set 'imagenet'"},
        ErrorCase{"MissingCsv", {"train", "--model", "logreg", "--csv", "missing.csv"}, "missing.csv"},
        ErrorCase{"MissingMnistDir", {"train", "--model", "logreg", "--data", "mnist", "--data-dir", "nowhere"},
                  "nowhere"},
        ErrorCase{"UnknownOptimizer", train_moons({"--model", "logreg", "--optimizer", "lion"}), "unknown --optimizer"},
        ErrorCase{"OptionNotForOptimizer", train_moons({"--model", "logreg", "--betas", "0.9,0.99", "--optimizer",
                                                        "sgd"}),
                  "--betas does not apply"},
        ErrorCase{"BadBetas", train_moons({"--model", "logreg", "--betas", "0.9"}), "--betas must be two numbers"},
        ErrorCase{"BadSchedule", train_moons({"--model", "logreg", "--schedule", "step:0:0.5"}), "--schedule"},
        ErrorCase{"BadLearningRate", train_moons({"--model", "logreg", "--lr", "-1"}), "-1"},
        ErrorCase{"BadValSplit", train_moons({"--model", "logreg", "--val-split", "1.5"}), "--val-split"},
        ErrorCase{"NanLoss", train_moons({"--model", "mlp:16", "--optimizer", "sgd", "--lr", "1e30"}), "the loss is"},
        ErrorCase{"CorruptCheckpoint", {"eval", "--checkpoint", kBad + "st_truncated_data.safetensors"},
                  "st_truncated_data.safetensors"},
        ErrorCase{"CorruptHeader", {"summary", "--checkpoint", kBad + "st_invalid_json.safetensors"},
                  "not valid JSON"},
        ErrorCase{"MissingCheckpoint", {"predict", "--checkpoint", "none.safetensors", "--input", "x.csv", "--output",
                                        "y.csv"},
                  "none.safetensors"},
        ErrorCase{"ResumeWithoutRun", {"train", "--resume", "no_such_run"}, "no_such_run"},
        ErrorCase{"SummaryWithoutShape", {"summary", "--model", "mlp:4"}, "--input-shape"},
        ErrorCase{"BadInputShape", {"summary", "--model", "mlp:4", "--input-shape", "2,x", "--outputs", "2"},
                  "--input-shape"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST_F(Cli, ExistingRunDirectoryNeedsForce) {
  const std::vector<std::string> args = {"train", "--model", "logreg", "--data", "xor", "--epochs", "1",
                                         "--val-split", "0", "--quiet", "--name", "x"};
  run_ok(args);
  const CliResult again = run_error(args);
  EXPECT_THAT(again.err, HasSubstr("already exists"));
  EXPECT_THAT(again.err, HasSubstr("--force"));
  std::vector<std::string> forced = args;
  forced.push_back("--force");
  run_ok(forced);
}

TEST_F(Cli, NanLossKeepsTheLastGoodCheckpoints) {
  // The rate grows 1e20-fold per epoch: epoch 1 trains, epoch 2 blows up.
  const CliResult r = run_error(train_moons({"--model", "mlp:16", "--optimizer", "sgd", "--schedule", "exp:1e20",
                                             "--epochs", "5", "--name", "n"}));
  EXPECT_THAT(r.err, HasSubstr("the loss is"));
  EXPECT_THAT(r.err, HasSubstr("at epoch 2"));
  const io::LoadedModel last = io::load_model(path("runs/n/last.safetensors"));
  EXPECT_EQ(last.metadata.at("epoch"), "1");
  EXPECT_EQ(io::load_model(path("runs/n/model.safetensors")).metadata.at("epoch"), "1");
  for (const auto& p : last.model->parameters()) EXPECT_TRUE(std::isfinite(p.abs().max().item()));
}

}  // namespace
