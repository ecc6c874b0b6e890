// The end of `nabla train`: the best checkpoint evaluated on the test set, the run report
// (report::write_run_report) filled with everything the run knows, and the closing lines.
#include "format.hpp"
#include "run_dir.hpp"
#include "train.hpp"

#include <nabla/io/checkpoint.hpp>
#include <nabla/report/report.hpp>
#include <nabla/train/hash.hpp>

#include <filesystem>
#include <iostream>
#include <numeric>

namespace nabla::cli {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxMisclassified = 48;
constexpr int64_t kMaxPoints = 1000;

std::vector<std::pair<std::string, std::string>> configuration(const TrainedRun& run, int64_t parameters) {
  const TrainConfig& c = run.config;
  auto optional = [](const std::optional<double>& v) { return v ? number_text(*v) : std::string("off"); };
  std::string data = c.data.name;
  if (!c.data.csv.empty()) data += " (" + c.data.csv + ")";
  if (!c.data.data_dir.empty()) data += " (" + c.data.data_dir + ")";
  return {{"model", c.model},
          {"layers", std::to_string(run.built.layers.size()) + " (" + run.built.model->type_name() + ")"},
          {"parameters", grouped(parameters)},
          {"data", data},
          {"task", task_text(run.data.task)},
          {"input shape", shape_text(run.data.input_shape, true)},
          {"outputs", std::to_string(run.data.num_outputs)},
          {"examples", "train " + grouped(run.data.train->size()) + ", validation " +
                           grouped(run.data.val ? run.data.val->size() : 0) + ", test " +
                           grouped(run.data.test->size())},
          {"limit", c.data.limit > 0 ? std::to_string(c.data.limit) : "off"},
          {"epochs", std::to_string(c.epochs) + " (trained " + std::to_string(run.history.size()) + ")"},
          {"batch size", std::to_string(c.batch_size)},
          {"optimizer", run.optimizer},
          {"schedule", c.schedule},
          {"augmentation", c.augment},
          {"validation split", number_text(c.val_split)},
          {"early stopping", c.early_stopping > 0 ? "patience " + std::to_string(c.early_stopping) : "off"},
          {"clip grad norm", optional(c.clip_grad_norm)},
          {"label smoothing", c.label_smoothing > 0 ? number_text(c.label_smoothing) : "off"},
          {"seed", std::to_string(c.seed)},
          {"run directory", run.run_dir},
          {"started", run.start_time},
          {"finished", run.end_time}};
}

// Up to 48 test images the model got wrong, in test-set order (`test` evaluated the unshuffled test set).
std::vector<report::LabelledImage> misclassified(const train::Evaluation& test, const RunData& data) {
  std::vector<report::LabelledImage> wrong;
  if (data.task != train::Task::Classification || data.input_shape.size() < 2 || data.input_shape.size() > 3 ||
      !test.predicted.defined())
    return wrong;
  const std::vector<int64_t> predicted = test.predicted.to_vector<int64_t>();
  const std::vector<int64_t> target = data.test->targets().to_vector<int64_t>();
  for (size_t i = 0; i < predicted.size() && wrong.size() < kMaxMisclassified; ++i)
    if (predicted[i] != target[i])
      wrong.push_back({.image = data.test->get(static_cast<int64_t>(i)).input, .target = target[i],
                       .predicted = predicted[i], .index = static_cast<int64_t>(i)});
  return wrong;
}

void print_results(const train::Evaluation& test, const std::string& hash, const std::string& report_path) {
  if (test.task == train::Task::Classification)
    std::cout << "test accuracy " << percent(test.accuracy) << "  loss " << fixed(test.loss, 4) << "\n";
  else
    std::cout << "test mse " << fixed(test.mse, 4) << "  mae " << fixed(test.mae, 4) << "  r2 " << fixed(test.r2, 4)
              << "\n";
  std::cout << "weights hash " << hash << "\n"
            << "report: " << report_path << std::endl;
}

}  // namespace

int finish_run(const TrainedRun& run) {
  // The best epoch's weights, as a user would load them; the last epoch's when none was saved.
  std::shared_ptr<nn::Module> model = run.built.model;
  const fs::path best = fs::path(run.run_dir) / "model.safetensors";
  if (fs::exists(best)) model = io::load_model(best.string()).model;
  model->eval();

  data::DataLoader test_loader = make_loader(run.data.test, 512, false, 0);
  const train::Evaluation test =
      train::evaluate(*model, test_loader, {.task = run.data.task, .loss = loss_for(run.data.task)});
  const std::string hash = train::format_hash(train::weights_hash(*model));

  report::RunReport r;
  r.title = run.config.name + ": " + run.config.model + " on " + run.config.data.name;
  r.configuration = configuration(run, model->num_parameters());
  r.environment = environment();
  r.history = run.history;
  r.class_names = run.data.class_names;
  r.test = test;
  r.misclassified = misclassified(test, run.data);
  r.model = model;
  r.input_shape = run.data.input_shape;
  if (run.data.input_shape == Shape{2} && run.data.task == train::Task::Classification) {
    std::vector<int64_t> rows(static_cast<size_t>(std::min(run.data.train->size(), kMaxPoints)));
    std::iota(rows.begin(), rows.end(), int64_t{0});
    const data::Batch points = run.data.train->get_batch(rows);
    r.points = points.input.to(float32);
    r.point_labels = points.target;
  }
  r.weights_hash = hash;
  for (const auto& [file, what] : run_files())
    if (file != "confusion_matrix.svg" || run.data.task == train::Task::Classification) r.files.emplace_back(file, what);
  const std::string report_path = report::write_run_report(r, run.run_dir);
  print_results(test, hash, report_path);
  return 0;
}

}  // namespace nabla::cli
