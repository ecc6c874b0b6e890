// Memory flatness: trains a model for many epochs with fit() (validation and a training
// checkpoint every epoch, as the CLI does) and records after each epoch the resident set size
// (/proc/self/status VmRSS, and the peak VmHWM) and the bytes malloc has handed out (mallinfo2).
// RSS alone can hide a small leak for a long time: freed heap pages stay resident (here the
// data set's decompression buffers) and a leak fills them first. The heap count sees every
// byte, the RSS what the system sees. After the first epochs (the caching allocator warmed up)
// both must stay flat. Prints the curve and exits 1 when they are not.
//
//   build/bench/memory_flatness_bench                       # MLP 784-256-128-10, 50 epochs
//   build/bench/memory_flatness_bench --model lenet5 --epochs 20 --limit 2000
//
// Flat means: RSS and heap after the last epoch each within --tolerance-mib (default 2) of their
// values after epoch --from (default 5). On Fashion-MNIST's first --limit training images (and
// 1000 test images for validation) when the Debian package is installed, otherwise on random
// images of the same shape.
#include <nabla/nabla.hpp>

#include <malloc.h>  // mallinfo2 (glibc)
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace nabla;

namespace {

struct Args {
  std::string model = "mlp";
  int64_t epochs = 50;
  int64_t from = 5;
  int64_t limit = 5000;
  double tolerance_mib = 2.0;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value after " + arg);
      return argv[++i];
    };
    if (arg == "--model") {
      a.model = value();
    } else if (arg == "--epochs") {
      a.epochs = std::stoll(value());
    } else if (arg == "--from") {
      a.from = std::stoll(value());
    } else if (arg == "--limit") {
      a.limit = std::stoll(value());
    } else if (arg == "--tolerance-mib") {
      a.tolerance_mib = std::stod(value());
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: memory_flatness_bench [--model mlp|lenet5] [--epochs E] [--from E0] [--limit N]\n"
                   "                             [--tolerance-mib M]\n";
      std::exit(0);
    } else {
      throw std::runtime_error("unknown argument '" + arg + "' (try --help)");
    }
  }
  if (a.model != "mlp" && a.model != "lenet5") throw std::runtime_error("--model must be mlp or lenet5");
  if (a.from < 1 || a.from >= a.epochs) throw std::runtime_error("--from must be in [1, epochs)");
  return a;
}

// A field of /proc/self/status ("VmRSS", "VmHWM") in MiB.
double status_mib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;  // kB
  throw std::runtime_error("/proc/self/status has no " + field);
}

// Bytes in use from malloc, in MiB: small blocks in the arenas plus mmap()ed large ones.
double heap_mib() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd) / 1048576.0;
}

struct Sample {
  double rss = 0, hwm = 0, heap = 0, cached = 0;  // MiB; cached: held by nabla's allocator (part of heap)
};

class MemoryLog : public train::Callback {
public:
  void on_epoch_end(train::FitContext&, const train::EpochRecord&) override {
    samples.push_back({status_mib("VmRSS"), status_mib("VmHWM"), heap_mib(), memory::cached_bytes() / 1048576.0});
  }
  std::vector<Sample> samples;
};

// (train, validation) images as uint8 (N, 1, 28, 28) with int64 labels.
std::pair<std::shared_ptr<data::Dataset>, std::shared_ptr<data::Dataset>> datasets(int64_t limit) {
  if (data::fashion_mnist_available()) {
    const data::TrainTest fm = data::load_fashion_mnist();
    std::vector<int64_t> first(static_cast<size_t>(std::min(limit, fm.train->size())));
    std::iota(first.begin(), first.end(), 0);
    std::vector<int64_t> val(1000);
    std::iota(val.begin(), val.end(), 0);
    return {std::make_shared<data::Subset>(fm.train, first), std::make_shared<data::Subset>(fm.test, val)};
  }
  std::printf("Fashion-MNIST is not installed: random images\n");
  Generator g(1);
  auto random_set = [&](int64_t n) {
    return std::make_shared<data::TensorDataset>(randint(0, 256, {n, 1, 28, 28}, g, DType::UInt8),
                                                 randint(0, 10, {n}, g));
  };
  return {random_set(limit), random_set(1000)};
}

}  // namespace

int main(int argc, char** argv) try {
  const Args args = parse(argc, argv);
  manual_seed(0);
  const auto [train_set, val_set] = datasets(args.limit);
  const bool mlp = args.model == "mlp";
  std::shared_ptr<nn::Module> model =
      mlp ? std::shared_ptr<nn::Module>(nn::mlp({.sizes = {784, 256, 128, 10}})) : nn::lenet5();
  const data::BatchTransform to_input =
      mlp ? data::compose({data::scale_to_unit, data::flatten}) : data::BatchTransform(data::scale_to_unit);
  data::DataLoader train_loader(train_set, {.batch_size = 64, .shuffle = true, .seed = 1, .transform = to_input});
  data::DataLoader val_loader(val_set, {.batch_size = 256, .transform = to_input});
  optim::Adam adam(model->parameters(), {.lr = 1e-3});
  nn::CrossEntropyLoss loss;
  auto log = std::make_shared<MemoryLog>();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("nabla_memory_flatness_" + std::to_string(::getpid()));

  std::printf("%s, %lld training images, %lld epochs; RSS after each epoch (MiB)\n", args.model.c_str(),
              static_cast<long long>(train_set->size()), static_cast<long long>(args.epochs));
  const double before = status_mib("VmRSS");
  train::fit(*model, loss, adam, train_loader, &val_loader,
             {.epochs = args.epochs, .callbacks = {log}, .verbose = 0, .checkpoint_dir = dir.string()});
  std::filesystem::remove_all(dir);

  std::printf("before training: RSS %.2f\n%5s %9s %9s %9s %9s %11s %11s\n", before, "epoch", "RSS", "peak", "heap",
              "cached", "RSS vs e0", "heap vs e0");
  const Sample& base = log->samples[static_cast<size_t>(args.from - 1)];
  for (size_t e = 0; e < log->samples.size(); ++e) {
    const Sample& s = log->samples[e];
    std::printf("%5zu %9.2f %9.2f %9.2f %9.2f %+11.2f %+11.2f\n", e + 1, s.rss, s.hwm, s.heap, s.cached,
                s.rss - base.rss, s.heap - base.heap);
  }
  const double rss_growth = log->samples.back().rss - base.rss, heap_growth = log->samples.back().heap - base.heap;
  const bool flat = std::abs(rss_growth) <= args.tolerance_mib && std::abs(heap_growth) <= args.tolerance_mib;
  std::printf("epoch %lld -> %lld (e0 = epoch %lld): RSS %+.2f MiB, heap %+.2f MiB (tolerance %.1f): %s\n",
              static_cast<long long>(args.from), static_cast<long long>(args.epochs),
              static_cast<long long>(args.from), rss_growth, heap_growth, args.tolerance_mib,
              flat ? "flat" : "NOT FLAT");
  return flat ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "memory_flatness_bench: %s\n", e.what());
  return 2;
}
