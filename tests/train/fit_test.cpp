// fit(): learning, history, callbacks (early stopping, schedules, model checkpoints), clipping,
// the NaN stop with intact checkpoints, and the progress output in both modes.
#include <nabla/io/safetensors.hpp>
#include <nabla/nn/activation.hpp>
#include <nabla/nn/container.hpp>
#include <nabla/nn/functional.hpp>
#include <nabla/nn/linear.hpp>
#include <nabla/nn/loss.hpp>
#include <nabla/optim/adam.hpp>
#include <nabla/optim/sgd.hpp>
#include <nabla/train/checkpoint.hpp>
#include <nabla/train/fit.hpp>
#include <nabla/train/hash.hpp>
#include <nabla/train/progress.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

using namespace nabla;
using ::testing::HasSubstr;
namespace fs = std::filesystem;
namespace F = nabla::nn::functional;

namespace {

Tensor ce(const Tensor& out, const Tensor& target) { return F::cross_entropy(out, target); }

// Three Gaussian blobs in 2-D (std 0.6 around (-3, 0), (3, 0), (0, 3)): nearly separable.
std::shared_ptr<data::TensorDataset> blobs(int64_t n, uint64_t seed) {
  Generator g(seed);
  const float centres[3][2] = {{-3, 0}, {3, 0}, {0, 3}};
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 3;
    x.push_back(centres[c][0] + 0.6f * static_cast<float>(g.normal()));
    x.push_back(centres[c][1] + 0.6f * static_cast<float>(g.normal()));
    y.push_back(c);
  }
  return std::make_shared<data::TensorDataset>(tensor(x, {n, 2}), tensor(y, {n}));
}

// Inputs with labels that have nothing to do with them: validation loss rises as the model overfits.
std::shared_ptr<data::TensorDataset> noise(int64_t n, uint64_t seed) {
  Generator g(seed);
  return std::make_shared<data::TensorDataset>(randn({n, 8}, g), randint(0, 3, {n}, g));
}

std::shared_ptr<nn::Sequential> mlp(int64_t in, int64_t hidden, uint64_t seed) {
  manual_seed(seed);
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::Linear>(in, hidden),
                                                         std::make_shared<nn::ReLU>(),
                                                         std::make_shared<nn::Linear>(hidden, 3)});
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("nabla_fit_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string file_bytes(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Calls a function at every epoch's end (after the callbacks before it in the list).
struct OnEpochEnd : train::Callback {
  std::function<void(train::FitContext&, const train::EpochRecord&)> fn;
  explicit OnEpochEnd(std::function<void(train::FitContext&, const train::EpochRecord&)> f) : fn(std::move(f)) {}
  void on_epoch_end(train::FitContext& ctx, const train::EpochRecord& r) override { fn(ctx, r); }
};

}  // namespace

TEST(Fit, LearnsBlobsAndRecordsHistory) {
  auto model = mlp(2, 16, 0);
  data::DataLoader train_loader(blobs(300, 1), {.batch_size = 32, .shuffle = true, .seed = 3});
  data::DataLoader val_loader(blobs(150, 2), {.batch_size = 64});
  optim::Adam adam(model->parameters(), {.lr = 0.05});
  const train::History h =
      train::fit(*model, ce, adam, train_loader, &val_loader, {.epochs = 6, .top_k = 2, .verbose = 0});

  ASSERT_EQ(h.size(), 6u);
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h[i].epoch, static_cast<int64_t>(i + 1));
    EXPECT_DOUBLE_EQ(h[i].lr, 0.05);
    EXPECT_GT(h[i].seconds, 0.0);
    EXPECT_GT(h[i].samples_per_second, 0.0);
    EXPECT_TRUE(h[i].has("val_top2_acc"));
    EXPECT_TRUE(h[i].has("val_macro_f1"));
  }
  EXPECT_LT(h.back().train_loss, h[0].train_loss);
  EXPECT_GE(h.back().train_acc, 0.97);
  EXPECT_GE(h.back().val_acc, 0.97);
  EXPECT_DOUBLE_EQ(h.back().get("val_top2_acc"), 1.0);
  // The record's validation numbers are evaluate()'s on the final model.
  const train::Evaluation e = train::evaluate(*model, val_loader, {.loss = ce});
  EXPECT_DOUBLE_EQ(h.back().val_acc, e.accuracy);
  EXPECT_DOUBLE_EQ(h.back().val_loss, e.loss);
  EXPECT_EQ(h.values("val_acc").size(), 6u);
}

