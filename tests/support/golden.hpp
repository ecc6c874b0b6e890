// Reading golden values recorded from PyTorch (scripts/golden/*.py wrote tests/golden/*.json).
// A tensor is stored as {"shape": [...], "data": [row-major values]}; tests never need PyTorch.
#pragma once

#include <nabla/nabla.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace nabla::testing {

/// Parses tests/golden/<name>.json; throws nabla::Error naming the path if it is missing.
inline nlohmann::json golden(const std::string& name) {
  const std::string path = std::string(NABLA_SOURCE_DIR) + "/tests/golden/" + name + ".json";
  std::ifstream in(path);
  NABLA_CHECK(in.good(), "golden file ", path, " not found; regenerate with /usr/bin/python3 scripts/golden/", name,
              ".py");
  return nlohmann::json::parse(in);
}

/// A float64 tensor from {"shape": [...], "data": [...]}.
inline Tensor golden_tensor(const nlohmann::json& j) {
  const Shape shape = j.at("shape").get<Shape>();
  const std::vector<double> data = j.at("data").get<std::vector<double>>();
  return tensor(data, shape, float64);
}

/// Largest |a - b| / max(|b|, floor) over all elements (shapes must match).
inline double max_relative_error(const Tensor& a, const Tensor& b, double floor = 1e-6) {
  NABLA_CHECK(a.shape() == b.shape(), "max_relative_error: shapes ", a.shape(), " and ", b.shape(), " differ");
  const std::vector<double> x = a.to(float64).to_vector<double>(), y = b.to(float64).to_vector<double>();
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i)
    worst = std::max(worst, std::abs(x[i] - y[i]) / std::max(std::abs(y[i]), floor));
  return worst;
}

}  // namespace nabla::testing
