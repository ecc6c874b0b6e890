// Losses against PyTorch: forward values and input/target gradients for every option combination
// in tests/golden/nn_losses.json (scripts/golden/nn_losses.py), in float64 and float32; numeric
// stability at extreme logits; the fused cross-entropy graph; the loss modules;
// and the error messages. Gradchecks are in loss_gradcheck_test.cpp.
#include <nabla/nn/loss.hpp>

#include <gtest/gtest.h>

#include "../support/golden.hpp"
#include "../support/message_of.hpp"

#include <cmath>
#include <functional>
#include <set>

using nabla::testing::message_of;

using namespace nabla;
namespace F = nabla::nn::functional;
using nabla::nn::Reduction;
using nlohmann::json;
namespace golden = nabla::testing;

namespace {

Reduction parse_reduction(const std::string& name) {
  if (name == "mean") return Reduction::Mean;
  if (name == "sum") return Reduction::Sum;
  if (name == "none") return Reduction::None;
  if (name == "batchmean") return Reduction::BatchMean;
  NABLA_FAIL("unknown reduction ", name);
}

Tensor optional_tensor(const json& c, const char* key, DType dtype) {
  return c.contains(key) ? golden::golden_tensor(c.at(key)).to(dtype) : Tensor();
}

// The nabla call matching a golden case's "fn" and options.
Tensor call_loss(const json& c, const Tensor& x, const Tensor& t, const Tensor& w, const Tensor& pw) {
  const std::string fn = c.at("fn");
  const json& o = c.at("options");
  const Reduction r = parse_reduction(c.at("reduction"));
  if (fn == "mse_loss") return F::mse_loss(x, t, r);
  if (fn == "l1_loss") return F::l1_loss(x, t, r);
  if (fn == "binary_cross_entropy") return F::binary_cross_entropy(x, t, w, r);
  if (fn == "binary_cross_entropy_with_logits") return F::binary_cross_entropy_with_logits(x, t, w, pw, r);
  if (fn == "cross_entropy")
    return F::cross_entropy(x, t,
                            {.weight = w,
                             .ignore_index = o.at("ignore_index").get<int64_t>(),
                             .reduction = r,
                             .label_smoothing = o.at("label_smoothing").get<double>()});
  if (fn == "nll_loss") return F::nll_loss(x, t, w, o.at("ignore_index").get<int64_t>(), r);
  if (fn == "hinge_loss") return F::hinge_loss(x, t, r);
  if (fn == "multi_margin_loss")
    return F::multi_margin_loss(x, t, o.at("p").get<int64_t>(), o.at("margin").get<double>(), w, r);
  if (fn == "kl_div") return F::kl_div(x, t, r, o.value("log_target", false));
  NABLA_FAIL("unknown loss ", fn);
}

// Runs one golden case in `dtype` and compares the output and gradients (relative error, with
// values below `floor` compared absolutely).
void check_case(const json& c, DType dtype, double tol, double floor) {
  const std::string name = c.at("name");
  SCOPED_TRACE(name + " in " + std::string(dtype_name(dtype)));
  Tensor x = golden::golden_tensor(c.at("input")).to(dtype).requires_grad_();
  const bool index_target = c.at("index_target");
  Tensor t = golden::golden_tensor(c.at("target")).to(index_target ? DType::Int64 : dtype);
  const bool want_target_grad = c.contains("grad_target");
  if (want_target_grad) t.requires_grad_();
  Tensor out = call_loss(c, x, t, optional_tensor(c, "weight", dtype), optional_tensor(c, "pos_weight", dtype));
  EXPECT_EQ(out.dtype(), dtype);
  EXPECT_LE(golden::max_relative_error(out, golden::golden_tensor(c.at("output")), floor), tol);
  out.backward(golden::golden_tensor(c.at("grad_output")).to(dtype));
  ASSERT_TRUE(x.grad().defined());
  EXPECT_LE(golden::max_relative_error(x.grad(), golden::golden_tensor(c.at("grad_input")), floor), tol);
  if (want_target_grad) {
    ASSERT_TRUE(t.grad().defined());
    EXPECT_LE(golden::max_relative_error(t.grad(), golden::golden_tensor(c.at("grad_target")), floor), tol);
  }
}

const json& cases() {
  static const json j = golden::golden("nn_losses");
  return j.at("cases");
}

std::vector<double> values(const Tensor& t) { return t.to(float64).to_vector<double>(); }

}  // namespace

TEST(LossGolden, EveryCaseMatchesPyTorchInFloat64) {
  ASSERT_GE(cases().size(), 100u);
  for (const json& c : cases()) check_case(c, float64, 1e-10, 1e-9);
}

