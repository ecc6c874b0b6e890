// Model checkpoints: the metadata save_model writes, load_model rebuilding a model from the file
// alone with identical outputs, and its errors. Also the nabla side of the PyTorch round trip
// (scripts/interop/torch_roundtrip.py), which runs only when NABLA_INTEROP_DIR is set.
#include <nabla/io/checkpoint.hpp>
#include <nabla/io/spec.hpp>
#include <nabla/nn/loss.hpp>
#include <nabla/optim/sgd.hpp>

#include <gmock/gmock.h>
#include "../support/temp_dir.hpp"
#include "../support/message_of.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using nabla::testing::message_of;

namespace nabla::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class Checkpoint : public nabla::testing::TempDirTest {};

// A few SGD steps on random data, so saved weights are trained rather than freshly drawn.
void train_briefly(nn::Module& model, const Shape& input_shape, int64_t classes, uint64_t seed) {
  Generator gen(seed);
  Shape batch = {32};
  batch.insert(batch.end(), input_shape.begin(), input_shape.end());
  const Tensor x = randn(batch, gen);
  const Tensor y = randint(0, classes, {32}, gen);
  optim::SGD sgd(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < 5; ++step) {
    sgd.zero_grad();
    nn::functional::cross_entropy(model.forward(x), y).backward();
    sgd.step();
  }
}

TEST_F(Checkpoint, SaveModelRecordsHowToRebuild) {
  Generator gen(1);
  auto model = build_model("mlp:16", {1, 4, 4}, 3, &gen);
  save_model(*model, path("m.safetensors"),
             {.spec = "mlp:16", .input_shape = {1, 4, 4}, .num_outputs = 3, .config = R"({"epochs": 2})"},
             {{"note", "extra"}, {kSpecKey, "overridden by info"}});
  const SafetensorsFile file = read_safetensors(path("m.safetensors"));
  EXPECT_EQ(file.metadata.at(kSpecKey), "mlp:16");
  EXPECT_EQ(file.metadata.at(kInputShapeKey), "[1,4,4]");
  EXPECT_EQ(file.metadata.at(kNumOutputsKey), "3");
  EXPECT_EQ(file.metadata.at(kConfigKey), R"({"epochs": 2})");
  EXPECT_EQ(file.metadata.at("note"), "extra");
  EXPECT_EQ(file.metadata.count(kVersionKey), 1u);
  EXPECT_EQ(file.tensors.size(), 4u);
  EXPECT_THAT(message_of([&] { save_model(*model, path("x.safetensors"), {"mlp:16", {1, 4, 4}, 3, "{epochs"}); }),
              HasSubstr("config is not valid JSON"));
  EXPECT_THAT(message_of([&] { save_model(*model, path("x.safetensors"), {"mlp:x", {1, 4, 4}, 3, ""}); }),
              HasSubstr("sizes must be positive integers"));
  EXPECT_FALSE(fs::exists(path("x.safetensors")));
}

TEST_F(Checkpoint, LoadModelFromTheFileAloneGivesIdenticalOutputs) {
  for (const std::string spec : {"logreg", "mlp:32,16:act=tanh:dropout=0.3"}) {
    SCOPED_TRACE(spec);
    Generator gen(2);
    auto model = build_model(spec, {1, 6, 6}, 4, &gen);
    train_briefly(*model, {1, 6, 6}, 4, 3);
    model->eval();
    save_model(*model, path("m.safetensors"), {spec, {1, 6, 6}, 4, R"({"lr": 0.1})"});

    const LoadedModel loaded = load_model(path("m.safetensors"));
    EXPECT_EQ(loaded.info.spec, spec);
    EXPECT_EQ(loaded.info.input_shape, (Shape{1, 6, 6}));
    EXPECT_EQ(loaded.info.num_outputs, 4);
    EXPECT_EQ(loaded.info.config, R"({"lr": 0.1})");
    EXPECT_FALSE(loaded.model->is_training());
    EXPECT_EQ(loaded.model->to_string(), model->to_string());
    const Tensor x = randn({7, 1, 6, 6});
    EXPECT_EQ(loaded.model->forward(x).to_vector(), model->forward(x).to_vector());
  }
}

TEST_F(Checkpoint, JsonFileSpecsAreStoredInline) {
  const std::string spec_file = path("net.json");
  std::ofstream(spec_file) << R"({"layers": [{"type": "flatten"}, {"type": "linear", "out": 5},
                                             {"type": "gelu"}, {"type": "linear"}]})";
  auto model = build_model(spec_file, {3}, 2);
  save_model(*model, path("m.safetensors"), {spec_file, {3}, 2, ""});
  fs::remove(spec_file);
  const LoadedModel loaded = load_model(path("m.safetensors"));
  EXPECT_EQ(loaded.info.spec,
            R"({"layers":[{"type":"flatten"},{"type":"linear","out":5},{"type":"gelu"},{"type":"linear"}]})");
  const Tensor x = randn({4, 3});
  EXPECT_EQ(loaded.model->forward(x).to_vector(), model->forward(x).to_vector());
}