TEST(Fit, RegressionRecordsRegressionMetrics) {
  Generator g(5);
  const Tensor x = randn({128, 1}, g);
  const Tensor y = x * 2.0 + 1.0;
  auto data = std::make_shared<data::TensorDataset>(x, y);
  data::DataLoader loader(data, {.batch_size = 16, .shuffle = true, .seed = 1});
  data::DataLoader val(data, {.batch_size = 64});
  manual_seed(0);
  nn::Linear model(1, 1);
  nn::MSELoss mse;
  optim::SGD sgd(model.parameters(), {.lr = 0.1});
  const train::History h = train::fit(model, mse, sgd, loader, &val, {.epochs = 8, .verbose = 0});
  EXPECT_TRUE(std::isnan(h.back().train_acc));
  EXPECT_FALSE(h.back().has("val_acc"));
  EXPECT_GT(h.back().get("val_r2"), 0.999);
  EXPECT_LT(h.back().get("val_mae"), 0.05);
  EXPECT_NEAR(model.weight.item(), 2.0, 0.05);
  try {
    h.back().get("val_acc");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("val_r2"));  // lists what was measured
  }
}

TEST(Fit, EarlyStoppingStopsAfterPatienceAndRestoresBestWeights) {
  auto model = mlp(8, 64, 1);
  data::DataLoader train_loader(noise(64, 1), {.batch_size = 16, .shuffle = true, .seed = 1});
  data::DataLoader val_loader(noise(64, 2), {.batch_size = 64});
  optim::Adam adam(model->parameters(), {.lr = 0.03});
  auto stop = std::make_shared<train::EarlyStopping>(
      train::EarlyStoppingOptions{.monitor = "val_loss", .patience = 2, .restore_best_weights = true});
  std::vector<uint64_t> hashes;
  auto record = std::make_shared<OnEpochEnd>([&](auto& ctx, auto&) { hashes.push_back(train::weights_hash(ctx.model)); });
  const train::History h = train::fit(*model, ce, adam, train_loader, &val_loader,
                                      {.epochs = 40, .callbacks = {record, stop}, .verbose = 0});
  ASSERT_GT(stop->stopped_epoch(), 0) << "the validation loss should rise on noise";
  EXPECT_LT(h.size(), 40u);
  EXPECT_EQ(static_cast<int64_t>(h.size()), stop->stopped_epoch());
  EXPECT_EQ(stop->stopped_epoch() - stop->best_epoch(), 2);  // patience epochs without improvement
  // The best epoch is the one with the lowest validation loss, and its weights are back.
  const std::vector<double> val = h.values("val_loss");
  const auto best = std::min_element(val.begin(), val.end()) - val.begin();
  EXPECT_EQ(stop->best_epoch(), best + 1);
  EXPECT_EQ(train::weights_hash(*model), hashes[static_cast<size_t>(best)]);
  EXPECT_NE(hashes.back(), hashes[static_cast<size_t>(best)]);
}