TEST(LossGolden, EveryCaseMatchesPyTorchInFloat32) {
  for (const json& c : cases()) check_case(c, float32, 2e-5, 1e-3);
}

TEST(LossGolden, CoversEveryLossAndOption) {
  std::set<std::string> fns, names;
  for (const json& c : cases()) {
    fns.insert(c.at("fn").get<std::string>());
    names.insert(c.at("name").get<std::string>());
  }
  EXPECT_EQ(fns.size(), 9u);
  for (const char* n : {"ce_smooth_weight_ignore_mean", "ce_nd_weight_smooth_none", "ce_prob_smooth_weight_mean",
                        "bce_logits_weights_none", "kl_log_target_batchmean", "multi_margin_weight_sum", "hinge_none",
                        "nll_nd_weight_mean", "ce_unbatched", "ce_large", "bce_edges"})
    EXPECT_TRUE(names.count(n)) << n;
}

// ---- numeric stability ----------------------------------------------------------------------

TEST(LossStability, CrossEntropyWithHugeLogitsIsExact) {
  for (DType dtype : {float64, float32}) {
    Tensor x = tensor(std::vector<double>{1e4, 0, -1e4, 1e4, 0, -1e4, 1e4, 0, -1e4}, {3, 3}).to(dtype);
    x.requires_grad_();
    Tensor y = tensor(std::vector<int64_t>{0, 1, 2}, {3});
    Tensor loss = F::cross_entropy(x, y, {.reduction = Reduction::None});
    EXPECT_EQ(values(loss), (std::vector<double>{0.0, 1e4, 2e4}));
    F::cross_entropy(x, y, {.reduction = Reduction::Sum}).backward();
    // softmax is exactly (1, 0, 0) in every row; minus the one-hot target.
    EXPECT_EQ(values(x.grad()), (std::vector<double>{0, 0, 0, 1, -1, 0, 1, 0, -1}));
  }
}

TEST(LossStability, CrossEntropyWithSmoothingAndHugeLogitsIsFinite) {
  Tensor x = tensor(std::vector<double>{1e4, 0, -1e4}, {1, 3}).requires_grad_();
  Tensor loss = F::cross_entropy(x, tensor(std::vector<int64_t>{0}, {1}), {.label_smoothing = 0.3});
  // (1 - s) * 0 + s/3 * (0 + 1e4 + 2e4)
  EXPECT_NEAR(loss.item(), 0.1 * 3e4, 1e-9);
  loss.backward();
  for (double g : values(x.grad())) EXPECT_TRUE(std::isfinite(g));
}

TEST(LossStability, BceWithLogitsAtPlusMinusHundred) {
  for (DType dtype : {float64, float32}) {
    Tensor x = tensor(std::vector<double>{100, -100, 100, -100}, {4}).to(dtype).requires_grad_();
    Tensor t = tensor(std::vector<double>{1, 0, 0, 1}, {4}).to(dtype);
    Tensor loss = F::binary_cross_entropy_with_logits(x, t, {}, {}, Reduction::None);
    const std::vector<double> v = values(loss);
    EXPECT_NEAR(v[0], 0.0, 1e-30);
    EXPECT_NEAR(v[1], 0.0, 1e-30);
    EXPECT_NEAR(v[2], 100.0, 1e-4);
    EXPECT_NEAR(v[3], 100.0, 1e-4);
    loss.sum().backward();
    const std::vector<double> g = values(x.grad());  // sigmoid(x) - t
    EXPECT_NEAR(g[0], 0.0, 1e-30);
    EXPECT_NEAR(g[1], 0.0, 1e-30);
    EXPECT_NEAR(g[2], 1.0, 1e-7);
    EXPECT_NEAR(g[3], -1.0, 1e-7);
  }
}

TEST(LossStability, BinaryCrossEntropyClampsLogsAtMinusHundred) {
  Tensor loss = F::binary_cross_entropy(tensor({0.0f, 1.0f}), tensor({1.0f, 0.0f}), {}, Reduction::None);
  EXPECT_EQ(values(loss), (std::vector<double>{100.0, 100.0}));
}

// ---- the fused cross-entropy ------------------------------------------------------------------

