// LBFGS: a line-for-line port of torch/optim/lbfgs.py (1.13), including _cubic_interpolate and
// _strong_wolfe, over the parameters flattened into one float64 vector. Expressions keep
// PyTorch's order of operations so float64 trajectories agree to rounding.
#include <nabla/optim/lbfgs.hpp>

#include <nabla/autograd.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <utility>

namespace nabla::optim {
namespace {

using Vec = std::vector<double>;

double dot(const Vec& a, const Vec& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

double max_abs(const Vec& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

double sum_abs(const Vec& a) {
  double sum = 0;
  for (double v : a) sum += std::abs(v);
  return sum;
}

// y += alpha * x
void axpy(Vec& y, double alpha, const Vec& x) {
  for (size_t i = 0; i < y.size(); ++i) y[i] += alpha * x[i];
}

Vec scaled(const Vec& a, double s) {
  Vec out(a.size());
  for (size_t i = 0; i < a.size(); ++i) out[i] = a[i] * s;
  return out;
}

// Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to the
// bounds (default: the interval between the points); the midpoint when the cubic has none.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         const std::pair<double, double>* bounds = nullptr) {
  const auto [xmin_bound, xmax_bound] = bounds ? *bounds : (x1 <= x2 ? std::pair{x1, x2} : std::pair{x2, x1});
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square >= 0) {
    const double d2 = std::sqrt(d2_square);
    const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    // Python's min/max keep the first argument on ties and NaN, as std::min/max do.
    return std::min(std::max(min_pos, xmin_bound), xmax_bound);
  }
  return (xmin_bound + xmax_bound) / 2.;
}

struct Evaluation {
  double loss;
  Vec grad;
};
// Loss and flat gradient at x + t * d (the parameters are restored afterwards).
using DirectionalFn = std::function<Evaluation(double t)>;

struct LineSearchResult {
  double loss;
  Vec grad;
  double t;
  int64_t func_evals;
};

// A point (step, loss, gradient, directional derivative) of the line search.
struct Point {
  double t, f;
  Vec g;
  double gtd;
};

// Zoom phase of _strong_wolfe: shrinks the bracket [lo, hi] (by cubic interpolation, kept away
// from its ends) until a point satisfies the strong Wolfe conditions.
void zoom(const DirectionalFn& obj, const Vec& d, double f, double gtd, double c1, double c2,
          double tolerance_change, int64_t max_ls, std::vector<Point>& bracket, int& low, int& ls_iter,
          int64_t& func_evals) {
  const double d_norm = max_abs(d);
  bool insuf_progress = false;
  int high = 1 - low;
  while (ls_iter < max_ls) {
    Point& a = bracket[0];
    Point& b = bracket[1];
    if (std::abs(b.t - a.t) * d_norm < tolerance_change) break;
    double t = cubic_interpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd);
    const double hi_t = std::max(a.t, b.t), lo_t = std::min(a.t, b.t);
    const double eps = 0.1 * (hi_t - lo_t);
    if (std::min(hi_t - t, t - lo_t) < eps) {
      // Too close to an end: after one such step (or when at an end) move 0.1 * width inside.
      if (insuf_progress || t >= hi_t || t <= lo_t) {
        t = std::abs(t - hi_t) < std::abs(t - lo_t) ? hi_t - eps : lo_t + eps;
        insuf_progress = false;
      } else {
        insuf_progress = true;
      }
    } else {
      insuf_progress = false;
    }
    Evaluation e = obj(t);
    ++func_evals;
    const double gtd_new = dot(e.grad, d);
    ++ls_iter;
    Point p{t, e.loss, std::move(e.grad), gtd_new};
    if (p.f > (f + c1 * t * gtd) || p.f >= bracket[low].f) {
      // Armijo fails or no lower than the low end: the new point is the high end.
      bracket[high] = std::move(p);
      low = bracket[0].f <= bracket[1].f ? 0 : 1;
      high = 1 - low;
      continue;
    }
    const bool wolfe = std::abs(p.gtd) <= -c2 * gtd;
    if (!wolfe && p.gtd * (bracket[high].t - bracket[low].t) >= 0) bracket[high] = bracket[low];
    bracket[low] = std::move(p);
    if (wolfe) return;
  }
}

// _strong_wolfe: a step t along d satisfying the strong Wolfe conditions, starting from t.
LineSearchResult strong_wolfe(const DirectionalFn& obj, double t, const Vec& d, double f, const Vec& g, double gtd,
                              double c1 = 1e-4, double c2 = 0.9, double tolerance_change = 1e-9,
                              int64_t max_ls = 25) {
  Evaluation e = obj(t);
  int64_t func_evals = 1;
  double gtd_new = dot(e.grad, d);
  Point prev{0, f, g, gtd};
  std::vector<Point> bracket;
  bool done = false;
  int ls_iter = 0;
  // Bracketing phase: grow the step until an interval surely contains an acceptable point.
  while (ls_iter < max_ls) {
    if (e.loss > (f + c1 * t * gtd) || (ls_iter > 1 && e.loss >= prev.f)) {
      bracket = {prev, Point{t, e.loss, e.grad, gtd_new}};
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket = {Point{t, e.loss, e.grad, gtd_new}};
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket = {prev, Point{t, e.loss, e.grad, gtd_new}};
      break;
    }
    const double min_step = t + 0.01 * (t - prev.t);
    const double max_step = t * 10;
    const std::pair<double, double> bounds{min_step, max_step};
    const double tmp = t;
    t = cubic_interpolate(prev.t, prev.f, prev.gtd, t, e.loss, gtd_new, &bounds);
    prev = Point{tmp, e.loss, std::move(e.grad), gtd_new};
    e = obj(t);
    ++func_evals;
    gtd_new = dot(e.grad, d);
    ++ls_iter;
  }
  if (ls_iter == max_ls) bracket = {Point{0, f, g, 0}, Point{t, e.loss, e.grad, 0}};

  int low = bracket.front().f <= bracket.back().f ? 0 : 1;
  if (!done && ls_iter < max_ls)
    zoom(obj, d, f, gtd, c1, c2, tolerance_change, max_ls, bracket, low, ls_iter, func_evals);
  Point& best = bracket[low];
  return {best.f, std::move(best.g), best.t, func_evals};
}

double loss_value(const Tensor& loss) {
  NABLA_CHECK(loss.defined() && loss.numel() == 1,
              "LBFGS.step: the closure must return the loss as a one-element tensor, got ",
              loss.defined() ? loss.shape() : Shape{});
  return loss.item();
}

Tensor scalar(double value) { return scalar_tensor(value, DType::Float64); }
Tensor vector_tensor(const Vec& v) { return tensor(v, Shape{static_cast<int64_t>(v.size())}, DType::Float64); }

void validate(const LBFGSOptions& o) {
  NABLA_CHECK(o.lr >= 0, "LBFGS: lr must be >= 0, got ", o.lr);
  NABLA_CHECK(o.max_iter >= 1, "LBFGS: max_iter must be >= 1, got ", o.max_iter);
  NABLA_CHECK(o.max_eval && *o.max_eval >= 1, "LBFGS: max_eval must be >= 1, got ", o.max_eval.value_or(0));
  NABLA_CHECK(o.tolerance_grad >= 0, "LBFGS: tolerance_grad must be >= 0, got ", o.tolerance_grad);
  NABLA_CHECK(o.tolerance_change >= 0, "LBFGS: tolerance_change must be >= 0, got ", o.tolerance_change);
  NABLA_CHECK(o.history_size >= 1, "LBFGS: history_size must be >= 1, got ", o.history_size);
  NABLA_CHECK(!o.line_search_fn || *o.line_search_fn == "strong_wolfe",
              "LBFGS: line_search_fn must be \"strong_wolfe\" or none, got \"", o.line_search_fn.value_or(""), "\"");
}

}  // namespace

