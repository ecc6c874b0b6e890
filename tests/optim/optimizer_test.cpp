// The optimiser base shared by every optimiser: parameter groups and their checks, zero_grad,
// learning rates, closures, skipped parameters, non-contiguous parameters, and state dicts
// that resume training bit-exactly (and refuse bad input, naming the key).
#include <nabla/optim/adadelta.hpp>
#include <nabla/optim/adagrad.hpp>
#include <nabla/optim/adam.hpp>
#include <nabla/optim/asgd.hpp>
#include <nabla/optim/rmsprop.hpp>
#include <nabla/optim/rprop.hpp>
#include <nabla/optim/sgd.hpp>

#include "trajectory.hpp"

namespace {

using namespace nabla;
using nabla::testing::expect_error;
using nabla::testing::problem_params;
using nabla::testing::set_problem_gradients;
using Make = std::function<std::unique_ptr<optim::Optimizer>(const std::vector<Tensor>&)>;

template <typename Opt, typename Options>
Make single(Options options) {
  return [options](const std::vector<Tensor>& params) { return std::make_unique<Opt>(params, options); };
}

template <typename Opt, typename Options>
Make grouped(Options first, Options second) {
  return [first, second](const std::vector<Tensor>& params) {
    return std::make_unique<Opt>(std::vector<optim::ParamGroup<Options>>{{{params[0]}, first}, {{params[1]}, second}});
  };
}

// Every optimiser with its stateful options on.
std::vector<std::pair<std::string, Make>> all_optimisers() {
  using namespace optim;
  return {
      {"SGD", single<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true})},
      {"SGD groups", grouped<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.5}, SGDOptions{.lr = 0.2})},
      {"Adam", single<Adam>(AdamOptions{.lr = 0.05, .amsgrad = true})},
      {"Adam groups", grouped<Adam>(AdamOptions{.lr = 0.05}, AdamOptions{.lr = 0.1, .amsgrad = true})},
      {"AdamW", single<AdamW>(AdamWOptions{.lr = 0.05, .amsgrad = true})},
      {"RMSprop", single<RMSprop>(RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true})},
      {"Adagrad", single<Adagrad>(AdagradOptions{.lr = 0.1, .lr_decay = 0.1, .initial_accumulator_value = 0.1})},
      {"Adadelta", single<Adadelta>(AdadeltaOptions{.lr = 0.5})},
      {"Rprop", single<Rprop>(RpropOptions{.lr = 0.1})},
      {"ASGD", single<ASGD>(ASGDOptions{.lr = 0.05, .t0 = 2})},
  };
}

// One step of the golden problem; b has no gradient on step 3 (so its state lags W's).
void train_step(optim::Optimizer& opt, const std::vector<Tensor>& params, int step) {
  set_problem_gradients(params[0], params[1], step == 3);
  opt.step();
}

