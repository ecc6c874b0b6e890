// Crash safety of training checkpoints: a training process killed (SIGKILL) at random points,
// most of them while it is writing its checkpoint, always leaves a last checkpoint that loads,
// and resuming from it ends bit-identical to a run that was never interrupted.
//
// The trainer is a fork()ed child of the test rather than the `nabla` CLI: no exec, no data
// loading, no run directory, so a kill cycle costs tens of milliseconds (mostly fsync) and a
// hundred fit in the time budget; and the parent, holding the reference weights, can watch the
// checkpoint directory with inotify, which tells it the moment a write opens its temporary
// file. The test runs on one nabla thread, so the process that forks never has a nabla thread
// pool whose locks a child could inherit mid-use (OpenBLAS stops its own threads around a
// fork). Linux only (fork, inotify), like the project.
#include <nabla/generator.hpp>
#include <nabla/io/safetensors.hpp>
#include <nabla/nn/activation.hpp>
#include <nabla/nn/container.hpp>
#include <nabla/nn/dropout.hpp>
#include <nabla/nn/functional.hpp>
#include <nabla/nn/linear.hpp>
#include <nabla/optim/adam.hpp>
#include <nabla/optim/lr_scheduler.hpp>
#include <nabla/tensor.hpp>
#include <nabla/train/checkpoint.hpp>
#include <nabla/train/fit.hpp>

#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace nabla;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kEpochs = 3;

Tensor ce(const Tensor& out, const Tensor& target) { return nn::functional::cross_entropy(out, target); }

// A 64-128-128-10 MLP (26k parameters: a 0.3 MiB training state with Adam's two moments,
// whose write and fsync take a few milliseconds) on 256 random examples; dropout, shuffling and
// a StepLR all carry state across a resume.
struct TrainingRun {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::Adam> adam;
  std::shared_ptr<train::LRSchedulerCallback> schedule;
  std::shared_ptr<data::TensorDataset> data;
  std::unique_ptr<data::DataLoader> loader;

  TrainingRun() {
    Generator g(11);
    data = std::make_shared<data::TensorDataset>(randn({256, 64}, g), randint(0, 10, {256}, g));
    loader = std::make_unique<data::DataLoader>(data, data::DataLoaderOptions{.batch_size = 32, .shuffle = true, .seed = 3});
    manual_seed(0);
    model = std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Linear>(64, 128), std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.2),
        std::make_shared<nn::Linear>(128, 128), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(128, 10)});
    adam = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 1e-3});
    schedule = std::make_shared<train::LRSchedulerCallback>(std::make_shared<optim::StepLR>(*adam, 2, 0.5));
    manual_seed(1234);  // the dropout stream
  }

  void fit(const std::string& checkpoint_dir, const std::string& resume_from = "") {
    train::fit(*model, ce, *adam, *loader, nullptr,
               {.epochs = kEpochs, .callbacks = {schedule}, .verbose = 0, .checkpoint_dir = checkpoint_dir,
                .resume_from = resume_from});
  }
};

// The first parameter (by name) whose bytes differ, with its first differing element; "" when all match.
std::string first_difference(const nn::StateDict& got, const nn::StateDict& want) {
  if (got.keys() != want.keys()) return "the state dicts have different keys";
  for (const auto& [key, t] : want) {
    const std::vector<float> a = got.at(key).to_vector<float>(), b = t.to_vector<float>();
    if (a.size() != b.size()) return key + ": different sizes";
    for (size_t i = 0; i < a.size(); ++i)
      if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
        return key + "[" + std::to_string(i) + "]: " + std::to_string(a[i]) + " vs " + std::to_string(b[i]);
  }
  return "";
}

// Counts the checkpoint writes a child starts (its temporary file appears: IN_CREATE) and
// finishes (the temporary is renamed over the checkpoint: IN_MOVED_FROM) in one directory.
class WriteWatch {
public:
  explicit WriteWatch(const fs::path& dir) : fd_(inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    if (fd_ < 0 || inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_FROM) < 0)
      throw std::runtime_error(std::string("inotify: ") + std::strerror(errno));
  }
  ~WriteWatch() { ::close(fd_); }
  WriteWatch(const WriteWatch&) = delete;
  WriteWatch& operator=(const WriteWatch&) = delete;

  // Reads the events that arrive within `timeout_ms` (none: whatever is queued now).
  void read(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return;
    alignas(inotify_event) char buffer[4096];
    for (ssize_t n; (n = ::read(fd_, buffer, sizeof buffer)) > 0;) {
      for (ssize_t at = 0; at < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buffer + at);
        const bool temporary = e->len > 0 && std::string(e->name).find(".tmp.") != std::string::npos;
        if (temporary && (e->mask & IN_CREATE)) {
          started.push_back(Clock::now());
          created.emplace_back(e->name);
        }
        if (temporary && (e->mask & IN_MOVED_FROM)) finished.push_back(Clock::now());
        at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
  }
  // How long each completed write was open, as the parent saw it.
  std::vector<double> write_ms() const {
    std::vector<double> ms;
    for (size_t i = 0; i < finished.size(); ++i)
      ms.push_back(std::chrono::duration<double, std::milli>(finished[i] - started[i]).count());
    return ms;
  }
  std::vector<Clock::time_point> started, finished;
  std::vector<std::string> created;  // the temporary files' names

private:
  int fd_;
};

// A child that trains kEpochs with checkpoints in `dir`, then exits, or with `linger` waits to
// be killed (so a kill aimed just after the last write still finds it); never returns.
[[noreturn]] void train_and_exit(const fs::path& dir, bool linger) {
  try {
    TrainingRun run;
    run.fit(dir.string());
  } catch (...) {
    ::_exit(3);
  }
  while (linger) ::pause();
  ::_exit(0);
}