LBFGS::LBFGS(std::vector<Tensor> params, LBFGSOptions options)
    : LBFGS(std::vector<ParamGroup<LBFGSOptions>>{{std::move(params), std::move(options)}}) {}

LBFGS::LBFGS(std::vector<ParamGroup<LBFGSOptions>> groups) {
  NABLA_CHECK(groups.size() == 1, "LBFGS: doesn't support per-parameter options (parameter groups); got ",
              groups.size(), " groups");
  options_ = std::move(groups[0].options);
  if (!options_.max_eval) options_.max_eval = options_.max_iter * 5 / 4;
  validate(options_);
  set_param_groups("LBFGS", {std::move(groups[0].params)});
  for (const Tensor& p : groups_params_[0]) numel_ += p.numel();
}

double LBFGS::lr(size_t group) const {
  NABLA_CHECK(group == 0, "LBFGS.lr: group ", group, " out of range (LBFGS has 1 group)");
  return options_.lr;
}

void LBFGS::set_lr(double lr, size_t group) {
  NABLA_CHECK(group == 0, "LBFGS.set_lr: group ", group, " out of range (LBFGS has 1 group)");
  NABLA_CHECK(lr >= 0, "LBFGS.set_lr: lr must be >= 0, got ", lr);
  options_.lr = lr;
}