TEST(Fit, EarlyStoppingMinDeltaAndOptions) {
  // Unit-level: values 1.0, 0.95, 0.94 with min_delta 0.1 improve only at epoch 1.
  nn::Linear model(1, 1);
  optim::SGD sgd(model.parameters(), {.lr = 0.1});
  train::History history;
  train::FitContext ctx{.model = model, .optimizer = sgd, .history = history, .epochs = 10};
  train::EarlyStopping stop({.monitor = "val_loss", .patience = 2, .min_delta = 0.1});
  stop.on_train_begin(ctx);
  for (double v : {1.0, 0.95, 0.94}) {
    train::EpochRecord r{.epoch = ++ctx.epoch, .val_loss = v};
    stop.on_epoch_end(ctx, r);
  }
  EXPECT_TRUE(ctx.stop_training);
  EXPECT_EQ(stop.best_epoch(), 1);
  EXPECT_EQ(stop.stopped_epoch(), 3);
  EXPECT_THAT(ctx.stop_reason, HasSubstr("val_loss did not improve for 2"));
  // "auto" maximises accuracies.
  EXPECT_TRUE(train::monitor_maximizes("x", "val_acc", "auto"));
  EXPECT_FALSE(train::monitor_maximizes("x", "val_loss", "auto"));
  EXPECT_THROW(train::EarlyStopping({.mode = "up"}), Error);
  EXPECT_THROW(train::EarlyStopping({.patience = -1}), Error);
}

TEST(Fit, SchedulesStepPerEpochPerBatchAndOnPlateau) {
  auto model = mlp(2, 8, 2);
  data::DataLoader loader(blobs(64, 1), {.batch_size = 16});  // 4 batches
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  auto per_batch = std::make_shared<train::LRSchedulerCallback>(std::make_shared<optim::StepLR>(sgd, 1, 0.5),
                                                                train::SchedulerStep::Batch);
  train::History h = train::fit(*model, ce, sgd, loader, nullptr, {.epochs = 2, .callbacks = {per_batch}, .verbose = 0});
  EXPECT_DOUBLE_EQ(h[0].lr, 0.1);
  EXPECT_DOUBLE_EQ(h[1].lr, 0.1 * std::pow(0.5, 4));

  optim::SGD sgd2(model->parameters(), {.lr = 0.1});
  auto per_epoch = std::make_shared<train::LRSchedulerCallback>(std::make_shared<optim::StepLR>(sgd2, 2, 0.1));
  h = train::fit(*model, ce, sgd2, loader, nullptr, {.epochs = 3, .callbacks = {per_epoch}, .verbose = 0});
  EXPECT_DOUBLE_EQ(h[1].lr, 0.1);
  EXPECT_NEAR(h[2].lr, 0.01, 1e-15);

  // mode "max" on a falling training loss: every epoch after the first is bad, patience 0.
  optim::SGD sgd3(model->parameters(), {.lr = 0.1});
  auto plateau = std::make_shared<train::ReduceLROnPlateau>(
      sgd3, optim::ReduceLROnPlateauOptions{.mode = "max", .factor = 0.5, .patience = 0}, "train_loss");
  h = train::fit(*model, ce, sgd3, loader, nullptr, {.epochs = 3, .callbacks = {plateau}, .verbose = 0});
  ASSERT_LT(h[1].train_loss, h[0].train_loss);
  EXPECT_DOUBLE_EQ(h[1].lr, 0.1);
  EXPECT_DOUBLE_EQ(h[2].lr, 0.05);
}

TEST(Fit, ModelCheckpointWritesBestAndLast) {
  const fs::path dir = fresh_dir("ckpt");
  auto model = mlp(8, 64, 1);
  data::DataLoader train_loader(noise(64, 1), {.batch_size = 16, .shuffle = true, .seed = 1});
  data::DataLoader val_loader(noise(64, 2), {.batch_size = 64});
  optim::Adam adam(model->parameters(), {.lr = 0.03});
  auto ckpt = std::make_shared<train::ModelCheckpoint>(
      train::ModelCheckpointOptions{.dir = dir.string(), .metadata = {{"spec", "mlp:64"}}});
  std::vector<uint64_t> hashes;
  auto record = std::make_shared<OnEpochEnd>([&](auto& ctx, auto&) { hashes.push_back(train::weights_hash(ctx.model)); });
  const train::History h =
      train::fit(*model, ce, adam, train_loader, &val_loader, {.epochs = 8, .callbacks = {ckpt, record}, .verbose = 0});
  const std::vector<double> val = h.values("val_loss");
  const auto best = std::min_element(val.begin(), val.end()) - val.begin();
  ASSERT_NE(best, 7) << "want a best epoch before the last for this test to mean something";
  EXPECT_EQ(ckpt->best_epoch(), best + 1);

  auto loaded = mlp(8, 64, 99);
  const auto meta = load(*loaded, ckpt->best_path());
  EXPECT_EQ(train::weights_hash(*loaded), hashes[static_cast<size_t>(best)]);
  EXPECT_EQ(meta.at("epoch"), std::to_string(best + 1));
  EXPECT_EQ(meta.at("monitor"), "val_loss");
  EXPECT_EQ(meta.at("spec"), "mlp:64");
  load(*loaded, ckpt->last_path());
  EXPECT_EQ(train::weights_hash(*loaded), train::weights_hash(*model));
  fs::remove_all(dir);
}