std::vector<std::string> temporaries_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) names.push_back(e.path().string());
  return names;
}

class CrashSafety : public nabla::testing::TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    set_num_threads(1);
  }
};

}  // namespace

TEST_F(CrashSafety, KilledMidWriteLeavesALoadableCheckpointAndResumeIsBitExact) {
  TrainingRun reference;
  reference.fit("");
  const nn::StateDict want = reference.model->state_dict();
  const fs::path dir = dir_ / "run";

  // Calibration: an uninterrupted child, to measure how long the parent sees a write open.
  // fsync's time varies a lot from one write to the next, so every later write adds to it.
  fs::create_directories(dir);
  std::vector<double> write_ms;
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  {
    WriteWatch watch(dir);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) train_and_exit(dir, false);
    int status = 0;
    while (::waitpid(child, &status, WNOHANG) == 0) watch.read(10);
    watch.read(0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    ASSERT_EQ(watch.started.size(), static_cast<size_t>(kEpochs));
    ASSERT_EQ(watch.finished.size(), static_cast<size_t>(kEpochs));
    write_ms = watch.write_ms();
    TrainingRun finished;
    finished.fit("", train::training_state_path(dir.string()));  // nothing left to train: loads only
    ASSERT_EQ(first_difference(finished.model->state_dict(), want), "") << "a forked run differs";
  }
  // Each cycle: a child trains; the parent waits for its k-th write to open, sleeps a random
  // 0 .. 1.5 median write durations (so most kills land mid-write and the rest just after a
  // write, during the next epoch's training or after the last) and kills it. Seeded, so the
  // schedule is reproducible.
  constexpr int kCycles = 100;
  Generator schedule(2024);
  int mid_write = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const int64_t k = schedule.randint(1, kEpochs + 1);
    const double delay_ms = 1.5 * median(write_ms) * schedule.uniform_double();
    WriteWatch watch(dir);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) train_and_exit(dir, true);
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(20);
    while (watch.started.size() < static_cast<size_t>(k) && Clock::now() < deadline) watch.read(100);
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(delay_ms));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    watch.read(0);  // the child is dead: every event it caused is queued
    ASSERT_GE(watch.started.size(), static_cast<size_t>(k)) << "cycle " << cycle << ": the child never reached write " << k;
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "cycle " << cycle << ": status " << status;

    // The checkpoint under its final name is the last write that completed, whole.
    const std::string state_path = train::training_state_path(dir.string());
    const size_t completed = watch.finished.size();
    const std::vector<std::string> leftovers = temporaries_in(dir);
    const bool interrupted_write = watch.started.size() > completed;
    EXPECT_EQ(leftovers.size(), interrupted_write ? 1u : 0u) << "cycle " << cycle;
    mid_write += interrupted_write;
    for (double ms : watch.write_ms()) write_ms.push_back(ms);
    if (completed == 0) {
      EXPECT_FALSE(fs::exists(state_path)) << "cycle " << cycle;
    } else {
      train::TrainingState state;
      ASSERT_NO_THROW(state = train::load_training_state(state_path)) << "cycle " << cycle;
      EXPECT_EQ(state.epoch, static_cast<int64_t>(completed)) << "cycle " << cycle;
    }

    // Resume (or start over) in the same directory, next to any leftover temporary file.
    TrainingRun resumed;
    ASSERT_NO_THROW(resumed.fit(dir.string(), completed > 0 ? state_path : ""))
        << "cycle " << cycle << " (resuming after " << completed << " epochs)";
    ASSERT_EQ(first_difference(resumed.model->state_dict(), want), "")
        << "cycle " << cycle << ": resumed after " << completed << " epochs";
    EXPECT_EQ(train::load_training_state(state_path).epoch, kEpochs);
  }
  std::printf("writes open %.2f ms (median of %zu); %d kills, %d mid-write, %d between writes\n", median(write_ms),
              write_ms.size(), kCycles, mid_write, kCycles - mid_write);
  EXPECT_GE(mid_write * 5, kCycles) << "fewer than 20% of the kills landed mid-write: the timing drifted";
  EXPECT_GE(kCycles - mid_write, 1) << "no kill landed between writes";
}

// A killed writer leaves its temporary file behind, and a later process may be given the same
// pid (a trainer in a container often gets the same small pid after every restart), so its
// writes pick the same temporary names, ".<name>.tmp.<pid>.<counter>", with the counter
// starting again from 0. Such leftovers must be stepped over, not make the write fail. The
// name of one write (seen through inotify) tells the counter, so the next names can be planted.
TEST_F(CrashSafety, LeftoverTemporaryFileWithOurNameDoesNotBlockAWrite) {
  const std::string path = this->path("state.safetensors");
  WriteWatch watch(dir_);
  io::write_safetensors(path, {{"x", tensor({1.0f})}});
  watch.read(1000);
  ASSERT_EQ(watch.created.size(), 1u);
  const std::string prefix = ".state.safetensors.tmp." + std::to_string(::getpid()) + ".";
  ASSERT_EQ(watch.created[0].rfind(prefix, 0), 0u) << watch.created[0];
  const int counter = std::stoi(watch.created[0].substr(prefix.size()));

  for (int c = counter + 1; c <= counter + 8; ++c)
    std::ofstream(this->path(prefix + std::to_string(c))) << "the first bytes of a checkpoint";
  ASSERT_NO_THROW(io::write_safetensors(path, {{"x", tensor({2.0f})}}));
  EXPECT_EQ(io::read_safetensors(path).tensors.at(0).second.item(), 2.0);
  EXPECT_EQ(temporaries_in(dir_).size(), 8u) << "leftovers of another process are not ours to delete";
}