TEST(LossFused, CrossEntropyIsOneRecordedOp) {
  Tensor x = randn({4, 5}).requires_grad_();
  Tensor y = tensor(std::vector<int64_t>{0, 1, 2, 3}, {4});
  for (double s : {0.0, 0.1}) {
    Tensor loss = F::cross_entropy(x, y, {.label_smoothing = s});
    ASSERT_NE(loss.grad_fn(), nullptr);
    EXPECT_EQ(loss.grad_fn()->name, "CrossEntropyBackward");
    ASSERT_EQ(loss.grad_fn()->next.size(), 1u);
    EXPECT_EQ(loss.grad_fn()->next[0]->name, "AccumulateGrad");  // straight into the logits
  }
  EXPECT_EQ(F::nll_loss(x, y).grad_fn()->name, "NllLossBackward");
}

TEST(LossFused, CrossEntropyMatchesLogSoftmaxThenNll) {
  manual_seed(3);
  Tensor x = randn({6, 7}, float64);
  Tensor y = randint(0, 7, {6});
  Tensor w = rand({7}, float64);
  const double fused = F::cross_entropy(x, y, {.weight = w}).item();
  const double composed = F::nll_loss(x.log_softmax(1), y, w).item();
  EXPECT_NEAR(fused, composed, 1e-12);
}

TEST(LossFused, NonContiguousLogits) {
  manual_seed(4);
  Tensor base = randn({5, 3}, float64).requires_grad_();
  Tensor x = base.t();  // (3, 5), non-contiguous
  Tensor y = tensor(std::vector<int64_t>{4, 0, 2}, {3});
  Tensor loss = F::cross_entropy(x, y, {.reduction = Reduction::Sum});
  EXPECT_NEAR(loss.item(), F::nll_loss(x.contiguous().log_softmax(1), y, {}, -100, Reduction::Sum).item(), 1e-12);
  loss.backward();
  Tensor expected = (x.detach().softmax(1) - one_hot(y, 5, float64)).t();
  EXPECT_LE(golden::max_relative_error(base.grad(), expected), 1e-12);
}

TEST(LossFused, ResultsDoNotDependOnThreadCount) {
  manual_seed(6);
  Tensor x = randn({96, 700});  // several parallel chunks
  Tensor y = randint(0, 700, {96});
  Tensor w = rand({700}) + 0.5;
  auto run = [&](int threads) {
    set_num_threads(threads);
    Tensor xs = x.clone().requires_grad_();
    Tensor loss = F::cross_entropy(xs, y, {.weight = w, .label_smoothing = 0.1});
    loss.backward();
    return std::make_pair(loss.item(), xs.grad().to_vector<float>());
  };
  const int previous = get_num_threads();
  const auto one = run(1);
  const auto four = run(4);
  set_num_threads(previous);
  EXPECT_EQ(one.first, four.first);
  EXPECT_EQ(one.second, four.second);
}

TEST(LossFused, EmptyBatchMeanIsNaNAndSumIsZero) {
  Tensor x = zeros({0, 3}, float64);
  Tensor y = zeros({0}, int64);
  EXPECT_TRUE(std::isnan(F::cross_entropy(x, y).item()));
  EXPECT_EQ(F::cross_entropy(x, y, {.reduction = Reduction::Sum}).item(), 0.0);
  EXPECT_EQ(F::cross_entropy(x, y, {.reduction = Reduction::None}).shape(), (Shape{0}));
  EXPECT_TRUE(std::isnan(F::mse_loss(zeros({0}), zeros({0})).item()));
}

TEST(LossFused, AllTargetsIgnoredGivesNaNMeanAndZeroGradient) {
  Tensor x = randn({2, 3}, float64).requires_grad_();
  Tensor y = tensor(std::vector<int64_t>{-100, -100}, {2});
  Tensor loss = F::cross_entropy(x, y);
  EXPECT_TRUE(std::isnan(loss.item()));  // 0 / 0, as PyTorch
  loss.backward();
  EXPECT_EQ(values(x.grad()), std::vector<double>(6, 0.0));
}

// ---- modules ------------------------------------------------------------------------------