TEST(Fit, NanLossStopsWithEpochAndBatchAndKeepsLastGoodCheckpoint) {
  const fs::path dir = fresh_dir("nan");
  auto model = mlp(2, 8, 3);
  data::DataLoader loader(blobs(64, 1), {.batch_size = 16, .shuffle = true, .seed = 2});  // 4 batches
  data::DataLoader val_loader(blobs(30, 2), {.batch_size = 30});
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  int calls = 0;
  const train::LossFn loss = [&](const Tensor& out, const Tensor& target) {
    const Tensor l = F::cross_entropy(out, target);
    // Training calls: 4 per epoch, then one validation call; epoch 2's third batch is call 8.
    return ++calls == 8 ? l * std::numeric_limits<double>::quiet_NaN() : l;
  };
  auto ckpt = std::make_shared<train::ModelCheckpoint>(train::ModelCheckpointOptions{.dir = dir.string()});
  std::string last_after_epoch1, state_after_epoch1;
  uint64_t hash_after_epoch1 = 0;
  auto snapshot = std::make_shared<OnEpochEnd>([&](auto& ctx, auto&) {
    last_after_epoch1 = file_bytes(dir / "last.safetensors");
    hash_after_epoch1 = train::weights_hash(ctx.model);
  });
  std::ostringstream out;
  try {
    train::fit(*model, loss, sgd, loader, &val_loader,
               {.epochs = 5, .callbacks = {ckpt, snapshot}, .out = &out, .checkpoint_dir = dir.string()});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("epoch 2, batch 3 of 4"));
    EXPECT_THAT(e.what(), HasSubstr("nan"));
  }
  // Epoch 1's files are untouched and readable; no temporary files were left behind.
  EXPECT_EQ(file_bytes(dir / "last.safetensors"), last_after_epoch1);
  auto loaded = mlp(2, 8, 50);
  load(*loaded, (dir / "last.safetensors").string());
  EXPECT_EQ(train::weights_hash(*loaded), hash_after_epoch1);
  EXPECT_EQ(train::load_training_state(train::training_state_path(dir.string())).epoch, 1);
  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.insert(entry.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"last.safetensors", "model.safetensors", "training_state.safetensors"}));
  // The weights were not touched by the bad batch: two good updates of epoch 2 happened.
  EXPECT_FALSE(std::isnan(model->parameters()[0].to_vector<float>()[0]));
  fs::remove_all(dir);
}

