// Learning-rate schedules against sequences recorded from PyTorch 1.13
// (scripts/golden/optim_lbfgs_schedules.py), state-dict round trips and option validation.
#include <nabla/optim/lr_scheduler.hpp>

#include "../support/golden.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <numbers>

namespace nabla::optim {
namespace {

using ::testing::HasSubstr;

// An optimiser with only learning rates: schedules touch nothing else.
class RatesOnly : public Optimizer {
public:
  explicit RatesOnly(std::vector<double> lrs) : lrs_(std::move(lrs)) {
    for (size_t g = 0; g < lrs_.size(); ++g) groups_params_.push_back({zeros({2}, float64)});
  }
  Tensor step(const Closure&) override { return Tensor(); }
  std::string type_name() const override { return "RatesOnly"; }
  using Optimizer::set_lr;
  double lr(size_t group) const override { return lrs_.at(group); }
  void set_lr(double lr, size_t group) override { lrs_.at(group) = lr; }
  nn::StateDict state_dict() const override { return {}; }
  void load_state_dict(const nn::StateDict&) override {}
  const std::vector<double>& lrs() const { return lrs_; }
  void set_lrs(std::vector<double> lrs) { lrs_ = std::move(lrs); }

private:
  std::vector<double> lrs_;
};

const nlohmann::json& data() {
  static const nlohmann::json j = nabla::testing::golden("optim_lbfgs_schedules");
  return j;
}

std::vector<double> base_lrs() { return data().at("base_lrs").get<std::vector<double>>(); }

// Builds the schedule named by PyTorch's class name with PyTorch's keyword arguments.
std::unique_ptr<LRScheduler> make(Optimizer& opt, const std::string& kind, const nlohmann::json& args) {
  if (kind == "StepLR")
    return std::make_unique<StepLR>(opt, args.at("step_size").get<int64_t>(), args.value("gamma", 0.1));
  if (kind == "MultiStepLR") {
    const auto milestones = args.at("milestones").get<std::vector<int64_t>>();
    return std::make_unique<MultiStepLR>(opt, milestones, args.value("gamma", 0.1));
  }
  if (kind == "ExponentialLR") return std::make_unique<ExponentialLR>(opt, args.at("gamma").get<double>());
  if (kind == "CosineAnnealingLR")
    return std::make_unique<CosineAnnealingLR>(opt, args.at("T_max").get<int64_t>(), args.value("eta_min", 0.0));
  if (kind == "LinearLR")
    return std::make_unique<LinearLR>(opt, args.value("start_factor", 1.0 / 3), args.value("end_factor", 1.0),
                                      args.value("total_iters", int64_t{5}));
  ADD_FAILURE() << "unknown schedule " << kind;
  return nullptr;
}

// Same value to within a couple of ulps (the ports keep PyTorch's order of operations).
void expect_rates(const std::vector<double>& got, const std::vector<double>& want, const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (size_t g = 0; g < got.size(); ++g)
    EXPECT_NEAR(got[g], want[g], 1e-14 * std::abs(want[g]) + 1e-300) << where << ", group " << g;
}

TEST(LRScheduler, SequencesMatchPyTorch) {
  for (const auto& c : data().at("schedules")) {
    const std::string name = c.at("name");
    RatesOnly opt(base_lrs());
    std::vector<std::unique_ptr<LRScheduler>> schedules;
    schedules.push_back(make(opt, c.at("kind"), c.at("args")));
    if (c.contains("chain")) schedules.push_back(make(opt, c.at("chain").at("kind"), c.at("chain").at("args")));
    const auto want = c.at("lrs").get<std::vector<std::vector<double>>>();
    expect_rates(opt.lrs(), want[0], name + " after construction");
    for (size_t k = 1; k < want.size(); ++k) {
      for (auto& s : schedules) s->step();
      expect_rates(opt.lrs(), want[k], name + " step " + std::to_string(k));
      expect_rates(schedules.back()->get_last_lr(), want[k], name + " get_last_lr at step " + std::to_string(k));
      EXPECT_EQ(schedules.front()->last_epoch(), static_cast<int64_t>(k));
    }
  }
}

TEST(LRScheduler, ClosedFormsMatchPyTorch) {
  for (const auto& c : data().at("closed_form")) {
    RatesOnly opt(base_lrs());
    auto schedule = make(opt, c.at("kind"), c.at("args"));
    const auto epochs = c.at("epochs").get<std::vector<int64_t>>();
    const auto want = c.at("lrs").get<std::vector<std::vector<double>>>();
    for (size_t k = 0; k < epochs.size(); ++k) {
      schedule->step(epochs[k]);
      EXPECT_EQ(schedule->last_epoch(), epochs[k]);
      expect_rates(opt.lrs(), want[k], c.at("name").get<std::string>() + " epoch " + std::to_string(epochs[k]));
    }
  }
}

TEST(LRScheduler, CosineRecursionFollowsClosedFormOverTwoPeriods) {
  RatesOnly opt({0.1, 0.05});
  CosineAnnealingLR cosine(opt, 6, 0.002);
  for (int e = 1; e <= 24; ++e) {
    cosine.step();
    for (size_t g = 0; g < 2; ++g) {
      const double base = g == 0 ? 0.1 : 0.05;
      const double closed = 0.002 + (base - 0.002) * (1 + std::cos(std::numbers::pi * e / 6)) / 2;
      EXPECT_NEAR(opt.lr(g), closed, 1e-12) << "epoch " << e;
    }
  }
}

TEST(LRScheduler, BaseLrsAreTheRatesAtConstruction) {
  RatesOnly opt({0.4, 0.2});
  LinearLR warmup(opt, 0.5, 1.0, 4);
  EXPECT_EQ(warmup.base_lrs(), (std::vector<double>{0.4, 0.2}));
  EXPECT_EQ(warmup.last_epoch(), 0);
  expect_rates(warmup.get_last_lr(), {0.2, 0.1}, "warm-up starts at start_factor * lr");
}

// Runs `first` for 9 steps, saves, and checks that a fresh schedule of another configuration
// loaded from the save follows the uninterrupted one exactly.
void check_round_trip(const std::function<std::unique_ptr<LRScheduler>(Optimizer&)>& first,
                      const std::function<std::unique_ptr<LRScheduler>(Optimizer&)>& other) {
  RatesOnly opt(base_lrs());
  auto schedule = first(opt);
  for (int k = 0; k < 9; ++k) schedule->step();
  const nn::StateDict saved = schedule->state_dict();
  EXPECT_TRUE(saved.contains("base_lrs") && saved.contains("last_epoch") && saved.contains("_last_lr"));

  RatesOnly resumed_opt({0.7, 0.9});
  auto resumed = other(resumed_opt);
  resumed->load_state_dict(saved);
  resumed_opt.set_lrs(opt.lrs());  // what the optimiser's own load_state_dict restores
  EXPECT_EQ(resumed->last_epoch(), 9);
  EXPECT_EQ(resumed->base_lrs(), schedule->base_lrs());
  for (int k = 0; k < 25; ++k) {
    schedule->step();
    resumed->step();
    ASSERT_EQ(resumed_opt.lrs(), opt.lrs()) << schedule->type_name() << " step " << k;
  }
}

TEST(LRScheduler, StateDictRoundTrips) {
  check_round_trip([](Optimizer& o) { return std::make_unique<StepLR>(o, 4, 0.5); },
                   [](Optimizer& o) { return std::make_unique<StepLR>(o, 2, 0.9); });
  check_round_trip([](Optimizer& o) { return std::make_unique<MultiStepLR>(o, std::vector<int64_t>{3, 12, 12}, 0.5); },
                   [](Optimizer& o) { return std::make_unique<MultiStepLR>(o, std::vector<int64_t>{1}, 0.1); });
  check_round_trip([](Optimizer& o) { return std::make_unique<ExponentialLR>(o, 0.9); },
                   [](Optimizer& o) { return std::make_unique<ExponentialLR>(o, 0.5); });
  check_round_trip([](Optimizer& o) { return std::make_unique<CosineAnnealingLR>(o, 7, 0.01); },
                   [](Optimizer& o) { return std::make_unique<CosineAnnealingLR>(o, 3); });
  check_round_trip([](Optimizer& o) { return std::make_unique<LinearLR>(o, 0.25, 0.75, 12); },
                   [](Optimizer& o) { return std::make_unique<LinearLR>(o); });
}

TEST(LRScheduler, LoadStateDictRejectsBadStates) {
  RatesOnly opt(base_lrs());
  StepLR step(opt, 3);
  nn::StateDict saved = step.state_dict();

  RatesOnly three({0.1, 0.1, 0.1});
  StepLR other(three, 3);
  try {
    other.load_state_dict(saved);
    FAIL() << "expected nabla::Error";
  } catch (const nabla::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("base_lrs"));
    EXPECT_THAT(e.what(), HasSubstr("[3]"));
  }
  nn::StateDict partial;
  for (const auto& [key, value] : saved)
    if (key != "gamma") partial.insert(key, value);
  EXPECT_THROW(step.load_state_dict(partial), nabla::Error);
  EXPECT_EQ(step.last_epoch(), 0);  // a failed load changes nothing
}

template <typename F>
void expect_error(F make, const std::string& fragment) {
  try {
    make();
    ADD_FAILURE() << "expected nabla::Error mentioning " << fragment;
  } catch (const nabla::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(fragment));
  }
}

