// `nabla train`, `eval` and `predict` run as subprocesses on small generated data: the run
// directory and its files, the printed weights hash against the saved model, bit-identical
// resume, predictions (CSV and safetensors) that agree with eval's accuracy, regression, CSV
// data, and a quick Fashion-MNIST run when the data is installed.
#include "cli_support.hpp"

#include <nabla/data/builtin.hpp>
#include <nabla/io/checkpoint.hpp>
#include <nabla/io/safetensors.hpp>
#include <nabla/train/hash.hpp>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>

using namespace nabla;
using nabla::testing::CliResult;
using nabla::testing::printed_hash;
using nabla::testing::read_text;
using nabla::testing::write_text;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

class CliTrain : public nabla::testing::CliTest {
protected:
  // Trains on moons (seed 0, as data::make_moons({.seed = 0})) into runs/<name>.
  CliResult train(const std::string& name, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"train", "--model", "mlp:16", "--data", "moons", "--epochs", "2",
                                     "--name", name};
    args.insert(args.end(), more.begin(), more.end());
    return run_ok(args);
  }
  // The moons test set as the CLI sees it.
  static data::TrainTest moons() { return data::make_moons({.seed = 0}); }
};

std::vector<std::string> csv_rows(const std::string& text) {
  std::vector<std::string> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) rows.push_back(line);
  return rows;
}

std::vector<std::string> csv_fields(const std::string& row) {
  std::vector<std::string> fields;
  std::istringstream in(row);
  for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
  return fields;
}

TEST_F(CliTrain, WritesTheRunDirectory) {
  const CliResult r = train("m");
  EXPECT_THAT(r.out, ::testing::ContainsRegex("test accuracy [0-9]+\\.[0-9]{2}%  loss [0-9]+\\.[0-9]{4}\n"));
  EXPECT_THAT(r.out, HasSubstr("report: runs/m/report.html\n"));
  EXPECT_THAT(r.out, HasSubstr("epoch 2/2"));
  for (const char* file : {"model.safetensors", "last.safetensors", "training_state.safetensors", "config.json",
                           "history.csv", "curves.svg", "confusion_matrix.svg", "report.html"})
    EXPECT_TRUE(fs::is_regular_file(path("runs/m/") + file)) << file;
  EXPECT_GT(fs::file_size(path("runs/m/report.html")), 0u);
  EXPECT_EQ(csv_rows(read_text(path("runs/m/history.csv"))).size(), 3u);  // header + 2 epochs

  // The best model loads alone and is the one whose hash was printed.
  const std::string hash = printed_hash(r);
  ASSERT_EQ(hash.size(), 16u) << r.out;
  const io::LoadedModel best = io::load_model(path("runs/m/model.safetensors"));
  EXPECT_EQ(train::format_hash(train::weights_hash(*best.model)), hash);
  EXPECT_EQ(best.info.spec, "mlp:16");
  EXPECT_EQ(best.info.input_shape, (Shape{2}));
  EXPECT_EQ(best.info.num_outputs, 2);
  io::load_model(path("runs/m/last.safetensors"));

  const auto config = nlohmann::json::parse(read_text(path("runs/m/config.json")));
  EXPECT_EQ(config["model"], "mlp:16");
  EXPECT_EQ(config["data"]["name"], "moons");
  EXPECT_EQ(config["seed"], 0);
  EXPECT_EQ(config["epochs"], 2);
  EXPECT_EQ(config["optimizer"], "adam");
  EXPECT_EQ(config["nabla_version"], NABLA_VERSION);
  EXPECT_GE(config["threads"].get<int>(), 1);
  EXPECT_TRUE(config["start_time"].is_string());
  EXPECT_TRUE(config["end_time"].is_string());
  EXPECT_EQ(config["examples"]["train"].get<int>() + config["examples"]["val"].get<int>(), 300);
}