TEST(Fit, GradientClipping) {
  data::DataLoader loader(blobs(32, 1), {.batch_size = 32});  // one step
  for (const bool by_value : {true, false}) {
    auto model = mlp(2, 8, 4);
    std::vector<Tensor> before;
    for (const Tensor& p : model->parameters()) before.push_back(p.detach().clone());
    optim::SGD sgd(model->parameters(), {.lr = 1.0});
    train::FitOptions options{.epochs = 1, .verbose = 0};
    if (by_value) options.clip_grad_value = 1e-3;
    else options.clip_grad_norm = 1e-2;
    train::fit(*model, ce, sgd, loader, nullptr, options);
    double max_change = 0, squared = 0;
    for (size_t i = 0; i < before.size(); ++i) {
      const Tensor d = model->parameters()[i].detach() - before[i];
      max_change = std::max(max_change, d.abs().max().item());
      squared += d.square().sum().item();
    }
    if (by_value) EXPECT_LE(max_change, 1e-3 + 1e-6);  // float32 rounding of p - 1e-3
    else EXPECT_LE(std::sqrt(squared), 1e-2 + 1e-6);
    EXPECT_GT(max_change, 0.0);
  }
  auto model = mlp(2, 8, 4);
  optim::SGD sgd(model->parameters(), {.lr = 1.0});
  EXPECT_THROW(train::fit(*model, ce, sgd, loader, nullptr, {.clip_grad_norm = 0.0, .verbose = 0}), Error);
}

TEST(Progress, NonInteractiveIsOnePlainLinePerEpoch) {
  auto model = mlp(2, 8, 5);
  data::DataLoader loader(blobs(64, 1), {.batch_size = 16});
  data::DataLoader val_loader(blobs(30, 2), {.batch_size = 30});
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  auto stop = std::make_shared<train::EarlyStopping>(train::EarlyStoppingOptions{.monitor = "train_acc", .patience = 1});
  std::ostringstream out;
  train::fit(*model, ce, sgd, loader, &val_loader,
             {.epochs = 3, .callbacks = {stop}, .out = &out, .interactive = false});
  const std::string text = out.str();
  for (char c : text) EXPECT_TRUE(c == '\n' || (c >= 32 && c < 127)) << "control character " << int(c);
  std::istringstream lines(text);
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  ASSERT_GE(got.size(), 2u);
  const size_t epochs = got.size() - 1 - (stop->stopped_epoch() > 0);
  for (size_t i = 0; i < epochs; ++i) {
    EXPECT_THAT(got[i], ::testing::StartsWith("epoch " + std::to_string(i + 1) + "/3  train_loss "));
    EXPECT_THAT(got[i], HasSubstr("val_acc "));
    EXPECT_THAT(got[i], HasSubstr("samples/s"));
  }
  EXPECT_EQ(got.back(), "weights hash " + train::format_hash(train::weights_hash(*model)));
}

TEST(Progress, InteractiveRedrawsABar) {
  auto model = mlp(2, 8, 5);
  data::DataLoader loader(blobs(64, 1), {.batch_size = 16});
  optim::SGD sgd(model->parameters(), {.lr = 0.1});
  std::ostringstream out;
  train::fit(*model, ce, sgd, loader, nullptr, {.epochs = 2, .out = &out, .interactive = true});
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("\repoch 1/2 [=======>   "));  // first batch drawn
  EXPECT_THAT(text, HasSubstr("] 1/4  eta "));
  EXPECT_THAT(text, HasSubstr("[==============================] 4/4"));  // last batch drawn
  EXPECT_THAT(text, HasSubstr("acc "));
  EXPECT_THAT(text, HasSubstr("\repoch 2/2  train_loss "));  // the summary overwrites the bar
  EXPECT_THAT(text, HasSubstr("\033[K\n"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);  // two epochs and the hash

  // An error mid-epoch ends the bar's line first.
  std::ostringstream failed;
  int calls = 0;
  const train::LossFn failing = [&](const Tensor& o, const Tensor& t) {
    NABLA_CHECK(++calls < 3, "boom");
    return ce(o, t);
  };
  EXPECT_THROW(train::fit(*model, failing, sgd, loader, nullptr, {.epochs = 1, .out = &failed, .interactive = true}),
               Error);
  EXPECT_THAT(failed.str(), HasSubstr("\repoch 1/1 ["));
  EXPECT_EQ(failed.str().back(), '\n');

  std::ostringstream silent;
  train::fit(*model, ce, sgd, loader, nullptr, {.epochs = 1, .verbose = 0, .out = &silent, .interactive = true});
  EXPECT_EQ(silent.str(), "");
}