TEST(LossModules, ForwardMatchesFunctional) {
  manual_seed(5);
  Tensor x = randn({4, 3}, float64);
  Tensor y = randn({4, 3}, float64);
  Tensor p = rand({4, 3}, float64) * 0.8 + 0.1;
  Tensor t = rand({4, 3}, float64);
  Tensor c = tensor(std::vector<int64_t>{0, 2, 1, 2}, {4});
  Tensor s = tensor(std::vector<double>{1, -1, 1, -1, 1, -1, 1, 1, -1, 1, 1, 1}, {4, 3});
  Tensor w = rand({3}, float64) + 0.5;
  EXPECT_EQ(nn::MSELoss(Reduction::Sum)(x, y).item(), F::mse_loss(x, y, Reduction::Sum).item());
  EXPECT_EQ(nn::L1Loss()(x, y).item(), F::l1_loss(x, y).item());
  EXPECT_EQ(nn::BCELoss({.weight = w})(p, t).item(), F::binary_cross_entropy(p, t, w).item());
  EXPECT_EQ(nn::BCEWithLogitsLoss({.weight = w, .pos_weight = w * 2.0})(x, t).item(),
            F::binary_cross_entropy_with_logits(x, t, w, w * 2.0).item());
  EXPECT_EQ(nn::CrossEntropyLoss({.weight = w, .label_smoothing = 0.2})(x, c).item(),
            F::cross_entropy(x, c, {.weight = w, .label_smoothing = 0.2}).item());
  EXPECT_EQ(nn::NLLLoss({.weight = w, .ignore_index = 1})(x, c).item(), F::nll_loss(x, c, w, 1).item());
  EXPECT_EQ(nn::HingeLoss()(x, s).item(), F::hinge_loss(x, s).item());
  EXPECT_EQ(nn::MultiMarginLoss({.p = 2, .margin = 0.5})(x, c).item(), F::multi_margin_loss(x, c, 2, 0.5).item());
  EXPECT_EQ(nn::KLDivLoss({.reduction = Reduction::BatchMean, .log_target = true})(x, y).item(),
            F::kl_div(x, y, Reduction::BatchMean, true).item());
}

TEST(LossModules, WeightsAreBuffersNamedAsPyTorch) {
  EXPECT_TRUE(nn::CrossEntropyLoss().state_dict().empty());
  Tensor w = tensor({1.0f, 2.0f, 3.0f});
  nn::CrossEntropyLoss ce({.weight = w});
  EXPECT_EQ(ce.state_dict().keys(), (std::vector<std::string>{"weight"}));
  EXPECT_EQ(ce.num_parameters(), 0);
  nn::BCEWithLogitsLoss bce({.pos_weight = w});
  EXPECT_EQ(bce.state_dict().keys(), (std::vector<std::string>{"pos_weight"}));
  // Loading new weights changes what forward uses.
  Tensor x = tensor(std::vector<float>{0, 1, 2, 2, 1, 0}, {2, 3});
  Tensor y = tensor(std::vector<int64_t>{0, 2}, {2});
  nn::StateDict state;
  state.insert("weight", tensor({1.0f, 1.0f, 1.0f}));
  ce.load_state_dict(state);
  EXPECT_NEAR(ce(x, y).item(), F::cross_entropy(x, y).item(), 1e-6);
}

TEST(LossModules, PrintLikePyTorch) {
  EXPECT_EQ(nn::CrossEntropyLoss().to_string(), "CrossEntropyLoss()");
  EXPECT_EQ(nn::MSELoss().to_string(), "MSELoss()");
  EXPECT_EQ(nn::KLDivLoss().to_string(), "KLDivLoss()");
  EXPECT_EQ(nn::HingeLoss().type_name(), "HingeLoss");
  EXPECT_EQ(nn::MultiMarginLoss().type_name(), "MultiMarginLoss");
}

TEST(LossModules, UsableThroughTheLossBase) {
  std::vector<std::shared_ptr<nn::Loss>> losses = {std::make_shared<nn::MSELoss>(), std::make_shared<nn::L1Loss>()};
  Tensor x = tensor({1.0f, 2.0f});
  Tensor y = tensor({0.0f, 0.0f});
  EXPECT_NEAR(losses[0]->forward(x, y).item(), 2.5, 1e-6);
  EXPECT_NEAR((*losses[1])(x, y).item(), 1.5, 1e-6);
  EXPECT_THROW(losses[0]->forward(x), Error);  // a loss needs a target
}

// ---- errors name the offending values and shapes -------------------------------------------------

namespace {

void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  const std::string message = message_of(f);
  for (const std::string& part : parts)
    EXPECT_NE(message.find(part), std::string::npos) << message << "\n  lacks: " << part;
}

Tensor ints(const std::vector<int64_t>& v) { return tensor(v, {static_cast<int64_t>(v.size())}); }

}  // namespace

