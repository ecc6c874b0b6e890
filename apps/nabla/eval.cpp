// `nabla eval`: a checkpoint on the test set of its data set (the one named in its config, or
// --data): loss, accuracy, top-5 accuracy, per-class precision / recall / F1 and the confusion
// matrix, or MSE / MAE / R² for regression; as text or, with --json, as one JSON object.
#include "commands.hpp"
#include "data.hpp"
#include "format.hpp"

#include <nabla/io/checkpoint.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

namespace nabla::cli {
namespace {

using nlohmann::json;

struct EvalArgs {
  std::string checkpoint;
  DataConfig data;
  uint64_t seed = 0;
  int64_t batch_size = 512;
  int threads = 0;
  bool json = false;
};

// The checkpoint's training configuration ({} when it has none).
json checkpoint_config(const io::LoadedModel& loaded, const std::string& path) {
  if (loaded.info.config.empty()) return json::object();
  json config;
  try {
    config = json::parse(loaded.info.config);
  } catch (const json::exception& e) {
    NABLA_FAIL("'", path, "': its nabla.config is not valid JSON: ", e.what());
  }
  NABLA_CHECK(config.is_object(), "'", path, "': its nabla.config must be a JSON object, got ", config.type_name());
  return config;
}

json evaluation_json(const train::Evaluation& e, const std::vector<std::string>& names) {
  json j = {{"task", task_text(e.task)}, {"samples", e.samples}, {"loss", e.loss}};
  if (e.task == train::Task::Regression) {
    j["mse"] = e.mse;
    j["mae"] = e.mae;
    j["r2"] = e.r2;
    return j;
  }
  j["accuracy"] = e.accuracy;
  j["top_k"] = e.top_k;
  j["top_k_accuracy"] = e.top_k_accuracy;
  j["macro_precision"] = e.report.macro_precision;
  j["macro_recall"] = e.report.macro_recall;
  j["macro_f1"] = e.report.macro_f1;
  json classes = json::array();
  for (size_t c = 0; c < e.report.f1.size(); ++c)
    classes.push_back({{"class", c < names.size() ? names[c] : std::to_string(c)},
                       {"precision", e.report.precision[c]},
                       {"recall", e.report.recall[c]},
                       {"f1", e.report.f1[c]},
                       {"support", e.report.support[c]}});
  j["per_class"] = classes;
  const int64_t n = e.confusion.size(0);
  const std::vector<int64_t> counts = e.confusion.to_vector<int64_t>();
  json matrix = json::array();
  for (int64_t r = 0; r < n; ++r)
    matrix.push_back(std::vector<int64_t>(counts.begin() + r * n, counts.begin() + (r + 1) * n));
  j["confusion"] = matrix;
  return j;
}

// "3 Dress" for a named class, "3" when the name is the index itself.
std::string class_label(size_t c, const std::vector<std::string>& names) {
  const std::string index = std::to_string(c);
  return c < names.size() && names[c] != index ? index + " " + names[c] : index;
}

void print_classification(const train::Evaluation& e, const std::vector<std::string>& names) {
  const int64_t classes = e.confusion.size(0);
  std::cout << "loss            " << fixed(e.loss, 4) << "\n"
            << "accuracy        " << percent(e.accuracy) << "\n";
  if (e.top_k < classes) std::cout << "top-" << e.top_k << " accuracy  " << percent(e.top_k_accuracy) << "\n";
  std::cout << "macro F1        " << fixed(e.report.macro_f1, 4) << "\n\n";
  Table per_class({"class", "precision", "recall", "F1", "support"}, {false, true, true, true, true});
  for (size_t c = 0; c < e.report.f1.size(); ++c)
    per_class.add_row({class_label(c, names), fixed(e.report.precision[c], 4),
                       fixed(e.report.recall[c], 4), fixed(e.report.f1[c], 4), std::to_string(e.report.support[c])});
  per_class.add_rule();
  per_class.add_row({"macro average", fixed(e.report.macro_precision, 4), fixed(e.report.macro_recall, 4),
                     fixed(e.report.macro_f1, 4), std::to_string(e.samples)});
  per_class.print(std::cout);

  std::cout << "\nconfusion matrix (rows: true class, columns: predicted class)\n";
  const int64_t n = e.confusion.size(0);
  std::vector<std::string> headers = {"true"};
  for (int64_t c = 0; c < n; ++c) headers.push_back(std::to_string(c));
  Table matrix(headers, std::vector<bool>(headers.size(), true));
  const std::vector<int64_t> counts = e.confusion.to_vector<int64_t>();
  for (int64_t r = 0; r < n; ++r) {
    std::vector<std::string> row = {std::to_string(r)};
    for (int64_t c = 0; c < n; ++c) row.push_back(std::to_string(counts[static_cast<size_t>(r * n + c)]));
    matrix.add_row(row);
  }
  matrix.print(std::cout);
}

int run_eval(const EvalArgs& args, const CLI::App& app) {
  apply_threads(args.threads);
  const io::LoadedModel loaded = io::load_model(args.checkpoint);
  const json config = checkpoint_config(loaded, args.checkpoint);
  DataConfig data_config = args.data;
  if (data_config.name.empty() && !data_config.csv.empty()) data_config.name = "csv";
  if (data_config.name.empty()) {
    NABLA_CHECK(config.contains("data"), "'", args.checkpoint,
                "' does not name its data set (no nabla.config); pass --data");
    data_config = data_config_from_json(config["data"], args.checkpoint + " (nabla.config)");
  }
  data_config.limit = 0;
  uint64_t seed = args.seed;
  if (!app.count("--seed")) {
    // Checked first: nlohmann would convert a number such as 1e300 or -1 to a uint64_t silently.
    const json saved = config.value("seed", json(0));
    NABLA_CHECK(saved.is_number_unsigned() || (saved.is_number_integer() && saved.get<int64_t>() >= 0), "'",
                args.checkpoint, "': the seed in its nabla.config must be a non-negative integer, got ",
                saved.is_structured() ? saved.type_name() : saved.dump());
    seed = saved.get<uint64_t>();
  }
  const RunData data = load_data(data_config, seed, 0.0);
  check_input_shape(data.input_shape, loaded.info.input_shape, "data set '" + data.name + "'");
  NABLA_CHECK(data.task == train::Task::Regression || data.num_outputs <= loaded.info.num_outputs, "data set '",
              data.name, "' has ", data.num_outputs, " classes but the model gives ", loaded.info.num_outputs,
              " outputs");

  data::DataLoader loader = make_loader(data.test, args.batch_size, false, 0);
  const train::Evaluation e =
      train::evaluate(*loaded.model, loader, {.task = data.task, .loss = loss_for(data.task)});
  if (args.json) {
    json j = evaluation_json(e, data.class_names);
    j["checkpoint"] = args.checkpoint;
    j["data"] = data.name;
    std::cout << j.dump(2) << std::endl;
    return 0;
  }
  std::cout << "checkpoint " << args.checkpoint << ": " << loaded.info.spec << ", "
            << grouped(loaded.model->num_parameters()) << " parameters"
            << (loaded.metadata.contains("epoch") ? ", epoch " + loaded.metadata.at("epoch") : "") << "\n"
            << "data: " << data.name << " test set, " << grouped(e.samples) << " examples (" << task_text(e.task)
            << ")\n\n";
  if (e.task == train::Task::Classification) {
    print_classification(e, data.class_names);
  } else {
    std::cout << "loss  " << fixed(e.loss, 6) << "\n"
              << "MSE   " << fixed(e.mse, 6) << "\n"
              << "MAE   " << fixed(e.mae, 6) << "\n"
              << "R2    " << fixed(e.r2, 6) << "\n";
  }
  std::cout << std::flush;
  return 0;
}

}  // namespace

Command add_eval(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("eval", "Evaluate a checkpoint on the test set of its data set");
  auto args = std::make_shared<EvalArgs>();
  sub->add_option("--checkpoint", args->checkpoint, "a checkpoint written by nabla train (model.safetensors)")
      ->required();
  add_data_options(*sub, args->data, false);
  sub->add_option("--seed", args->seed, "seed of generated data / the CSV split (default: the checkpoint's)");
  sub->add_option("--batch-size", args->batch_size, "examples per batch")->capture_default_str();
  add_threads_option(*sub, args->threads);
  sub->add_flag("--json", args->json, "print the metrics as one JSON object");
  return {sub, [args, sub] { return run_eval(*args, *sub); }};
}

}  // namespace nabla::cli
