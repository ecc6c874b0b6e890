// `nabla train`: builds the model of a spec for a data set and trains it with train::fit, the
// same public loop a user calls; the run directory gets the checkpoints (best and last), the
// training state for --resume, config.json and history.csv. train_report.cpp then evaluates the
// best model on the test set and writes the report.
#include "commands.hpp"
#include "factory.hpp"
#include "format.hpp"
#include "run_dir.hpp"
#include "train.hpp"

#include <nabla/autograd.hpp>
#include <nabla/io/checkpoint.hpp>
#include <nabla/train/checkpoint.hpp>
#include <nabla/train/fit.hpp>
#include <nabla/train/progress.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <optional>
#include <set>

namespace nabla::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// Writes history.csv after every epoch, so a run that stops early still leaves its numbers.
class HistoryCsvWriter : public train::Callback {
public:
  explicit HistoryCsvWriter(std::string path) : path_(std::move(path)) {}
  void on_epoch_end(train::FitContext& ctx, const train::EpochRecord&) override { ctx.history.save_csv(path_); }

private:
  std::string path_;
};

// What the command line gave, before it becomes a TrainConfig.
struct TrainArgs {
  TrainConfig config;
  double lr = 0, momentum = 0, weight_decay = 0, clip_grad_norm = 0;
  std::string betas, resume;
  bool detect_anomaly = false;  // not in config.json: it changes no result
};

// The options that decide the checkpoints' bytes, plus what predict and eval need to know.
json checkpoint_config(const TrainConfig& config, const RunData& data) {
  json j = training_options_json(config);
  j["task"] = task_text(data.task);
  j["class_names"] = data.class_names;
  return j;
}

// config.json: every option, the data and model facts, the environment and the times.
json full_config(const TrainedRun& run, int64_t parameters, const json& previous) {
  json j = training_options_json(run.config);
  j["threads"] = get_num_threads();
  j["out"] = run.config.out;
  j["name"] = run.config.name;
  j["run_dir"] = run.run_dir;
  j["nabla_version"] = NABLA_VERSION;
  j["task"] = task_text(run.data.task);
  j["class_names"] = run.data.class_names;
  j["input_shape"] = run.data.input_shape;
  j["num_outputs"] = run.data.num_outputs;
  j["examples"] = {{"train", run.data.train->size()},
                   {"val", run.data.val ? run.data.val->size() : 0},
                   {"test", run.data.test->size()}};
  j["parameters"] = parameters;
  j["optimizer_repr"] = run.optimizer;
  json env = json::object();
  for (const auto& [key, value] : environment()) env[key] = value;
  j["environment"] = env;
  j["start_time"] = run.start_time;
  j["end_time"] = run.end_time.empty() ? json(nullptr) : json(run.end_time);
  j["resumed"] = previous.contains("resumed") ? previous["resumed"] : json::array();
  return j;
}

// The run's options from the command line, or from RUN_DIR/config.json for --resume.
TrainedRun prepare(const TrainArgs& args, const CLI::App& app, json& previous) {
  TrainedRun run;
  if (!args.resume.empty()) {
    const std::set<std::string> allowed = {"--resume", "--epochs", "--threads", "--quiet", "--detect-anomaly"};
    for (const CLI::Option* option : app.get_options())
      NABLA_CHECK(option->count() == 0 || allowed.contains(option->get_name()), "--resume takes every option from ",
                  args.resume, "/config.json; only --epochs, --threads, --quiet and --detect-anomaly may be given with it, not ",
                  option->get_name());
    const std::string path = (fs::path(args.resume) / "config.json").string();
    NABLA_CHECK(fs::is_directory(args.resume), "--resume: '", args.resume, "' is not a run directory");
    previous = read_json_file(path);
    run.config = train_config_from_json(previous, path);
    if (app.count("--epochs")) run.config.epochs = args.config.epochs;
    if (app.count("--threads")) run.config.threads = args.config.threads;
    run.config.quiet = args.config.quiet;
    run.run_dir = args.resume;
    const std::string state = train::training_state_path(run.run_dir);
    NABLA_CHECK(fs::exists(state), "--resume: '", state, "' does not exist; the run saved no training state");
    run.start_time = previous.value("start_time", now_text());
    previous["resumed"].push_back({{"time", now_text()}, {"epochs", run.config.epochs}});
    return run;
  }
  run.config = args.config;
  TrainConfig& c = run.config;
  if (app.count("--lr")) c.lr = args.lr;
  if (app.count("--momentum")) c.momentum = args.momentum;
  if (app.count("--weight-decay")) c.weight_decay = args.weight_decay;
  if (app.count("--clip-grad-norm")) c.clip_grad_norm = args.clip_grad_norm;
  if (app.count("--betas")) c.betas = parse_betas(args.betas);
  if (c.data.name.empty() && !c.data.csv.empty()) c.data.name = "csv";
  NABLA_CHECK(!c.model.empty(), "--model is required (e.g. --model mlp:256,128; see docs/FORMATS.md)");
  NABLA_CHECK(!c.data.name.empty(), "--data is required (see `nabla datasets`)");
  NABLA_CHECK(!c.clip_grad_norm || *c.clip_grad_norm > 0, "--clip-grad-norm must be > 0, got ", *c.clip_grad_norm);
  NABLA_CHECK(c.label_smoothing >= 0.0 && c.label_smoothing <= 1.0, "--label-smoothing must be in [0, 1], got ",
              c.label_smoothing);
  NABLA_CHECK(c.early_stopping >= 0, "--early-stopping must be >= 0 epochs, got ", c.early_stopping);
  if (c.name.empty()) c.name = default_run_name(c.data.name, c.model);
  run.start_time = now_text();
  return run;
}

