// nabla's side of the side-by-side benchmark (bench/compare.py runs PyTorch's side,
// bench/torch_workloads.py, alternating with this one). Each workload trains or runs a model on
// Fashion-MNIST with a plain, visible loop (zero_grad, forward, loss, backward, step) and
// prints one JSON line per measurement, so the two sides are timed the same way:
//
//   build/bench/workloads_bench --workload W2 --threads 2 --epochs 3
//   build/bench/workloads_bench --quick            (every workload, one short epoch: a smoke run)
//
// W1 softmax regression 784→10, batch 64, SGD lr 0.1
// W2 MLP 784-256-128-10 ReLU, batch 64, Adam 1e-3
// W3 LeNet-5 (conv 6@5×5 pad 2, ReLU, maxpool 2, conv 16@5×5, ReLU, maxpool 2, 120, 84, 10),
//    batch 64, Adam 1e-3
// W4 LeNet-5 inference over the 10k test images, batch 256
//
// Training epochs: one warm-up epoch, then `epochs` timed ones; the JSON carries every epoch's
// seconds and the test accuracy after the last. Inputs are scaled to [0, 1] per batch.
#include "bench_common.hpp"

#include <nabla/nabla.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace nabla;

namespace {

struct Args {
  std::vector<std::string> workloads{"W1", "W2", "W3", "W4"};
  int threads = 0;  // 0: nabla's default
  int epochs = 3;
  bool quick = false;
  int64_t limit = 0;  // training examples used (0: all)
  uint64_t seed = 0;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value after " + arg);
      return argv[++i];
    };
    if (arg == "--workload") {
      a.workloads = bench::split(value(), ',');
    } else if (arg == "--threads") {
      a.threads = std::stoi(value());
    } else if (arg == "--epochs") {
      a.epochs = std::stoi(value());
    } else if (arg == "--limit") {
      a.limit = std::stoll(value());
    } else if (arg == "--seed") {
      a.seed = std::stoull(value());
    } else if (arg == "--quick") {
      a.quick = true;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: workloads_bench [--workload W1,W2,W3,W4] [--threads N] [--epochs E] [--limit N]\n"
                   "                       [--seed S] [--quick]\n";
      std::exit(0);
    } else {
      throw std::runtime_error("unknown argument '" + arg + "' (try --help)");
    }
  }
  if (a.quick) {
    a.epochs = 1;
    if (a.limit == 0) a.limit = 2048;
  }
  return a;
}

std::shared_ptr<nn::Sequential> make_model(const std::string& workload) {
  auto m = std::make_shared<nn::Sequential>();
  if (workload == "W1") {
    m->push_back(std::make_shared<nn::Flatten>());
    m->push_back(std::make_shared<nn::Linear>(784, 10));
  } else if (workload == "W2") {
    m->push_back(std::make_shared<nn::Flatten>());
    m->push_back(std::make_shared<nn::Linear>(784, 256));
    m->push_back(std::make_shared<nn::ReLU>());
    m->push_back(std::make_shared<nn::Linear>(256, 128));
    m->push_back(std::make_shared<nn::ReLU>());
    m->push_back(std::make_shared<nn::Linear>(128, 10));
  } else {  // W3, W4: LeNet-5, laid out as torch_workloads.py's lenet5()
    return nn::lenet5();
  }
  return m;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& workload, const std::vector<Tensor>& params) {
  if (workload == "W1") return std::make_unique<optim::SGD>(params, optim::SGDOptions{.lr = 0.1});
  return std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = 1e-3});
}

double test_accuracy(nn::Module& model, const data::Dataset& test) {
  data::DataLoader loader(test, {.batch_size = 256, .transform = data::scale_to_unit});
  return train::evaluate(model, loader, train::Task::Classification).accuracy;
}

// One epoch of the visible training loop; returns its seconds.
double train_epoch(nn::Module& model, optim::Optimizer& optimizer, data::DataLoader& loader) {
  nn::CrossEntropyLoss loss_fn;
  model.train();
  const auto start = std::chrono::steady_clock::now();
  for (const data::Batch& batch : loader) {
    optimizer.zero_grad();
    Tensor loss = loss_fn(model.forward(batch.input), batch.target);
    loss.backward();
    optimizer.step();
  }
  return bench::seconds_since(start);
}

