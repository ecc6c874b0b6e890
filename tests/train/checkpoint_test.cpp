// Training checkpoints: resume is bit-exact with an uninterrupted run (shuffling, dropout,
// Adam and a StepLR all carry state), the file round-trips, bad files and mismatched runs give
// clear errors; and the same seed gives the same weights whatever the thread count.
#include <nabla/io/safetensors.hpp>
#include <nabla/nn/activation.hpp>
#include <nabla/nn/container.hpp>
#include <nabla/nn/dropout.hpp>
#include <nabla/nn/functional.hpp>
#include <nabla/nn/linear.hpp>
#include <nabla/optim/adam.hpp>
#include <nabla/optim/lr_scheduler.hpp>
#include <nabla/train/checkpoint.hpp>
#include <nabla/train/fit.hpp>
#include <nabla/train/hash.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <unistd.h>

using namespace nabla;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

Tensor f32(const std::vector<float>& values, const Shape& shape) { return tensor(values, shape); }

Tensor ce(const Tensor& out, const Tensor& target) { return nn::functional::cross_entropy(out, target); }

// 4 features, 3 classes by the argmax of a fixed projection; labels 10% flipped.
std::shared_ptr<data::TensorDataset> dataset(int64_t n, uint64_t seed) {
  Generator g(seed);
  const Tensor x = randn({n, 4}, g);
  const Tensor w = f32({1.0f, -1.0f, 0.5f, 0.0f, 1.0f, 1.0f, -1.0f, 0.5f, 0.0f, 0.5f, 1.0f, -1.0f}, {4, 3});
  std::vector<int64_t> y = x.matmul(w).argmax(1).to_vector<int64_t>();
  for (auto& label : y)
    if (g.uniform_double() < 0.1) label = (label + 1) % 3;
  return std::make_shared<data::TensorDataset>(x, tensor(y, {n}));
}

// Everything a run is made of, built afresh (the model from `init_seed`).
struct TrainingRun {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::Adam> adam;
  std::shared_ptr<train::LRSchedulerCallback> schedule;
  std::shared_ptr<train::EarlyStopping> stop;
  data::DataLoader train_loader{dataset(96, 1), {.batch_size = 16, .shuffle = true, .seed = 7}};
  data::DataLoader val_loader{dataset(48, 2), {.batch_size = 16, .shuffle = true, .seed = 8}};

  explicit TrainingRun(uint64_t init_seed) {
    manual_seed(init_seed);
    model = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Linear>(4, 32), std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.3),
        std::make_shared<nn::Linear>(32, 3)});
    adam = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 0.02});
    schedule = std::make_shared<train::LRSchedulerCallback>(std::make_shared<optim::StepLR>(*adam, 2, 0.5));
    stop = std::make_shared<train::EarlyStopping>(
        train::EarlyStoppingOptions{.monitor = "val_loss", .patience = 100, .restore_best_weights = true});
    manual_seed(1234);  // the training run's own stream (dropout), the same for every run
  }

  train::History fit(int64_t epochs, const std::string& checkpoint_dir = "", const std::string& resume_from = "",
                     std::ostream* out = nullptr) {
    return train::fit(*model, ce, *adam, train_loader, &val_loader,
                      {.epochs = epochs, .callbacks = {schedule, stop}, .verbose = out ? 1 : 0, .out = out,
                       .interactive = false, .checkpoint_dir = checkpoint_dir, .resume_from = resume_from});
  }
};

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("nabla_ckpt_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void expect_same_bytes(const nn::StateDict& a, const nn::StateDict& b) {
  ASSERT_EQ(a.keys(), b.keys());
  for (const auto& [key, t] : a) {
    const std::vector<float> x = t.to_vector<float>(), y = b.at(key).to_vector<float>();
    ASSERT_EQ(x.size(), y.size()) << key;
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)), 0) << key;
  }
}

}  // namespace