LBFGS::Vec LBFGS::gather_flat_grad() const {
  Vec flat;
  flat.reserve(static_cast<size_t>(numel_));
  for (const Tensor& p : groups_params_[0]) {
    const Tensor g = p.grad();
    if (!g.defined()) {
      flat.insert(flat.end(), static_cast<size_t>(p.numel()), 0.0);
      continue;
    }
    NABLA_CHECK(g.shape() == p.shape(), "LBFGS: a gradient of shape ", g.shape(), " for a parameter of shape ",
                p.shape());
    const Vec v = g.to_vector<double>();
    flat.insert(flat.end(), v.begin(), v.end());
  }
  return flat;
}

void LBFGS::add_grad(double step_size, const Vec& update) {
  NoGradGuard no_grad;
  size_t offset = 0;
  for (Tensor& p : groups_params_[0]) {
    const size_t n = static_cast<size_t>(p.numel());
    const auto first = update.begin() + static_cast<std::ptrdiff_t>(offset);
    Vec part(first, first + static_cast<std::ptrdiff_t>(n));
    p.add_(tensor(part, p.shape(), DType::Float64).to(p.dtype()), step_size);
    offset += n;
  }
}

std::vector<Tensor> LBFGS::clone_params() const {
  NoGradGuard no_grad;
  std::vector<Tensor> out;
  for (const Tensor& p : groups_params_[0]) out.push_back(p.detach().clone());
  return out;
}

void LBFGS::set_params(const std::vector<Tensor>& values) {
  NoGradGuard no_grad;
  for (size_t i = 0; i < values.size(); ++i) groups_params_[0][i].copy_(values[i]);
}

double LBFGS::evaluate_loss(const Closure& closure) const {
  return loss_value(evaluate(closure));  // with grad mode on, even if step() runs under no-grad
}

// The search direction: steepest descent on the very first iteration (which also clears the
// memory); afterwards the (s, y) memory is updated with the last step and the two-loop recursion
// applies the inverse-Hessian approximation to -flat_grad.
LBFGS::Vec LBFGS::direction(const Vec& flat_grad, State& state) const {
  if (state.n_iter == 1) {
    state.old_dirs.clear();
    state.old_stps.clear();
    state.ro.clear();
    state.H_diag = 1;
    return scaled(flat_grad, -1.0);
  }
  Vec y = flat_grad;
  axpy(y, -1.0, state.prev_flat_grad);
  Vec s = scaled(state.d, state.t);
  const double ys = dot(y, s);
  if (ys > 1e-10) {
    if (static_cast<int64_t>(state.old_dirs.size()) == options_.history_size) {
      state.old_dirs.pop_front();
      state.old_stps.pop_front();
      state.ro.pop_front();
    }
    state.H_diag = ys / dot(y, y);
    state.old_dirs.push_back(std::move(y));
    state.old_stps.push_back(std::move(s));
    state.ro.push_back(1. / ys);
  }
  const size_t num_old = state.old_dirs.size();
  Vec al(num_old);
  Vec q = scaled(flat_grad, -1.0);
  for (size_t i = num_old; i-- > 0;) {
    al[i] = dot(state.old_stps[i], q) * state.ro[i];
    axpy(q, -al[i], state.old_dirs[i]);
  }
  Vec r = scaled(q, state.H_diag);
  for (size_t i = 0; i < num_old; ++i) {
    const double be_i = dot(state.old_dirs[i], r) * state.ro[i];
    axpy(r, al[i] - be_i, state.old_stps[i]);
  }
  return r;
}