TEST(LRScheduler, ValidatesOptions) {
  RatesOnly opt({0.1});
  expect_error([&] { StepLR s(opt, 0); }, "step_size must be >= 1, got 0");
  expect_error([&] { StepLR s(opt, 3, 0.0); }, "gamma must be > 0, got 0");
  expect_error([&] { MultiStepLR s(opt, {2, -1}); }, "milestones must be >= 0, got [2, -1]");
  expect_error([&] { MultiStepLR s(opt, {2}, -0.5); }, "gamma must be > 0, got -0.5");
  expect_error([&] { ExponentialLR s(opt, -2.0); }, "gamma must be > 0, got -2");
  expect_error([&] { CosineAnnealingLR s(opt, 0); }, "T_max must be >= 1, got 0");
  expect_error([&] { CosineAnnealingLR s(opt, 5, -1.0); }, "eta_min must be >= 0, got -1");
  expect_error([&] { LinearLR s(opt, 0.0); }, "start_factor must be in (0, 1], got 0");
  expect_error([&] { LinearLR s(opt, 1.5); }, "start_factor must be in (0, 1], got 1.5");
  expect_error([&] { LinearLR s(opt, 0.5, 2.0); }, "end_factor must be in [0, 1], got 2");
  expect_error([&] { LinearLR s(opt, 0.5, 1.0, 0); }, "total_iters must be >= 1, got 0");
  StepLR ok(opt, 2);
  expect_error([&] { ok.step(-3); }, "epoch must be >= 0, got -3");
  EXPECT_EQ(opt.lr(0), 0.1);  // failed constructions did not touch the rate
}