void run_training(const std::string& workload, const Args& args, const data::TrainTest& data) {
  manual_seed(args.seed);
  auto model = make_model(workload);
  auto optimizer = make_optimizer(workload, model->parameters());
  std::shared_ptr<const data::Dataset> train_set = data.train;
  if (args.limit > 0 && args.limit < train_set->size()) {
    std::vector<int64_t> first(static_cast<size_t>(args.limit));
    for (int64_t i = 0; i < args.limit; ++i) first[static_cast<size_t>(i)] = i;
    train_set = std::make_shared<data::Subset>(train_set, first);
  }
  data::DataLoader loader(train_set, {.batch_size = 64, .shuffle = true, .seed = args.seed,
                                      .transform = data::scale_to_unit});
  std::vector<double> epoch_seconds;
  const int total = args.quick ? 1 : args.epochs + 1;  // + the warm-up epoch
  for (int e = 0; e < total; ++e) epoch_seconds.push_back(train_epoch(*model, *optimizer, loader));
  if (!args.quick) epoch_seconds.erase(epoch_seconds.begin());  // drop the warm-up
  const double accuracy = test_accuracy(*model, *data.test);
  bench::Json j{{"side", "nabla"},
                {"workload", workload},
                {"threads", get_num_threads()},
                {"setting", "nabla threads=" + std::to_string(get_num_threads())},
                {"epoch_seconds", epoch_seconds},
                {"median_seconds", bench::median(epoch_seconds)},
                {"min_seconds", *std::min_element(epoch_seconds.begin(), epoch_seconds.end())},
                {"max_seconds", *std::max_element(epoch_seconds.begin(), epoch_seconds.end())},
                {"train_examples", train_set->size()},
                {"epochs_trained", total},
                {"test_accuracy", accuracy},
                {"peak_rss_mib", bench::peak_rss_mib()}};
  std::cout << j.dump() << std::endl;
}

// W4: LeNet-5 inference over the test set, batch 256, with freshly initialised weights (the
// arithmetic does not depend on their values); timed passes: one warm-up, then `epochs`.
void run_inference(const Args& args, const data::TrainTest& data) {
  manual_seed(args.seed);
  auto model = make_model("W4");
  model->eval();
  NoGradGuard no_grad;
  std::vector<double> seconds;
  int64_t images = 0;
  const int total = args.quick ? 1 : args.epochs + 1;
  for (int e = 0; e < total; ++e) {
    data::DataLoader loader(*data.test, {.batch_size = 256, .transform = data::scale_to_unit});
    const auto start = std::chrono::steady_clock::now();
    images = 0;
    for (const data::Batch& batch : loader) {
      Tensor logits = model->forward(batch.input);
      images += logits.size(0);
    }
    seconds.push_back(bench::seconds_since(start));
  }
  if (!args.quick) seconds.erase(seconds.begin());
  const double median = bench::median(seconds);
  bench::Json j{{"side", "nabla"},
                {"workload", "W4"},
                {"threads", get_num_threads()},
                {"setting", "nabla threads=" + std::to_string(get_num_threads())},
                {"epoch_seconds", seconds},
                {"median_seconds", median},
                {"min_seconds", *std::min_element(seconds.begin(), seconds.end())},
                {"max_seconds", *std::max_element(seconds.begin(), seconds.end())},
                {"images", images},
                {"images_per_second", static_cast<double>(images) / median},
                {"peak_rss_mib", bench::peak_rss_mib()}};
  std::cout << j.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    if (args.threads > 0) set_num_threads(args.threads);
    const data::TrainTest data = data::load_fashion_mnist();
    for (const std::string& w : args.workloads) {
      if (w == "W1" || w == "W2" || w == "W3") {
        run_training(w, args, data);
      } else if (w == "W4") {
        run_inference(args, data);
      } else {
        throw std::runtime_error("unknown workload '" + w + "' (W1, W2, W3, W4)");
      }
    }
  } catch (const std::exception& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::fprintf(stderr, "workloads_bench: error: %s\n", message.c_str());
    return 1;
  }
  return 0;
}