// Moves the parameters along d, by the strong-Wolfe step or by the fixed t, and updates loss and
// flat_grad to the new point (except after the last fixed step, as PyTorch); returns the closure
// calls made.
int64_t LBFGS::move(const Closure& closure, bool last_iteration, double gtd, double& loss, Vec& flat_grad) {
  State& state = state_;
  if (options_.line_search_fn) {
    const std::vector<Tensor> x_init = clone_params();
    const DirectionalFn obj = [&](double t) {
      add_grad(t, state.d);
      const double f = evaluate_loss(closure);
      Vec g = gather_flat_grad();
      set_params(x_init);
      return Evaluation{f, std::move(g)};
    };
    LineSearchResult ls = strong_wolfe(obj, state.t, state.d, loss, flat_grad, gtd);
    loss = ls.loss;
    flat_grad = std::move(ls.grad);
    state.t = ls.t;
    add_grad(state.t, state.d);
    return ls.func_evals;
  }
  add_grad(state.t, state.d);
  if (last_iteration) return 0;  // in a stochastic setting that evaluation would be wasted
  loss = evaluate_loss(closure);
  flat_grad = gather_flat_grad();
  return 1;
}

Tensor LBFGS::step(const Closure& closure) {
  NABLA_CHECK(closure != nullptr, "LBFGS.step: a closure that re-evaluates the model and returns the loss is required");
  const LBFGSOptions& o = options_;
  State& state = state_;

  const Tensor orig_loss = evaluate(closure);
  double loss = loss_value(orig_loss);
  int64_t current_evals = 1;
  state.func_evals += 1;
  Vec flat_grad = gather_flat_grad();
  if (max_abs(flat_grad) <= o.tolerance_grad) return orig_loss;

  for (int64_t n_iter = 1; n_iter <= o.max_iter; ++n_iter) {
    state.n_iter += 1;
    state.d = direction(flat_grad, state);
    state.prev_flat_grad = flat_grad;
    state.prev_loss = loss;
    state.has_history = true;

    // The first iteration ever scales its step by the gradient's size.
    state.t = state.n_iter == 1 ? std::min(1., 1. / sum_abs(flat_grad)) * o.lr : o.lr;
    const double gtd = dot(flat_grad, state.d);
    if (gtd > -o.tolerance_change) break;  // not a descent direction any more

    const bool last = n_iter == o.max_iter;
    const int64_t evals = move(closure, last, gtd, loss, flat_grad);
    current_evals += evals;
    state.func_evals += evals;
    // (After the last fixed step flat_grad is stale, but the loop ends there anyway.)
    const bool opt_cond = evals > 0 && max_abs(flat_grad) <= o.tolerance_grad;

    if (last || current_evals >= *o.max_eval || opt_cond) break;
    double step_change = 0;  // max |d * t|: lack of progress in the parameters
    for (double v : state.d) step_change = std::max(step_change, std::abs(v * state.t));
    if (step_change <= o.tolerance_change) break;
    if (std::abs(loss - state.prev_loss) < o.tolerance_change) break;
  }
  return orig_loss;
}

nn::StateDict LBFGS::state_dict() const {
  nn::StateDict out;
  const State& s = state_;
  const std::string st = "state.0.";
  if (s.func_evals > 0) {
    out.insert(st + "func_evals", scalar(static_cast<double>(s.func_evals)));
    out.insert(st + "n_iter", scalar(static_cast<double>(s.n_iter)));
  }
  if (s.has_history) {
    out.insert(st + "d", vector_tensor(s.d));
    out.insert(st + "t", scalar(s.t));
    for (size_t k = 0; k < s.old_dirs.size(); ++k) {
      const std::string index = std::to_string(k);
      out.insert(st + "old_dirs." + index, vector_tensor(s.old_dirs[k]));
      out.insert(st + "old_stps." + index, vector_tensor(s.old_stps[k]));
      out.insert(st + "ro." + index, scalar(s.ro[k]));
    }
    out.insert(st + "H_diag", scalar(s.H_diag));
    out.insert(st + "prev_flat_grad", vector_tensor(s.prev_flat_grad));
    out.insert(st + "prev_loss", scalar(s.prev_loss));
  }
  const LBFGSOptions& o = options_;
  const std::string pg = "param_groups.0.";
  out.insert(pg + "lr", detail::option_tensor(o.lr));
  out.insert(pg + "max_iter", detail::option_tensor(static_cast<double>(o.max_iter)));
  out.insert(pg + "max_eval", detail::option_tensor(static_cast<double>(*o.max_eval)));
  out.insert(pg + "tolerance_grad", detail::option_tensor(o.tolerance_grad));
  out.insert(pg + "tolerance_change", detail::option_tensor(o.tolerance_change));
  out.insert(pg + "history_size", detail::option_tensor(static_cast<double>(o.history_size)));
  out.insert(pg + "line_search_fn", detail::option_tensor(o.line_search_fn.has_value()));
  std::vector<int64_t> ids(groups_params_[0].size());
  for (size_t k = 0; k < ids.size(); ++k) ids[k] = static_cast<int64_t>(k);
  out.insert(pg + "params", tensor(ids, {static_cast<int64_t>(ids.size())}));
  return out;
}