// ---- ReduceLROnPlateau --------------------------------------------------------------------

ReduceLROnPlateauOptions plateau_options(const nlohmann::json& args) {
  ReduceLROnPlateauOptions o;
  o.mode = args.value("mode", std::string("min"));
  o.factor = args.value("factor", 0.1);
  o.patience = args.value("patience", int64_t{10});
  o.threshold = args.value("threshold", 1e-4);
  o.threshold_mode = args.value("threshold_mode", std::string("rel"));
  o.cooldown = args.value("cooldown", int64_t{0});
  o.eps = args.value("eps", 1e-8);
  if (args.contains("min_lr")) {
    if (args.at("min_lr").is_array())
      o.min_lrs = args.at("min_lr").get<std::vector<double>>();
    else
      o.min_lr = args.at("min_lr").get<double>();
  }
  return o;
}

TEST(ReduceLROnPlateau, MatchesPyTorch) {
  for (const auto& c : data().at("plateau")) {
    const std::string name = c.at("name");
    RatesOnly opt(base_lrs());
    ReduceLROnPlateau plateau(opt, plateau_options(c.at("args")));
    const auto metrics = c.at("metrics").get<std::vector<double>>();
    const auto want = c.at("lrs").get<std::vector<std::vector<double>>>();
    for (size_t k = 0; k < metrics.size(); ++k) {
      plateau.step(metrics[k]);
      const std::string where = name + " step " + std::to_string(k);
      expect_rates(opt.lrs(), want[k], where);
      expect_rates(plateau.get_last_lr(), want[k], where);
      EXPECT_EQ(plateau.num_bad_epochs(), c.at("num_bad_epochs")[k].get<int64_t>()) << where;
      EXPECT_EQ(plateau.cooldown_counter(), c.at("cooldown_counter")[k].get<int64_t>()) << where;
      EXPECT_EQ(plateau.best(), c.at("best")[k].get<double>()) << where;
      EXPECT_EQ(plateau.last_epoch(), static_cast<int64_t>(k + 1));
    }
  }
}