TEST_F(Checkpoint, LoadModelLeavesTheDefaultGeneratorAlone) {
  save_model(*build_model("mlp:8", {2}, 2), path("m.safetensors"), {"mlp:8", {2}, 2, ""});
  manual_seed(42);
  const Generator::State before = default_generator().get_state();
  load_model(path("m.safetensors"));
  EXPECT_EQ(default_generator().get_state(), before);
}

TEST_F(Checkpoint, LoadModelErrors) {
  auto model = build_model("mlp:8", {2}, 2);
  save(*model, path("plain.safetensors"));
  EXPECT_THAT(message_of([&] { load_model(path("plain.safetensors")); }),
              HasSubstr("metadata has no 'nabla.spec', so the model cannot be rebuilt from the file alone"));

  const auto with = [&](const std::string& key, const std::string& value) {
    auto metadata = model_metadata({"mlp:8", {2}, 2, ""});
    metadata[key] = value;
    save(*model, path("m.safetensors"), metadata);
    return message_of([&] { load_model(path("m.safetensors")); });
  };
  EXPECT_THAT(with(kInputShapeKey, "[2, -1]"), HasSubstr("nabla.input_shape must be a JSON list of positive integers"));
  EXPECT_THAT(with(kInputShapeKey, "2"), HasSubstr("got '2'"));
  EXPECT_THAT(with(kNumOutputsKey, "2x"), HasSubstr("nabla.num_outputs must be a non-negative integer, got '2x'"));
  EXPECT_THAT(with(kSpecKey, "mlp:8:act=swish"), HasSubstr("cannot rebuild the model from its spec"));
  const std::string shape = with(kSpecKey, "mlp:9");
  EXPECT_THAT(shape, HasSubstr("m.safetensors"));
  EXPECT_THAT(shape, HasSubstr("1.weight: checkpoint [8, 2] vs model [9, 2]"));

  write_safetensors(path("partial.safetensors"), {{"1.weight", ones({8, 2})}}, model_metadata({"mlp:8", {2}, 2, ""}));
  EXPECT_THAT(message_of([&] { load_model(path("partial.safetensors"), /*strict=*/false); }),
              HasSubstr("the file lacks the model's tensors [1.bias, 3.weight, 3.bias]"));

  const nn::StateDict state = model->state_dict();
  std::vector<std::pair<std::string, Tensor>> tensors(state.begin(), state.end());
  tensors.emplace_back("optimizer.step", scalar_tensor(3, int64));
  write_safetensors(path("extra.safetensors"), tensors, model_metadata({"mlp:8", {2}, 2, ""}));
  EXPECT_THAT(message_of([&] { load_model(path("extra.safetensors")); }), HasSubstr("unexpected keys [optimizer.step]"));
  EXPECT_NO_THROW(load_model(path("extra.safetensors"), /*strict=*/false));
}

// ---- PyTorch round trip (driven by scripts/interop/torch_roundtrip.py) -------------------------

const Shape kInteropInput = {1, 28, 28};
const std::vector<std::pair<std::string, std::string>> kInteropModels = {{"mlp", "mlp:256,128"}, {"logreg", "logreg"}};

std::string interop_dir() {
  const char* dir = std::getenv("NABLA_INTEROP_DIR");
  return dir ? dir : "";
}

// Writes inputs.safetensors and, per model, nabla_<name>.safetensors (a trained checkpoint) and
// nabla_<name>_out.safetensors (nabla's logits for the inputs).
TEST(Interop, ExportForTorch) {
  const std::string dir = interop_dir();
  if (dir.empty()) GTEST_SKIP() << "set NABLA_INTEROP_DIR (scripts/interop/torch_roundtrip.py does)";
  Generator gen(2024);
  const Tensor x = randn({64, 1, 28, 28}, gen);
  write_safetensors(dir + "/inputs.safetensors", {{"x", x}});
  for (const auto& [name, spec] : kInteropModels) {
    auto model = build_model(spec, kInteropInput, 10, &gen);
    train_briefly(*model, kInteropInput, 10, 7);
    model->eval();
    const std::string file = dir + "/nabla_" + name + ".safetensors";
    save_model(*model, file, {spec, kInteropInput, 10, R"({"steps": 5})"});
    write_safetensors(dir + "/nabla_" + name + "_out.safetensors", {{"y", load_model(file).model->forward(x)}});
  }
}

// Reads torch_<name>.safetensors (written by PyTorch, plain state_dict, no nabla metadata) into
// the model built from the spec and writes torch_<name>_nabla_out.safetensors.
TEST(Interop, ImportFromTorch) {
  const std::string dir = interop_dir();
  if (dir.empty()) GTEST_SKIP() << "set NABLA_INTEROP_DIR (scripts/interop/torch_roundtrip.py does)";
  const Tensor x = read_safetensors(dir + "/inputs.safetensors").tensors.at(0).second;
  for (const auto& [name, spec] : kInteropModels) {
    auto model = build_model(spec, kInteropInput, 10);
    load(*model, dir + "/torch_" + name + ".safetensors");
    model->eval();
    write_safetensors(dir + "/torch_" + name + "_nabla_out.safetensors", {{"y", model->forward(x)}});
  }
}

}  // namespace
}  // namespace nabla::io
