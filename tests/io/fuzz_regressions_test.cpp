// The inputs in fuzz/regressions/ that once crashed a fuzz target (fuzz/README.md) or tripped a
// sanitizer. Each file is named <target>-<what> and read as that target reads it; it must now
// give the nabla::Error whose message fuzz/regressions/expected.tsv quotes.
#include <nabla/data/idx.hpp>
#include <nabla/io/safetensors.hpp>
#include <nabla/io/spec.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace nabla::io {
namespace {

const std::string regressions = std::string(NABLA_SOURCE_DIR) + "/fuzz/regressions/";

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The library side of each target (spec_json_fuzz's CLI config findings are in tests/apps/).
const std::map<std::string, std::function<void(const std::string&)>> readers = {
    {"idx_fuzz", [](const std::string& path) { data::read_idx(path); }},
    {"safetensors_fuzz", [](const std::string& path) { read_safetensors(path); }},
    {"spec_fuzz", [](const std::string& path) { build_layers(parse_spec(read_bytes(path)), {1, 28, 28}, 10); }},
};

TEST(FuzzRegressions, EveryInputGivesItsError) {
  std::ifstream manifest(regressions + "expected.tsv");
  ASSERT_TRUE(manifest.good()) << "missing " << regressions << "expected.tsv";
  int checked = 0;
  for (std::string line; std::getline(manifest, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t'), dash = line.find('-');
    ASSERT_TRUE(tab != std::string::npos && dash < tab) << line;
    const std::string file = line.substr(0, tab), target = file.substr(0, dash);
    if (!readers.contains(target)) continue;
    SCOPED_TRACE(file);
    std::string message = "(no error)";
    try {
      readers.at(target)(regressions + file);
    } catch (const Error& e) {
      message = e.what();
    }
    EXPECT_THAT(message, ::testing::HasSubstr(line.substr(tab + 1)));
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

// A valid file whose only tensor is empty but (1, about 2^62, 0): reading it is fine, and summing it
// once made the reduction list 2^62 offsets (std::length_error escaped instead of a sum of 0).
TEST(FuzzRegressions, EmptyTensorWithAHugeDimensionSumsToZero) {
  const SafetensorsFile file = read_safetensors(regressions + "safetensors_fuzz-empty_tensor_huge_dim");
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors[0].first, "a");
  const Tensor& a = file.tensors[0].second;
  EXPECT_EQ(a.shape(), (Shape{1, 4611686012887437905, 0}));
  EXPECT_EQ(a.sum().item(), 0.0);
  EXPECT_EQ(a.to(float64).sum().item(), 0.0);
}

}  // namespace
}  // namespace nabla::io
