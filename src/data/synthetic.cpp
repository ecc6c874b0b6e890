// Seeded generators of the lectures' small data sets. Every draw comes from one Generator in a
// fixed order (training set first, then test set), so a seed always gives the same data.
#include <nabla/data/builtin.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace nabla::data {
namespace {

constexpr double pi = std::numbers::pi;

// Rows of `dims` coordinates and their labels, turned into a TensorDataset at the end.
struct Points {
  int64_t dims;
  std::vector<double> x;
  std::vector<int64_t> y;
  void add(std::initializer_list<double> coords, int64_t label) {
    x.insert(x.end(), coords);
    y.push_back(label);
  }
  std::shared_ptr<TensorDataset> dataset() const {
    const auto n = static_cast<int64_t>(y.size());
    return std::make_shared<TensorDataset>(tensor(x, {n, dims}, float32), tensor(y, {n}));
  }
};

struct Sizes {
  int64_t train, test;
};

Sizes sizes(const char* op, const SyntheticOptions& o, int64_t default_n) {
  const int64_t n = o.n == 0 ? default_n : o.n;
  const int64_t n_test = o.n_test < 0 ? n : o.n_test;
  NABLA_CHECK(n >= 1 && n_test >= 1, op, ": n and n_test must be positive, got n = ", o.n, ", n_test = ", o.n_test);
  return {n, n_test};
}

double noise_of(const char* op, const SyntheticOptions& o, double default_noise) {
  const double noise = o.noise.value_or(default_noise);
  NABLA_CHECK(noise >= 0.0, op, ": noise must be non-negative, got ", noise);
  return noise;
}

std::vector<std::string> numbered(int64_t count) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < count; ++i) names.push_back(std::to_string(i));
  return names;
}

// Train and test sets from one stream: `make(points, count)` appends `count` examples.
template <typename Make>
TrainTest two_sets(Sizes s, int64_t dims, std::vector<std::string> classes, const Make& make) {
  Points train{dims, {}, {}}, test{dims, {}, {}};
  make(train, s.train);
  make(test, s.test);
  return {train.dataset(), test.dataset(), std::move(classes)};
}

// Centres for blobs: uniform in [-box, box]^dims, pairwise at least `gap` apart (gap 0: no
// constraint). The box grows when the centres do not fit, so placement always ends.
std::vector<std::vector<double>> place_centres(int64_t k, int64_t dims, double gap, Generator& g) {
  double box = std::max(10.0, gap * static_cast<double>(k));
  for (;;) {
    std::vector<std::vector<double>> centres;
    for (int attempt = 0; attempt < 1000 && static_cast<int64_t>(centres.size()) < k; ++attempt) {
      std::vector<double> c(static_cast<size_t>(dims));
      for (double& v : c) v = (2.0 * g.uniform_double() - 1.0) * box;
      bool fits = true;
      for (const auto& other : centres) {
        double d2 = 0.0;
        for (size_t j = 0; j < c.size(); ++j) d2 += (c[j] - other[j]) * (c[j] - other[j]);
        fits = fits && std::sqrt(d2) >= gap;
      }
      if (fits) centres.push_back(std::move(c));
    }
    if (static_cast<int64_t>(centres.size()) == k) return centres;
    box *= 1.5;
  }
}

}  // namespace

TrainTest make_xor(const SyntheticOptions& o) {
  const double noise = noise_of("make_xor", o, 0.1);
  if (o.n == 0) {
    Points corners{2, {}, {}};
    corners.add({0, 0}, 0);
    corners.add({0, 1}, 1);
    corners.add({1, 0}, 1);
    corners.add({1, 1}, 0);
    return {corners.dataset(), corners.dataset(), {"0", "1"}};
  }
  Generator g(o.seed);
  return two_sets(sizes("make_xor", o, 4), 2, {"0", "1"}, [&](Points& p, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      const double a = static_cast<double>(i % 4 / 2), b = static_cast<double>(i % 2);
      const double x1 = a + noise * g.normal();
      const double x2 = b + noise * g.normal();
      p.add({x1, x2}, a != b ? 1 : 0);
    }
  });
}