void LBFGS::load_state_dict(const nn::StateDict& sd) {
  std::set<std::string> used;
  auto get = [&](const std::string& key) -> const Tensor& {
    used.insert(key);
    return sd.at(key);
  };
  auto number = [&](const std::string& key) {
    const Tensor& t = get(key);
    NABLA_CHECK(t.numel() == 1, "LBFGS.load_state_dict: \"", key, "\" should hold one value, got shape ", t.shape());
    return t.item();
  };
  auto integer = [&](const std::string& key) { return static_cast<int64_t>(number(key)); };
  auto flat = [&](const std::string& key) {
    const Tensor& t = get(key);
    NABLA_CHECK(t.ndim() == 1 && t.numel() == numel_, "LBFGS.load_state_dict: \"", key, "\" has shape ", t.shape(),
                " but the parameters have ", numel_, " elements in all");
    return t.to_vector<double>();
  };

  const std::string pg = "param_groups.0.";
  LBFGSOptions o;
  o.lr = number(pg + "lr");
  o.max_iter = integer(pg + "max_iter");
  o.max_eval = integer(pg + "max_eval");
  o.tolerance_grad = number(pg + "tolerance_grad");
  o.tolerance_change = number(pg + "tolerance_change");
  o.history_size = integer(pg + "history_size");
  if (number(pg + "line_search_fn") != 0) o.line_search_fn = "strong_wolfe";
  validate(o);
  const Tensor& ids = get(pg + "params");
  NABLA_CHECK(ids.ndim() == 1 && ids.size(0) == static_cast<int64_t>(groups_params_[0].size()),
              "LBFGS.load_state_dict: \"", pg, "params\" has shape ", ids.shape(), " but the optimiser has ",
              groups_params_[0].size(), " parameters");

  const std::string st = "state.0.";
  State s;
  if (sd.contains(st + "func_evals")) {
    s.func_evals = integer(st + "func_evals");
    s.n_iter = integer(st + "n_iter");
  }
  if (sd.contains(st + "d")) {
    s.has_history = true;
    s.d = flat(st + "d");
    s.t = number(st + "t");
    for (size_t k = 0; sd.contains(st + "old_dirs." + std::to_string(k)); ++k) {
      s.old_dirs.push_back(flat(st + "old_dirs." + std::to_string(k)));
      s.old_stps.push_back(flat(st + "old_stps." + std::to_string(k)));
      s.ro.push_back(number(st + "ro." + std::to_string(k)));
    }
    s.H_diag = number(st + "H_diag");
    s.prev_flat_grad = flat(st + "prev_flat_grad");
    s.prev_loss = number(st + "prev_loss");
  }
  NABLA_CHECK(static_cast<int64_t>(s.old_dirs.size()) <= o.history_size, "LBFGS.load_state_dict: ",
              s.old_dirs.size(), " stored (s, y) pairs exceed history_size ", o.history_size);
  for (const std::string& key : sd.keys())
    NABLA_CHECK(used.count(key) == 1, "LBFGS.load_state_dict: unexpected key \"", key, "\"");
  options_ = std::move(o);
  state_ = std::move(s);
}

}  // namespace nabla::optim