TEST_F(CliTrain, ResumeIsBitIdenticalToAnUninterruptedRun) {
  // Dropout, the default schedule (exp:0.85) and early stopping all carry state across the interruption.
  const std::vector<std::string> options = {"--model", "mlp:16:dropout=0.2", "--early-stopping", "5", "--quiet"};
  const CliResult whole = train("whole", [&] { auto o = options; o.insert(o.end(), {"--epochs", "4"}); return o; }());
  train("half", options);  // --epochs 2
  const CliResult resumed = run_ok({"train", "--resume", "runs/half", "--epochs", "4", "--quiet"});
  EXPECT_EQ(printed_hash(resumed), printed_hash(whole));
  EXPECT_FALSE(printed_hash(whole).empty());
  EXPECT_EQ(read_text(path("runs/half/last.safetensors")), read_text(path("runs/whole/last.safetensors")));
  EXPECT_EQ(csv_rows(read_text(path("runs/half/history.csv"))).size(), 5u);
  const auto config = nlohmann::json::parse(read_text(path("runs/half/config.json")));
  EXPECT_EQ(config["epochs"], 4);
  EXPECT_EQ(config["resumed"].size(), 1u);
}

TEST_F(CliTrain, LabelSmoothingChangesTrainingAndResumesWithIt) {
  const CliResult plain = train("plain", {"--quiet"});
  const CliResult smooth = train("smooth", {"--label-smoothing", "0.2", "--quiet"});
  EXPECT_NE(printed_hash(smooth), printed_hash(plain));
  const auto config = nlohmann::json::parse(read_text(path("runs/smooth/config.json")));
  EXPECT_DOUBLE_EQ(config["label_smoothing"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(read_text(path("runs/plain/config.json")))["label_smoothing"].get<double>(),
                   0.0);
  train("half", {"--label-smoothing", "0.2", "--quiet", "--epochs", "1"});
  const CliResult resumed = run_ok({"train", "--resume", "runs/half", "--epochs", "2", "--quiet"});
  EXPECT_EQ(printed_hash(resumed), printed_hash(smooth));

  EXPECT_THAT(run_error({"train", "--data", "moons", "--label-smoothing", "1.5", "--model", "mlp:4"}).err,
              HasSubstr("--label-smoothing must be in [0, 1], got 1.5"));
  EXPECT_THAT(run_error({"train", "--data", "sine", "--label-smoothing", "0.1", "--model", "mlp:4"}).err,
              HasSubstr("--label-smoothing applies to classification only"));
}

TEST_F(CliTrain, PredictionsAgreeWithEval) {
  train("p", {"--quiet"});
  const data::TrainTest tt = moons();
  const Tensor x = tt.test->inputs();
  const std::vector<int64_t> labels = tt.test->targets().to_vector<int64_t>();
  const int64_t n = x.size(0);
  std::string csv = "x1,x2\n";
  const std::vector<float> values = x.to_vector<float>();
  for (int64_t i = 0; i < n; ++i) csv += std::to_string(values[2 * i]) + "," + std::to_string(values[2 * i + 1]) + "\n";
  write_text(path("test.csv"), csv);
  io::write_safetensors(path("test.safetensors"), {{"input", x}});

  const CliResult eval = run_ok({"eval", "--checkpoint", "runs/p/model.safetensors", "--json"});
  EXPECT_EQ(run_ok({"eval", "--checkpoint", "runs/p/model.safetensors", "--json", "--threads", "1"}).out, eval.out);
  EXPECT_THAT(run_error({"eval", "--checkpoint", "runs/p/model.safetensors", "--threads", "-1"}).err,
              HasSubstr("--threads must be >= 0"));
  const auto metrics = nlohmann::json::parse(eval.out);
  const double accuracy = metrics["accuracy"];
  EXPECT_EQ(metrics["samples"], n);

  // CSV: one row per example, a class in range, probabilities summing to 1.
  run_ok({"predict", "--checkpoint", "runs/p/model.safetensors", "--input", "test.safetensors", "--output", "p.csv"});
  run_ok({"predict", "--checkpoint", "runs/p/model.safetensors", "--input", "test.safetensors", "--output", "p1.csv",
          "--threads", "1"});
  EXPECT_EQ(read_text(path("p1.csv")), read_text(path("p.csv")));
  const std::vector<std::string> rows = csv_rows(read_text(path("p.csv")));
  ASSERT_EQ(rows.size(), static_cast<size_t>(n + 1));
  EXPECT_EQ(rows[0], "index,predicted,p_0,p_1");
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto f = csv_fields(rows[static_cast<size_t>(i + 1)]);
    ASSERT_EQ(f.size(), 4u);
    EXPECT_EQ(std::stoll(f[0]), i);
    const int64_t predicted = std::stoll(f[1]);
    EXPECT_TRUE(predicted == 0 || predicted == 1);
    EXPECT_NEAR(std::stod(f[2]) + std::stod(f[3]), 1.0, 1e-5);
    correct += predicted == labels[static_cast<size_t>(i)];
  }
  EXPECT_DOUBLE_EQ(static_cast<double>(correct) / static_cast<double>(n), accuracy);

  // safetensors from CSV input (text rounding aside, the same predictions almost everywhere).
  run_ok({"predict", "--checkpoint", "runs/p/model.safetensors", "--input", "test.csv", "--output", "p.safetensors"});
  const io::SafetensorsFile out = io::read_safetensors(path("p.safetensors"));
  const Tensor* predicted = nullptr;
  const Tensor* output = nullptr;
  for (const auto& [name, t] : out.tensors) {
    if (name == "predicted") predicted = &t;
    if (name == "output") output = &t;
  }
  ASSERT_TRUE(predicted && output);
  EXPECT_EQ(predicted->shape(), (Shape{n}));
  EXPECT_EQ(output->shape(), (Shape{n, 2}));
  int64_t agree = 0;
  const std::vector<int64_t> p = predicted->to_vector<int64_t>();
  for (int64_t i = 0; i < n; ++i) agree += p[static_cast<size_t>(i)] == std::stoll(csv_fields(rows[i + 1])[1]);
  EXPECT_GE(agree, n - 2);
}