TEST(ReduceLROnPlateau, BestStartsAtTheWorstValue) {
  RatesOnly opt({0.1});
  EXPECT_EQ(ReduceLROnPlateau(opt).best(), INFINITY);
  EXPECT_EQ(ReduceLROnPlateau(opt, {.mode = "max"}).best(), -INFINITY);
}

TEST(ReduceLROnPlateau, StateDictRoundTrips) {
  const auto& c = data().at("plateau")[1];  // abs threshold with cooldown: every counter matters
  const auto metrics = c.at("metrics").get<std::vector<double>>();
  RatesOnly opt(base_lrs());
  ReduceLROnPlateau plateau(opt, plateau_options(c.at("args")));
  for (size_t k = 0; k < 9; ++k) plateau.step(metrics[k]);
  const nn::StateDict saved = plateau.state_dict();

  RatesOnly resumed_opt(base_lrs());
  ReduceLROnPlateau resumed(resumed_opt, {.mode = "max", .factor = 0.9, .threshold_mode = "rel", .min_lrs = {1, 1}});
  resumed.load_state_dict(saved);
  resumed_opt.set_lrs(opt.lrs());
  EXPECT_EQ(resumed.options().mode, "min");
  EXPECT_EQ(resumed.options().threshold_mode, "abs");
  EXPECT_EQ(resumed.options().min_lrs, plateau.options().min_lrs);
  for (size_t k = 9; k < metrics.size(); ++k) {
    plateau.step(metrics[k]);
    resumed.step(metrics[k]);
    ASSERT_EQ(resumed_opt.lrs(), opt.lrs()) << "step " << k;
    ASSERT_EQ(resumed.num_bad_epochs(), plateau.num_bad_epochs());
    ASSERT_EQ(resumed.cooldown_counter(), plateau.cooldown_counter());
  }
}

TEST(ReduceLROnPlateau, ValidatesOptions) {
  RatesOnly opt({0.1, 0.2});
  expect_error([&] { ReduceLROnPlateau p(opt, {.factor = 1.0}); }, "factor must be in [0, 1), got 1");
  expect_error([&] { ReduceLROnPlateau p(opt, {.mode = "avg"}); }, "mode must be \"min\" or \"max\", got \"avg\"");
  expect_error([&] { ReduceLROnPlateau p(opt, {.threshold_mode = "pct"}); }, "got \"pct\"");
  expect_error([&] { ReduceLROnPlateau p(opt, {.patience = -1}); }, "patience must be >= 0, got -1");
  expect_error([&] { ReduceLROnPlateau p(opt, {.cooldown = -2}); }, "cooldown must be >= 0, got -2");
  expect_error([&] { ReduceLROnPlateau p(opt, {.min_lrs = {0.1}}); }, "expected 2 min_lrs (one per group), got 1");
  expect_error([&] { ReduceLROnPlateau p(opt, {.min_lr = -1}); }, "min_lr must be >= 0, got -1");
}

}  // namespace
}  // namespace nabla::optim