std::vector<std::shared_ptr<train::Callback>> make_callbacks(TrainedRun& run, optim::Optimizer& optimizer,
                                                             const std::string& monitor,
                                                             const io::ModelInfo& info) {
  const TrainConfig& c = run.config;
  std::vector<std::shared_ptr<train::Callback>> callbacks;
  train::ModelCheckpointOptions checkpoint{.dir = run.run_dir, .monitor = monitor};
  checkpoint.metadata = io::model_metadata(info);
  callbacks.push_back(std::make_shared<train::ModelCheckpoint>(checkpoint));
  for (auto& callback : make_schedule(c.schedule, optimizer, c.epochs, monitor)) callbacks.push_back(callback);
  if (c.early_stopping > 0)
    callbacks.push_back(std::make_shared<train::EarlyStopping>(
        train::EarlyStoppingOptions{.monitor = monitor, .patience = c.early_stopping}));
  callbacks.push_back(std::make_shared<HistoryCsvWriter>((fs::path(run.run_dir) / "history.csv").string()));
  if (!c.quiet) callbacks.push_back(std::make_shared<train::ProgressBar>(std::cout, train::stdout_is_terminal()));
  return callbacks;
}

int run_train(const TrainArgs& args, const CLI::App& app) {
  json previous = json::object();
  TrainedRun run = prepare(args, app, previous);
  TrainConfig& c = run.config;
  NABLA_CHECK(c.epochs >= 1, "--epochs must be >= 1, got ", c.epochs);
  apply_threads(c.threads);
  check_schedule(c.schedule);
  const Augment augment = parse_augment(c.augment);
  run.optimizer = describe_optimizer(c);  // checks the optimiser options before any data is loaded
  const std::string spec = io::resolve_spec(c.model);
  io::parse_spec(spec);
  if (args.resume.empty()) run.run_dir = prepare_run_dir(c.out, c.name, c.force);

  run.data = load_data(c.data, c.seed, c.val_split);
  NABLA_CHECK(!augment.any() || run.data.input_shape.size() == 3, "--augment ", c.augment,
              " needs image data (C, H, W) per example; ", c.data.name, " examples are ",
              shape_text(run.data.input_shape, false));
  const train::LossFn loss = loss_for(run.data.task, c.label_smoothing);  // refuses smoothing for regression
  Generator init(c.seed);
  manual_seed(c.seed);  // dropout masks
  run.built = io::build_sequential(spec, run.data.input_shape, run.data.num_outputs, &init);
  nn::Module& model = *run.built.model;
  auto optimizer = make_optimizer(c, model.parameters());
  const std::string monitor = run.data.val ? "val_loss" : "train_loss";
  const io::ModelInfo info{.spec = spec, .input_shape = run.data.input_shape, .num_outputs = run.data.num_outputs,
                           .config = checkpoint_config(c, run.data).dump()};
  auto callbacks = make_callbacks(run, *optimizer, monitor, info);
  write_json_file((fs::path(run.run_dir) / "config.json").string(), full_config(run, model.num_parameters(), previous));

  if (!c.quiet) {
    std::cout << "run " << run.run_dir << ": " << c.model << " on " << c.data.name << " ("
              << task_text(run.data.task) << "), " << grouped(model.num_parameters()) << " parameters\n"
              << "data: train " << run.data.train->size() << ", validation "
              << (run.data.val ? run.data.val->size() : 0) << ", test " << run.data.test->size() << "; input "
              << shape_text(run.data.input_shape, true) << "\n"
              << "optimizer: " << run.optimizer << (c.schedule == "none" ? "" : ", schedule " + c.schedule) << "\n";
    if (!args.resume.empty()) std::cout << "resuming " << run.run_dir << " up to epoch " << c.epochs << "\n";
    std::cout << std::flush;
  }
  data::DataLoader train_loader = make_loader(run.data.train, c.batch_size, true, c.seed, augment);
  std::optional<data::DataLoader> val_loader;
  if (run.data.val) val_loader.emplace(make_loader(run.data.val, 512, false, c.seed));
  train::FitOptions options{.epochs = c.epochs, .task = run.data.task, .callbacks = callbacks,
                            .clip_grad_norm = c.clip_grad_norm, .verbose = 0, .checkpoint_dir = run.run_dir};
  if (!args.resume.empty()) options.resume_from = train::training_state_path(run.run_dir);
  try {
    // Off unless asked for: it makes every op scan its result.
    std::optional<nabla::detect_anomaly> anomaly;
    if (args.detect_anomaly) anomaly.emplace();
    run.history = train::fit(model, loss, *optimizer, train_loader,
                             val_loader ? &*val_loader : nullptr, options);
  } catch (...) {
    if (!c.quiet && train::stdout_is_terminal()) std::cout << std::endl;  // end the progress bar's line
    throw;
  }
  run.end_time = now_text();
  write_json_file((fs::path(run.run_dir) / "config.json").string(), full_config(run, model.num_parameters(), previous));
  return finish_run(run);
}

}  // namespace