std::vector<Tensor> copies(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  for (const Tensor& p : params) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

void expect_identical(const nn::StateDict& a, const nn::StateDict& b) {
  ASSERT_EQ(a.keys(), b.keys());
  for (const auto& [key, t] : a) {
    EXPECT_EQ(t.dtype(), b.at(key).dtype()) << key;
    EXPECT_EQ(t.to_vector<double>(), b.at(key).to_vector<double>()) << key;
  }
}

TEST(Optimizer, StateDictResumesTrainingBitExactly) {
  for (DType dtype : {float32, float64})
    for (const auto& [name, make] : all_optimisers()) {
      SCOPED_TRACE(name);
      // Ten straight steps, with the learning rates halved after step 5.
      std::vector<Tensor> straight = problem_params(dtype);
      auto a = make(straight);
      for (int s = 0; s < 10; ++s) {
        if (s == 5)
          for (size_t g = 0; g < a->num_groups(); ++g) a->set_lr(a->lr(g) / 2, g);
        train_step(*a, straight, s);
      }
      // Five steps, save, and a fresh optimiser (built with the original rates) on copies of
      // the parameters loads the dict and takes five more.
      std::vector<Tensor> first = problem_params(dtype);
      auto b = make(first);
      for (int s = 0; s < 5; ++s) train_step(*b, first, s);
      for (size_t g = 0; g < b->num_groups(); ++g) b->set_lr(b->lr(g) / 2, g);
      const nn::StateDict saved = b->state_dict();
      std::vector<Tensor> resumed = copies(first);
      auto c = make(resumed);
      c->load_state_dict(saved);
      for (int s = 5; s < 10; ++s) train_step(*c, resumed, s);
      for (size_t i = 0; i < 2; ++i) EXPECT_EQ(resumed[i].to_vector<double>(), straight[i].to_vector<double>());
      expect_identical(c->state_dict(), a->state_dict());
    }
}

TEST(Optimizer, UpdatesDoNotDependOnTheThreadCount) {
  // Large enough to be split into several chunks, with lengths that leave vector remainders.
  const int saved = get_num_threads();
  for (const auto& [name, make] : all_optimisers()) {
    SCOPED_TRACE(name);
    std::vector<std::vector<float>> results;
    for (int threads : {1, 3}) {
      set_num_threads(threads);
      Generator gen(7);
      std::vector<Tensor> params = {randn({301, 333}, gen).requires_grad_(), randn({1001}, gen).requires_grad_()};
      auto opt = make(params);
      for (int s = 0; s < 3; ++s) {
        for (Tensor& p : params) p.set_grad(randn(p.shape(), gen));
        opt->step();
      }
      results.push_back(params[0].to_vector<float>());
    }
    EXPECT_EQ(results[0], results[1]);
  }
  set_num_threads(saved);
}

TEST(Optimizer, StateDictIsASnapshotKeyedLikePyTorch) {
  std::vector<Tensor> params = problem_params(float32);
  optim::Adam adam(params, {.lr = 0.05, .betas = {0.8, 0.9}, .amsgrad = true});
  train_step(adam, params, 0);
  const nn::StateDict state = adam.state_dict();
  const std::vector<std::string> expected = {
      "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
      "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq",
      "param_groups.0.lr", "param_groups.0.betas", "param_groups.0.eps", "param_groups.0.weight_decay",
      "param_groups.0.amsgrad", "param_groups.0.maximize", "param_groups.0.params"};
  EXPECT_EQ(state.keys(), expected);
  EXPECT_EQ(state.at("param_groups.0.betas").to_vector<double>(), (std::vector<double>{0.8, 0.9}));
  EXPECT_EQ(state.at("param_groups.0.amsgrad").item(), 1.0);
  EXPECT_EQ(state.at("param_groups.0.lr").dtype(), float64);
  EXPECT_EQ(state.at("param_groups.0.lr").ndim(), 0);
  EXPECT_EQ(state.at("param_groups.0.params").to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  const std::vector<float> exp_avg = state.at("state.0.exp_avg").to_vector<float>();
  train_step(adam, params, 1);
  EXPECT_EQ(state.at("state.0.exp_avg").to_vector<float>(), exp_avg);  // later steps do not reach it
  EXPECT_EQ(state.at("state.0.step").item(), 1.0);
}

// A copy of `dict` with `key` replaced (or dropped when value is undefined) and `extra` added.
nn::StateDict edited(const nn::StateDict& dict, const std::string& key, const Tensor& value,
                     const std::string& extra = "") {
  nn::StateDict out;
  for (const auto& [k, t] : dict) {
    if (k != key) out.insert(k, t);
    else if (value.defined()) out.insert(k, value);
  }
  if (!extra.empty()) out.insert(extra, zeros({1}));
  return out;
}

TEST(Optimizer, LoadStateDictNamesEveryProblemAndChangesNothing) {
  std::vector<Tensor> params = problem_params(float32);
  optim::Adam adam(params, {.lr = 0.05, .amsgrad = true});
  train_step(adam, params, 0);
  const nn::StateDict good = adam.state_dict();
  auto load = [&](const nn::StateDict& dict) { return [&adam, dict] { adam.load_state_dict(dict); }; };

  expect_error(load(edited(good, "state.0.exp_avg", Tensor())), "missing key 'state.0.exp_avg'");
  expect_error(load(edited(good, "state.0.exp_avg", zeros({3}))),
               "'state.0.exp_avg': shape [3] does not match the expected [3, 4]");
  expect_error(load(edited(good, "", Tensor(), "state.1.momentum")), "unexpected key 'state.1.momentum'");
  expect_error(load(edited(good, "param_groups.0.lr", Tensor())), "missing key 'param_groups.0.lr'");
  expect_error(load(edited(good, "param_groups.0.amsgrad", scalar_tensor(0.5, float64))), "expected 0 or 1");
  expect_error(load(edited(good, "param_groups.0.betas", scalar_tensor(0.5, float64))), "expected shape [2]");
  expect_error(load(edited(good, "param_groups.0.lr", scalar_tensor(-1.0, float64))), "invalid learning rate -1");
  // The saved state was made with amsgrad: without it there is one tensor too many.
  expect_error(load(edited(good, "param_groups.0.amsgrad", scalar_tensor(0.0, float64))),
               "unexpected key 'state.0.max_exp_avg_sq'");
  expect_error(load(edited(good, "", Tensor(), "param_groups.1.params")), "more parameter groups");

  optim::Adam one_param({params[0]}, {});
  expect_error([&] { one_param.load_state_dict(good); }, "'param_groups.0.params' has shape [2] but group 0 has 1");

  expect_identical(adam.state_dict(), good);  // every failed load left it untouched
}

TEST(Optimizer, LoadingADictWithoutStateStartsAfresh) {
  std::vector<Tensor> params = problem_params(float64);
  optim::SGD fresh(params, {.lr = 0.1, .momentum = 0.9});
  const nn::StateDict empty_state = fresh.state_dict();
  train_step(fresh, params, 0);
  EXPECT_TRUE(fresh.state_dict().contains("state.0.momentum_buffer"));
  fresh.load_state_dict(empty_state);
  EXPECT_FALSE(fresh.state_dict().contains("state.0.momentum_buffer"));
}

TEST(Optimizer, ParamGroupsCarryTheirOwnOptions) {
  Tensor w = zeros({2}).requires_grad_(), b = zeros({1}).requires_grad_();
  optim::SGD sgd({{{w}, {.lr = 0.1}}, {{b}, {.lr = 0.01, .momentum = 0.9}}});
  EXPECT_EQ(sgd.num_groups(), 2u);
  EXPECT_EQ(sgd.lr(0), 0.1);
  EXPECT_EQ(sgd.lr(1), 0.01);
  EXPECT_EQ(sgd.options(1).momentum, 0.9);
  EXPECT_TRUE(sgd.params(1)[0].is_same(b));
  EXPECT_EQ(sgd.type_name(), "SGD");
  sgd.set_lr(0.5, 1);
  EXPECT_EQ(sgd.lr(0), 0.1);
  EXPECT_EQ(sgd.lr(1), 0.5);
  sgd.set_lr(0.25);
  EXPECT_EQ(sgd.lr(0), 0.25);
  EXPECT_EQ(sgd.lr(1), 0.25);
  w.set_grad(ones({2}));
  b.set_grad(ones({1}));
  sgd.step();
  EXPECT_EQ(w.to_vector<float>(), std::vector<float>(2, -0.25f));
  EXPECT_EQ(b.to_vector<float>(), std::vector<float>(1, -0.25f));
  expect_error([&] { sgd.set_lr(-1.0, 0); }, "invalid learning rate -1");
  expect_error([&] { (void)sgd.lr(2); }, "no parameter group 2");
  expect_error([&] { (void)sgd.params(5); }, "no parameter group 5");
}

TEST(Optimizer, RejectsBadParameterLists) {
  Tensor w = zeros({2}).requires_grad_(), b = zeros({3}).requires_grad_();
  expect_error([&] { optim::Adam({{{w, b}, {}}, {{b}, {}}}); }, "more than one parameter group");
  expect_error([&] { optim::Adam({w, w}); }, "appears more than once");
  expect_error([&] { optim::Adam(std::vector<Tensor>{}); }, "empty parameter list");
  expect_error([&] { optim::Adam({Tensor()}); }, "is undefined");
  expect_error([&] { optim::Adam({zeros({2}, DType::Int64)}); }, "only float32 and float64");
  const Tensor non_leaf = w * 2.0;
  expect_error([&] { optim::Adam({non_leaf}); }, "non-leaf");
}

TEST(Optimizer, ZeroGradClearsOrZeroes) {
  Tensor w = zeros({2}).requires_grad_(), b = zeros({3}).requires_grad_();
  optim::SGD sgd({w, b}, {.lr = 0.1});
  w.set_grad(ones({2}));
  sgd.zero_grad();
  EXPECT_FALSE(w.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  const Tensor g = ones({2});
  w.set_grad(g);
  sgd.zero_grad(/*set_to_none=*/false);
  ASSERT_TRUE(w.grad().defined());
  EXPECT_TRUE(w.grad().shares_storage(g));
  EXPECT_EQ(w.grad().to_vector<float>(), std::vector<float>(2, 0.0f));
}

TEST(Optimizer, SkipsParametersWithoutGradient) {
  std::vector<Tensor> params = problem_params(float64);
  const std::vector<double> b_before = params[1].to_vector<double>();
  optim::RMSprop rmsprop(params, {.momentum = 0.9});
  set_problem_gradients(params[0], params[1], /*skip_b=*/true);
  rmsprop.step();
  EXPECT_EQ(params[1].to_vector<double>(), b_before);
  const nn::StateDict state = rmsprop.state_dict();
  EXPECT_TRUE(state.contains("state.0.square_avg"));
  EXPECT_FALSE(state.contains("state.1.square_avg"));
}

TEST(Optimizer, StepRunsTheClosureWithGradModeOn) {
  Tensor w = zeros({1}).requires_grad_();
  optim::SGD sgd({w}, {.lr = 1});
  NoGradGuard outside;
  int calls = 0;
  const Tensor loss = sgd.step([&] {
    ++calls;
    EXPECT_TRUE(autograd::grad_mode_enabled());
    w.set_grad(full({1}, 2.0));
    return scalar_tensor(7.0);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loss.item(), 7.0);
  EXPECT_EQ(w.item(), -2.0);
  EXPECT_FALSE(autograd::grad_mode_enabled());
  EXPECT_FALSE(sgd.step().defined());
}

TEST(Optimizer, TrainsThroughAutograd) {
  // loss = sum((w - t)^2): gradient descent contracts w - t by (1 - 2 lr) per step.
  Tensor w = tensor(std::vector<double>{1, 2, 3}, {3}, float64).requires_grad_();
  const Tensor target = tensor(std::vector<double>{0.5, -1, 2}, {3}, float64);
  optim::SGD sgd({w}, {.lr = 0.1});
  for (int s = 0; s < 3; ++s) {
    sgd.zero_grad();
    const Tensor diff = w - target;
    (diff * diff).sum().backward();
    sgd.step();
  }
  const std::vector<double> got = w.to_vector<double>();
  const double start[] = {1, 2, 3}, t[] = {0.5, -1, 2};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], t[i] + (start[i] - t[i]) * std::pow(0.8, 3), 1e-14);
}

TEST(Optimizer, UpdatesNonContiguousParametersInPlace) {
  const Tensor data = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}, float64);
  const Tensor base = data.clone();
  Tensor strided = base.t().detach().requires_grad_();  // (3, 2), a view of base
  ASSERT_FALSE(strided.is_contiguous());
  Tensor dense = data.t().contiguous().detach().requires_grad_();
  const Tensor grad = tensor(std::vector<double>{0.1, -0.2, 0.3, -0.4, 0.5, -0.6}, {3, 2}, float64);
  optim::Adam a({strided}, {.lr = 0.1}), b({dense}, {.lr = 0.1});
  for (int s = 0; s < 3; ++s) {
    strided.set_grad(grad);
    dense.set_grad(grad);
    a.step();
    b.step();
  }
  EXPECT_EQ(strided.to_vector<double>(), dense.to_vector<double>());
  EXPECT_EQ(base.t().to_vector<double>(), dense.to_vector<double>());  // written through the view
}

TEST(Optimizer, StepBumpsTheParameterVersion) {
  Tensor w = zeros({2}).requires_grad_();
  optim::SGD sgd({w}, {.lr = 0.1});
  w.set_grad(ones({2}));
  const uint64_t before = w.impl()->storage->version;
  sgd.step();
  EXPECT_GT(w.impl()->storage->version, before);
}

}  // namespace