TEST(Resume, IsBitExactWithAnUninterruptedRun) {
  const fs::path dir = fresh_dir("resume");
  constexpr int64_t N = 5, k = 3;

  TrainingRun straight(0);
  const train::History full = straight.fit(N);

  TrainingRun first(0);
  first.fit(k, dir.string());
  const std::string state_path = train::training_state_path(dir.string());
  ASSERT_TRUE(fs::exists(state_path));

  // Fresh objects: another initialisation, another default stream, loaders never iterated.
  TrainingRun resumed(99);
  randn({17});
  std::ostringstream out;
  const train::History rest = resumed.fit(N, "", state_path, &out);
  EXPECT_THAT(out.str(), ::testing::StartsWith("resumed from " + state_path + " after epoch 3\nepoch 4/5  "));

  EXPECT_EQ(train::weights_hash(*resumed.model), train::weights_hash(*straight.model));
  expect_same_bytes(resumed.model->state_dict(), straight.model->state_dict());
  expect_same_bytes(resumed.adam->state_dict(), straight.adam->state_dict());
  EXPECT_EQ(resumed.schedule->scheduler().get_last_lr(), straight.schedule->scheduler().get_last_lr());
  EXPECT_EQ(resumed.stop->best_epoch(), straight.stop->best_epoch());
  ASSERT_EQ(rest.size(), static_cast<size_t>(N));
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_EQ(rest[i].epoch, full[i].epoch);
    EXPECT_EQ(rest[i].train_loss, full[i].train_loss) << i;
    EXPECT_EQ(rest[i].val_loss, full[i].val_loss) << i;
    EXPECT_EQ(rest[i].train_acc, full[i].train_acc) << i;
    EXPECT_EQ(rest[i].lr, full[i].lr) << i;
  }
  EXPECT_LT(full[N - 1].lr, full[0].lr);  // the schedule did change the rate
  fs::remove_all(dir);
}

TEST(Resume, MismatchedRunsAreErrors) {
  const fs::path dir = fresh_dir("mismatch");
  TrainingRun first(0);
  first.fit(1, dir.string());
  const std::string path = train::training_state_path(dir.string());

  // A run without the schedule callback: the checkpoint holds state nobody takes.
  TrainingRun other(0);
  try {
    train::fit(*other.model, ce, *other.adam, other.train_loader, &other.val_loader,
               {.epochs = 2, .callbacks = {other.stop}, .verbose = 0, .resume_from = path});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'scheduler'"));
  }
  // A model checkpoint is not a training state.
  const std::string model_file = (dir / "model.safetensors").string();
  save(*first.model, model_file);
  try {
    train::load_training_state(model_file);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(model_file));
    EXPECT_THAT(e.what(), HasSubstr("not a nabla training state"));
  }
  EXPECT_THROW(train::load_training_state((dir / "missing.safetensors").string()), Error);
  fs::remove_all(dir);
}