Command add_train(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("train", "Train a model on a data set; writes OUT/NAME/ with checkpoints, "
                                              "history, config.json and report.html");
  auto args = std::make_shared<TrainArgs>();
  TrainConfig& c = args->config;
  sub->add_option("--model", c.model, "model spec: logreg, mlp:256,128[:act=tanh][:dropout=0.2], lenet5[:act=tanh][:pool=avg], vgg_small, resnet_small, JSON or file.json (docs/FORMATS.md)");
  add_data_options(*sub, c.data);
  sub->add_option("--limit", c.data.limit, "train on the first N training examples only (quick runs)");
  sub->add_option("--epochs", c.epochs, "epochs to train (with --resume: the epoch to continue to)")
      ->capture_default_str();
  sub->add_option("--batch-size", c.batch_size, "examples per batch")->capture_default_str();
  sub->add_option("--optimizer", c.optimizer, "adam, adamw, sgd, rmsprop, adagrad, adadelta, rprop or asgd")
      ->capture_default_str();
  sub->add_option("--lr", args->lr, "learning rate (default: the optimiser's; sgd 0.01)");
  sub->add_option("--momentum", args->momentum, "momentum (sgd, rmsprop)");
  sub->add_flag("--nesterov", c.nesterov, "Nesterov momentum (sgd)");
  sub->add_option("--weight-decay", args->weight_decay, "weight decay (default: the optimiser's)");
  sub->add_option("--betas", args->betas, "Adam's b1,b2 (default 0.9,0.999)");
  sub->add_option("--schedule", c.schedule,
                  "learning-rate schedule, stepped per epoch: none, step:S:G, multistep:M1,M2:G, exp:G, "
                  "cosine[:T], plateau:P:F")
      ->capture_default_str();
  sub->add_option("--augment", c.augment,
                  "training-image augmentation: none, crop:P (pad P, random crop back), flip (random "
                  "left-right mirror) or crop:P,flip")
      ->capture_default_str();
  sub->add_option("--val-split", c.val_split, "share of the training set held out for validation (stratified)")
      ->capture_default_str();
  sub->add_option("--early-stopping", c.early_stopping, "stop after PATIENCE epochs without a better validation loss");
  sub->add_option("--clip-grad-norm", args->clip_grad_norm, "clip the gradients' total L2 norm to X");
  sub->add_option("--label-smoothing", c.label_smoothing,
                  "classification: train on targets (1 - S) one-hot + S / classes (the validation loss too; "
                  "test and eval report plain cross-entropy)")
      ->capture_default_str();
  sub->add_option("--seed", c.seed, "seed of the data, the weights, the shuffles and dropout")->capture_default_str();
  add_threads_option(*sub, c.threads);
  sub->add_option("--out", c.out, "directory of the runs")->capture_default_str();
  sub->add_option("--name", c.name, "run name (default: <data>-<model spec>)");
  sub->add_flag("--force", c.force, "overwrite an existing run directory");
  sub->add_option("--resume", args->resume, "continue the run in RUN_DIR (its config.json gives the options)");
  sub->add_flag("--quiet", c.quiet, "no progress output");
  sub->add_flag("--detect-anomaly", args->detect_anomaly,
                "stop at the first op whose forward or backward makes a NaN or an infinity, naming it and its "
                "input shapes (slower; results are unchanged)");
  return {sub, [args, sub] { return run_train(*args, *sub); }};
}

}  // namespace nabla::cli