TEST(LossErrors, ClassIndexOutOfRange) {
  Tensor x = randn({3, 4});
  expect_error([&] { F::cross_entropy(x, ints({1, 5, 2})); },
               {"cross_entropy", "target 5", "position [1]", "4 classes"});
  expect_error([&] { F::cross_entropy(x, ints({1, 2, -1})); }, {"target -1", "position [2]", "ignore_index -100"});
  expect_error([&] { F::nll_loss(x, ints({4, 0, 0})); }, {"nll_loss", "target 4", "position [0]"});
  expect_error([&] { F::multi_margin_loss(x, ints({0, -100, 0})); }, {"multi_margin_loss", "target -100", "[1]"});
  Tensor x4 = randn({2, 3, 2});
  Tensor y4 = tensor(std::vector<int64_t>{0, 1, 2, 3}, {2, 2});
  expect_error([&] { F::cross_entropy(x4, y4); }, {"target 3", "position [1, 1]", "3 classes"});
  // ignore_index itself is accepted anywhere, even outside [0, C).
  EXPECT_NO_THROW(F::cross_entropy(x, ints({1, 7, 2}), {.ignore_index = 7}));
}

TEST(LossErrors, ShapeMismatchesNameBothShapes) {
  Tensor x = randn({3, 4});
  expect_error([&] { F::cross_entropy(x, ints({1, 2})); }, {"cross_entropy", "[3]", "[3, 4]", "[2]"});
  expect_error([&] { F::cross_entropy(x, randn({3, 5})); }, {"cross_entropy", "[3, 5]", "[3, 4]"});
  expect_error([&] { F::nll_loss(x, ints({0, 1, 2}), ones({3})); }, {"nll_loss", "weight", "[3]", "4"});
  expect_error([&] { F::mse_loss(randn({3}), randn({4})); }, {"mse_loss", "[3]", "[4]"});
  expect_error([&] { F::binary_cross_entropy(rand({2}), rand({1, 2})); }, {"binary_cross_entropy", "[1, 2]", "[2]"});
  expect_error([&] { F::binary_cross_entropy_with_logits(x, rand({3, 4}), {}, ones({3})); },
               {"pos_weight", "[3]", "[3, 4]"});
  expect_error([&] { F::hinge_loss(randn({3, 1}), ones({3})); }, {"hinge_loss", "[3]", "[3, 1]"});
  expect_error([&] { F::multi_margin_loss(x, ints({0, 1})); }, {"multi_margin_loss", "[2]", "[3, 4]"});
  expect_error([&] { F::cross_entropy(randn({3}).sum(), ints({})); }, {"cross_entropy", "0-d"});
}

TEST(LossErrors, BadValuesAreQuoted) {
  expect_error([] { F::binary_cross_entropy(tensor({0.5f, 1.5f}), tensor({1.0f, 0.0f})); },
               {"binary_cross_entropy", "1.5", "position [1]"});
  expect_error([] { F::hinge_loss(tensor({0.5f, 1.5f, 2.0f}), tensor({1.0f, -1.0f, 0.0f})); },
               {"hinge_loss", "got 0", "position [2]"});
  Tensor x = randn({3, 4});
  expect_error([&] { F::cross_entropy(x, ints({0, 1, 2}), {.label_smoothing = 1.5}); }, {"label_smoothing", "1.5"});
  expect_error([&] { F::cross_entropy(x, rand({3, 4}), {.ignore_index = 1}); }, {"ignore_index (1)", "probabilit"});
  expect_error([&] { F::multi_margin_loss(x, ints({0, 1, 2}), 3); }, {"multi_margin_loss", "p = 3"});
  expect_error([&] { F::mse_loss(x, x, Reduction::BatchMean); }, {"mse_loss", "batchmean", "kl_div"});
}

TEST(LossErrors, DtypesAreChecked) {
  Tensor x = randn({3, 4});
  expect_error([&] { F::cross_entropy(x, ints({0, 1, 2}).to(uint8)); }, {"int64", "uint8"});
  expect_error([&] { F::mse_loss(x, randn({3, 4}, float64)); }, {"mse_loss", "float32", "float64"});
  expect_error([&] { F::cross_entropy(x, ints({0, 1, 2}), {.weight = ones({4}, float64)}); },
               {"cross_entropy", "float64", "float32"});
  expect_error([&] { F::l1_loss(ints({1, 2}), ints({1, 2})); }, {"l1_loss", "int64"});
}

TEST(LossErrors, ModulesValidateTheirOptions) {
  expect_error([] { nn::CrossEntropyLoss({.label_smoothing = -0.1}); }, {"CrossEntropyLoss", "-0.1"});
  expect_error([] { nn::MultiMarginLoss({.p = 3}); }, {"MultiMarginLoss", "p = 3"});
  expect_error([] { nn::MSELoss loss(Reduction::BatchMean); }, {"MSELoss", "batchmean"});
  expect_error([] { nn::NLLLoss({.weight = ones({2, 2})}); }, {"NLLLoss", "[2, 2]"});
  EXPECT_NO_THROW(nn::KLDivLoss({.reduction = Reduction::BatchMean}));
}