TEST_F(CliTrain, EvalPrintsPerClassTableAndConfusionMatrix) {
  train("e", {"--quiet"});
  const CliResult r = run_ok({"eval", "--checkpoint", "runs/e/model.safetensors"});
  EXPECT_THAT(r.out, ::testing::ContainsRegex("accuracy +[0-9.]+%"));
  EXPECT_THAT(r.out, HasSubstr("precision"));
  EXPECT_THAT(r.out, HasSubstr("confusion matrix"));
  EXPECT_THAT(r.out, HasSubstr("moons test set, 300 examples"));
}

TEST_F(CliTrain, PredictRefusesTheWrongInputShape) {
  train("w", {"--quiet"});
  write_text(path("three.csv"), "1,2,3\n4,5,6\n");
  const CliResult r = run_error({"predict", "--checkpoint", "runs/w/model.safetensors", "--input", "three.csv",
                                 "--output", "out.csv"});
  EXPECT_THAT(r.err, HasSubstr("(3,)"));
  EXPECT_THAT(r.err, HasSubstr("(2,)"));
  EXPECT_FALSE(fs::exists(path("out.csv")));
}

TEST_F(CliTrain, DetectAnomalyNamesTheOpThatOverflowed) {
  // An absurd learning rate: without the flag the NaN loss stops training; with it, the first
  // op to overflow is named, with its input shapes.
  const std::vector<std::string> diverging = {"train", "--model", "mlp:16", "--data", "moons", "--epochs", "2",
                                              "--optimizer", "sgd", "--lr", "1e30", "--quiet"};
  std::vector<std::string> plain = diverging, checked = diverging;
  plain.insert(plain.end(), {"--name", "plain"});
  checked.insert(checked.end(), {"--name", "checked", "--detect-anomaly"});
  EXPECT_THAT(run_error(plain).err, HasSubstr("fit: the loss is"));
  const CliResult r = run_error(checked);
  EXPECT_THAT(r.err, HasSubstr("detect_anomaly: the forward of op #"));
  EXPECT_THAT(r.err, HasSubstr("(AddmmBackward) produced"));
  EXPECT_THAT(r.err, HasSubstr("from finite inputs of shapes [64, 16], [2, 16], [2]"));
  // On a healthy run the flag changes nothing: same weights as without it.
  const std::string a = printed_hash(train("healthy", {"--quiet"}));
  const std::string b = printed_hash(train("healthy_checked", {"--quiet", "--detect-anomaly"}));
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a, b);
}