TrainTest make_blobs(const SyntheticOptions& o) {
  const int64_t k = o.classes == 0 ? 3 : o.classes;
  const double std = noise_of("make_blobs", o, 1.0);
  NABLA_CHECK(k >= 1 && o.dims >= 1, "make_blobs: classes and dims must be positive, got classes = ", o.classes,
              ", dims = ", o.dims);
  NABLA_CHECK(o.margin >= 0.0, "make_blobs: margin must be non-negative, got ", o.margin);
  const bool separable = o.margin > 0.0;
  const double radius = 2.0 * std;
  Generator g(o.seed);
  const auto centres = place_centres(k, o.dims, separable ? 2.0 * radius + o.margin : 0.0, g);
  return two_sets(sizes("make_blobs", o, 300), o.dims, numbered(k), [&](Points& p, int64_t count) {
    std::vector<double> offset(static_cast<size_t>(o.dims));
    for (int64_t i = 0; i < count; ++i) {
      const auto& c = centres[static_cast<size_t>(i % k)];
      for (;;) {  // with a margin, redraw points outside the ball (about 1 in 7 in 2-D)
        double r2 = 0.0;
        for (double& v : offset) {
          v = std * g.normal();
          r2 += v * v;
        }
        if (!separable || std::sqrt(r2) <= radius) break;
      }
      for (size_t j = 0; j < offset.size(); ++j) p.x.push_back(c[j] + offset[j]);
      p.y.push_back(i % k);
    }
  });
}

TrainTest make_moons(const SyntheticOptions& o) {
  const double noise = noise_of("make_moons", o, 0.1);
  Generator g(o.seed);
  return two_sets(sizes("make_moons", o, 300), 2, {"0", "1"}, [&](Points& p, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      const double t = pi * g.uniform_double();
      const int64_t label = i % 2;
      const double x = label == 0 ? std::cos(t) : 1.0 - std::cos(t);
      const double y = label == 0 ? std::sin(t) : 0.5 - std::sin(t);
      const double nx = noise * g.normal();
      const double ny = noise * g.normal();
      p.add({x + nx, y + ny}, label);
    }
  });
}

TrainTest make_circles(const SyntheticOptions& o) {
  const double noise = noise_of("make_circles", o, 0.05);
  NABLA_CHECK(o.factor > 0.0 && o.factor < 1.0, "make_circles: factor must be in (0, 1), got ", o.factor);
  Generator g(o.seed);
  return two_sets(sizes("make_circles", o, 300), 2, {"0", "1"}, [&](Points& p, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      const double t = 2.0 * pi * g.uniform_double();
      const int64_t label = i % 2;
      const double r = label == 0 ? 1.0 : o.factor;
      const double nx = noise * g.normal();
      const double ny = noise * g.normal();
      p.add({r * std::cos(t) + nx, r * std::sin(t) + ny}, label);
    }
  });
}

TrainTest make_spirals(const SyntheticOptions& o) {
  const int64_t arms = o.classes == 0 ? 2 : o.classes;
  NABLA_CHECK(arms >= 1, "make_spirals: classes (arms) must be positive, got ", o.classes);
  const double noise = noise_of("make_spirals", o, 0.05);
  Generator g(o.seed);
  return two_sets(sizes("make_spirals", o, 300), 2, numbered(arms), [&](Points& p, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      const int64_t arm = i % arms;
      const double r = g.uniform_double();
      const double t = 2.0 * pi * static_cast<double>(arm) / static_cast<double>(arms) + 3.0 * pi * r;
      const double nx = noise * g.normal();
      const double ny = noise * g.normal();
      p.add({r * std::cos(t) + nx, r * std::sin(t) + ny}, arm);
    }
  });
}

TrainTest make_sine(const SyntheticOptions& o) {
  const double noise = noise_of("make_sine", o, 0.1);
  const Sizes s = sizes("make_sine", o, 200);
  Generator g(o.seed);
  auto make = [&](int64_t count) {
    std::vector<double> x, y;
    for (int64_t i = 0; i < count; ++i) {
      x.push_back(-pi + 2.0 * pi * g.uniform_double());
      y.push_back(std::sin(x.back()) + noise * g.normal());
    }
    return std::make_shared<TensorDataset>(tensor(x, {count, 1}, float32), tensor(y, {count, 1}, float32));
  };
  auto train = make(s.train);
  auto test = make(s.test);
  return {train, test, {}};
}

TrainTest hiring() {
  const std::vector<double> x1 = {17, 12, 13, 15, 15, 20, 20, 4, 7.5, 10, 11, 5, 5, 6};
  const std::vector<double> x2 = {10, 12, 14, 15, 20, 15, 20, 8, 5, 0, 5, 0, 10, 6};
  Points p{2, {}, {}};
  for (size_t i = 0; i < x1.size(); ++i) p.add({x1[i], x2[i]}, i < 7 ? 1 : 0);
  auto data = p.dataset();
  return {data, data, {"not hired", "hired"}};
}

}  // namespace nabla::data
