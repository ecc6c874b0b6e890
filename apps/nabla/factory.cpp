// Optimisers and schedules from command-line options (see factory.hpp).
#include "factory.hpp"

#include "format.hpp"

#include <nabla/optim/adadelta.hpp>
#include <nabla/optim/adagrad.hpp>
#include <nabla/optim/adam.hpp>
#include <nabla/optim/asgd.hpp>
#include <nabla/optim/lr_scheduler.hpp>
#include <nabla/optim/rmsprop.hpp>
#include <nabla/optim/rprop.hpp>
#include <nabla/optim/sgd.hpp>

#include <sstream>

namespace nabla::cli {
namespace {

// Refuses an option the chosen optimiser does not have.
void refuse(bool given, const std::string& option, const TrainConfig& c, const char* applies_to) {
  NABLA_CHECK(!given, option, " does not apply to --optimizer ", c.optimizer, "; it applies to ", applies_to);
}

// Builds the options struct of config.optimizer from the config and calls make(type name, options).
template <typename Make>
auto with_options(const TrainConfig& c, Make&& make) {
  const std::string& name = c.optimizer;
  const bool nesterov_ok = name == "sgd", momentum_ok = name == "sgd" || name == "rmsprop";
  const bool betas_ok = name == "adam" || name == "adamw", decay_ok = name != "rprop";
  refuse(c.nesterov && !nesterov_ok, "--nesterov", c, "sgd");
  refuse(c.momentum && !momentum_ok, "--momentum", c, "sgd and rmsprop");
  refuse(c.betas && !betas_ok, "--betas", c, "adam and adamw");
  refuse(c.weight_decay && !decay_ok, "--weight-decay", c, "every optimiser but rprop");
  auto fill = [&](auto options) {
    if (c.lr) options.lr = *c.lr;
    if constexpr (requires { options.weight_decay; })
      if (c.weight_decay) options.weight_decay = *c.weight_decay;
    if constexpr (requires { options.momentum; })
      if (c.momentum) options.momentum = *c.momentum;
    if constexpr (requires { options.betas; })
      if (c.betas) options.betas = *c.betas;
    if constexpr (requires { options.nesterov; }) options.nesterov = c.nesterov;
    options.check();
    return options;
  };
  if (name == "sgd") {
    optim::SGDOptions o;
    o.lr = 0.01;  // PyTorch has no default; the CLI needs one
    return make("SGD", fill(o));
  }
  if (name == "adam") return make("Adam", fill(optim::AdamOptions{}));
  if (name == "adamw") return make("AdamW", fill(optim::AdamWOptions{}));
  if (name == "rmsprop") return make("RMSprop", fill(optim::RMSpropOptions{}));
  if (name == "adagrad") return make("Adagrad", fill(optim::AdagradOptions{}));
  if (name == "adadelta") return make("Adadelta", fill(optim::AdadeltaOptions{}));
  if (name == "rprop") return make("Rprop", fill(optim::RpropOptions{}));
  if (name == "asgd") return make("ASGD", fill(optim::ASGDOptions{}));
  NABLA_FAIL("unknown --optimizer '", name, "'; expected one of ", optimizer_names());
}

template <typename O>
std::unique_ptr<optim::Optimizer> construct(std::vector<Tensor> params, const O& options) {
  if constexpr (std::is_same_v<O, optim::SGDOptions>) return std::make_unique<optim::SGD>(std::move(params), options);
  if constexpr (std::is_same_v<O, optim::AdamOptions>) return std::make_unique<optim::Adam>(std::move(params), options);
  if constexpr (std::is_same_v<O, optim::AdamWOptions>)
    return std::make_unique<optim::AdamW>(std::move(params), options);
  if constexpr (std::is_same_v<O, optim::RMSpropOptions>)
    return std::make_unique<optim::RMSprop>(std::move(params), options);
  if constexpr (std::is_same_v<O, optim::AdagradOptions>)
    return std::make_unique<optim::Adagrad>(std::move(params), options);
  if constexpr (std::is_same_v<O, optim::AdadeltaOptions>)
    return std::make_unique<optim::Adadelta>(std::move(params), options);
  if constexpr (std::is_same_v<O, optim::RpropOptions>)
    return std::make_unique<optim::Rprop>(std::move(params), options);
  if constexpr (std::is_same_v<O, optim::ASGDOptions>)
    return std::make_unique<optim::ASGD>(std::move(params), options);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!text.empty() && text.back() == sep) parts.emplace_back();
  return parts;
}

double parse_number(const std::string& text, const std::string& schedule, const char* what) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  NABLA_CHECK(used > 0 && used == text.size(), "--schedule '", schedule, "': ", what, " must be a number, got '", text,
              "'");
  return value;
}