TEST_F(CliTrain, RegressionOnSine) {
  const CliResult r = run_ok({"train", "--model", "mlp:16:act=tanh", "--data", "sine", "--epochs", "2", "--lr",
                              "0.01", "--quiet"});
  EXPECT_THAT(r.out, ::testing::ContainsRegex("test mse [0-9.]+  mae [0-9.]+  r2 -?[0-9.]+\n"));
  EXPECT_TRUE(fs::exists(path("runs/sine-mlp-16-act-tanh/report.html")));
  const CliResult e = run_ok({"eval", "--checkpoint", "runs/sine-mlp-16-act-tanh/model.safetensors"});
  EXPECT_THAT(e.out, HasSubstr("R2"));
  write_text(path("x.csv"), "0.5\n-1\n2\n");
  run_ok({"predict", "--checkpoint", "runs/sine-mlp-16-act-tanh/model.safetensors", "--input", "x.csv", "--output",
          "y.csv"});
  const std::vector<std::string> rows = csv_rows(read_text(path("y.csv")));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], "index,output_0");
}

TEST_F(CliTrain, CsvDataWithNamedClasses) {
  std::string csv = "a,b,kind\n";
  for (int i = 0; i < 40; ++i)
    csv += std::to_string(i % 2 ? 1.0 + 0.01 * i : -1.0 - 0.01 * i) + "," + std::to_string(0.1 * (i % 5)) + "," +
           (i % 2 ? "cat" : "dog") + "\n";
  write_text(path("pets.csv"), csv);
  const CliResult r = run_ok({"train", "--model", "logreg", "--csv", "pets.csv", "--label-column", "kind",
                              "--epochs", "2", "--lr", "0.1", "--quiet", "--name", "pets"});
  const auto config = nlohmann::json::parse(read_text(path("runs/pets/config.json")));
  EXPECT_EQ(config["class_names"], nlohmann::json::array({"cat", "dog"}));
  write_text(path("new.csv"), "a,b\n1.2,0.3\n-1.1,0.2\n");  // feature columns only
  run_ok({"predict", "--checkpoint", "runs/pets/model.safetensors", "--input", "new.csv", "--output", "o.csv"});
  EXPECT_EQ(csv_rows(read_text(path("o.csv")))[0], "index,predicted,p_cat,p_dog");
}

TEST_F(CliTrain, FashionMnistQuickRun) {
  if (!data::fashion_mnist_available()) GTEST_SKIP() << "Fashion-MNIST is not installed";
  const CliResult r = run_ok({"train", "--model", "logreg", "--data", "fashion-mnist", "--limit", "600",
                              "--epochs", "1", "--quiet", "--name", "f"});
  EXPECT_THAT(r.out, HasSubstr("test accuracy"));
  const std::string images = std::string(data::fashion_mnist_dir) + "/t10k-images-idx3-ubyte.gz";
  run_ok({"predict", "--checkpoint", "runs/f/model.safetensors", "--input", images, "--output", "f.safetensors"});
  const io::SafetensorsFile out = io::read_safetensors(path("f.safetensors"));
  for (const auto& [name, t] : out.tensors)
    if (name == "predicted") {
      EXPECT_EQ(t.shape(), (Shape{10000}));
      EXPECT_GE(t.min().item(), 0);
      EXPECT_LE(t.max().item(), 9);
    }
  const CliResult s = run_ok({"summary", "--checkpoint", "runs/f/model.safetensors"});
  EXPECT_THAT(s.out, HasSubstr("7,850"));  // 784 * 10 + 10
}

}  // namespace