TEST(TrainingState, RoundTripsEveryField) {
  const fs::path dir = fresh_dir("roundtrip");
  train::TrainingState s;
  s.epoch = 3;
  s.model.insert("fc.weight", f32({1.0f, 2.0f}, {1, 2}));
  s.optimizer.insert("state.0.step", scalar_tensor(3, DType::Float64));
  nn::StateDict sched;
  sched.insert("last_epoch", scalar_tensor(3, DType::Float64));
  s.callbacks.emplace_back("scheduler", sched);
  s.callbacks.emplace_back("empty", nn::StateDict());
  Generator g(42);
  g.normal();  // leaves a spare normal
  s.default_generator = g.get_state();
  s.train_loader_generator = Generator(~0ULL).get_state();
  s.history.append({.epoch = 1, .train_loss = 0.1 + 0.2});
  const std::string path = (dir / "state.safetensors").string();
  train::save_training_state(path, s);

  const io::SafetensorsFile raw = io::read_safetensors(path);
  EXPECT_EQ(raw.metadata.at("format"), "nabla.training_state");
  std::set<std::string> names;
  for (const auto& [name, t] : raw.tensors) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"model.fc.weight", "optimizer.state.0.step", "scheduler.last_epoch"}));

  const train::TrainingState back = train::load_training_state(path);
  EXPECT_EQ(back.epoch, 3);
  EXPECT_EQ(back.model.at("fc.weight").to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(back.optimizer.at("state.0.step").item(), 3.0);
  ASSERT_EQ(back.callbacks.size(), 2u);
  EXPECT_EQ(back.callbacks[0].first, "scheduler");
  EXPECT_EQ(back.callbacks[1].first, "empty");
  EXPECT_TRUE(back.callbacks[1].second.empty());
  EXPECT_EQ(back.default_generator, s.default_generator);
  EXPECT_TRUE(back.default_generator.has_spare_normal);
  EXPECT_EQ(back.train_loader_generator, s.train_loader_generator);
  EXPECT_FALSE(back.val_loader_generator.has_value());
  EXPECT_EQ(back.history[0].train_loss, 0.1 + 0.2);

  s.callbacks.emplace_back("model", nn::StateDict());
  try {
    train::save_training_state(path, s);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'model'"));
  }
  EXPECT_EQ(train::load_training_state(path).epoch, 3);  // the failed save changed nothing

  // Tampered files: a stray tensor, a missing or malformed metadata entry.
  auto expect_error = [&](const std::vector<std::pair<std::string, Tensor>>& tensors,
                          std::map<std::string, std::string> metadata, const std::string& message) {
    io::write_safetensors(path, tensors, metadata);
    try {
      train::load_training_state(path);
      ADD_FAILURE() << "expected an error mentioning " << message;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(message));
      EXPECT_THAT(e.what(), HasSubstr(path));
    }
  };
  const std::map<std::string, std::string> good = io::read_safetensors((dir / "state.safetensors").string()).metadata;
  std::map<std::string, std::string> bad = good;
  expect_error({{"stray.x", scalar_tensor(1)}}, good, "'stray.x'");
  bad.erase("history");
  expect_error({}, bad, "'history'");
  bad = good;
  bad["default_generator"] = "{\"seed\": 1}";
  expect_error({}, bad, "default_generator");
  bad = good;
  bad["epoch"] = "three";
  expect_error({}, bad, "malformed epoch 'three'");
  fs::remove_all(dir);
}

namespace {

// Two epochs of a model wide enough that the elementwise kernels and BLAS split work between
// threads; returns the final weights hash.
uint64_t wide_run(int threads, uint64_t seed) {
  const int previous = get_num_threads();
  set_num_threads(threads);
  Generator g(3);
  auto data = std::make_shared<data::TensorDataset>(randn({512, 64}, g), randint(0, 3, {512}, g));
  manual_seed(seed);
  nn::Sequential model(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(64, 512), std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.2),
      std::make_shared<nn::Linear>(512, 3)});
  optim::Adam adam(model.parameters(), {.lr = 0.01});
  data::DataLoader loader(data, {.batch_size = 256, .shuffle = true, .seed = 1});
  train::fit(model, ce, adam, loader, nullptr, {.epochs = 2, .verbose = 0});
  set_num_threads(previous);
  return train::weights_hash(model);
}

}  // namespace

TEST(Determinism, SameSeedSameHash) {
  EXPECT_EQ(wide_run(1, 5), wide_run(1, 5));
  EXPECT_EQ(wide_run(2, 5), wide_run(2, 5));
  EXPECT_NE(wide_run(1, 5), wide_run(1, 6));
}

TEST(Determinism, ThreadCountDoesNotChangeTheHash) {
  EXPECT_EQ(wide_run(1, 5), wide_run(2, 5))
      << "the weights depend on the thread count; at the time of writing OpenBLAS's sgemm (0.3.21) gives "
         "different roundings for 1 and 2 threads, and for different row/column splits of one product";
}