int64_t parse_int(const std::string& text, const std::string& schedule, const char* what) {
  const double value = parse_number(text, schedule, what);
  NABLA_CHECK(value == static_cast<double>(static_cast<int64_t>(value)) && value >= 1, "--schedule '", schedule, "': ",
              what, " must be a positive integer, got '", text, "'");
  return static_cast<int64_t>(value);
}

const char* const kScheduleForms = "none, step:S:G, multistep:M1,M2,...:G, exp:G, cosine[:T] or plateau:P:F";

// The parsed --schedule; kind "" for none. Sizes and numbers as the kind needs them.
struct ScheduleSpec {
  std::string kind;
  std::vector<int64_t> ints;
  double number = 0;
};

ScheduleSpec parse_schedule(const std::string& text) {
  const std::vector<std::string> parts = split(text, ':');
  const std::string kind = parts.empty() ? "" : parts[0];
  auto arity = [&](size_t lo, size_t hi) {
    NABLA_CHECK(parts.size() >= lo && parts.size() <= hi, "--schedule '", text, "': expected ", kScheduleForms);
  };
  if (text == "none" || text.empty()) return {};
  if (kind == "step") {
    arity(3, 3);
    return {kind, {parse_int(parts[1], text, "the step size S")}, parse_number(parts[2], text, "the factor G")};
  }
  if (kind == "multistep") {
    arity(3, 3);
    std::vector<int64_t> milestones;
    for (const std::string& m : split(parts[1], ',')) milestones.push_back(parse_int(m, text, "a milestone"));
    return {kind, milestones, parse_number(parts[2], text, "the factor G")};
  }
  if (kind == "exp") {
    arity(2, 2);
    return {kind, {}, parse_number(parts[1], text, "the factor G")};
  }
  if (kind == "cosine") {
    arity(1, 2);
    if (parts.size() == 2) return {kind, {parse_int(parts[1], text, "the period T")}, 0};
    return {kind, {}, 0};
  }
  if (kind == "plateau") {
    arity(3, 3);
    const double patience = parse_number(parts[1], text, "the patience P");
    NABLA_CHECK(patience >= 0 && patience == static_cast<double>(static_cast<int64_t>(patience)), "--schedule '", text,
                "': the patience P must be an integer >= 0, got '", parts[1], "'");
    return {kind, {static_cast<int64_t>(patience)}, parse_number(parts[2], text, "the factor F")};
  }
  NABLA_FAIL("unknown --schedule '", text, "'; expected ", kScheduleForms);
}

}  // namespace

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> names = {"adam", "adamw", "sgd", "rmsprop", "adagrad", "adadelta", "rprop",
                                                 "asgd"};
  return names;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& config, std::vector<Tensor> params) {
  return with_options(config, [&](const char*, const auto& options) { return construct(std::move(params), options); });
}

std::string describe_optimizer(const TrainConfig& config) {
  return with_options(config, [](const char* type, auto options) {
    std::string text = std::string(type) + "(";
    bool first = true;
    options.visit([&](const char* key, const auto& value) {
      using V = std::decay_t<decltype(value)>;
      std::string shown;
      if constexpr (std::is_same_v<V, bool>) shown = value ? "True" : "False";
      else if constexpr (std::is_same_v<V, double>) shown = number_text(value);
      else shown = "(" + number_text(value[0]) + ", " + number_text(value[1]) + ")";
      text += (first ? "" : ", ") + std::string(key) + "=" + shown;
      first = false;
    });
    return text + ")";
  });
}

void check_schedule(const std::string& schedule) { parse_schedule(schedule); }

std::vector<std::shared_ptr<train::Callback>> make_schedule(const std::string& schedule, optim::Optimizer& optimizer,
                                                            int64_t epochs, const std::string& monitor) {
  const ScheduleSpec s = parse_schedule(schedule);
  std::shared_ptr<optim::LRScheduler> scheduler;
  if (s.kind.empty()) return {};
  if (s.kind == "step") scheduler = std::make_shared<optim::StepLR>(optimizer, s.ints[0], s.number);
  else if (s.kind == "multistep") scheduler = std::make_shared<optim::MultiStepLR>(optimizer, s.ints, s.number);
  else if (s.kind == "exp") scheduler = std::make_shared<optim::ExponentialLR>(optimizer, s.number);
  else if (s.kind == "cosine")
    scheduler = std::make_shared<optim::CosineAnnealingLR>(optimizer, s.ints.empty() ? std::max<int64_t>(epochs, 1)
                                                                                      : s.ints[0]);
  if (scheduler) return {std::make_shared<train::LRSchedulerCallback>(scheduler)};
  optim::ReduceLROnPlateauOptions options;
  options.patience = s.ints[0];
  options.factor = s.number;
  options.mode = train::monitor_maximizes("--schedule plateau", monitor, "auto") ? "max" : "min";
  return {std::make_shared<train::ReduceLROnPlateau>(optimizer, options, monitor)};
}

}  // namespace nabla::cli
