// The run configurations in fuzz/regressions/ (spec_json_fuzz-*) that once tripped a sanitizer
// in `nabla train --resume`'s config.json reader: each must now end as the one error line that
// fuzz/regressions/expected.tsv quotes (the library's inputs are in tests/io/fuzz_regressions_test.cpp).
#include "cli_support.hpp"

#include <nabla/io/checkpoint.hpp>
#include <nabla/io/spec.hpp>

#include <gmock/gmock.h>

#include <filesystem>

namespace {

class CliFuzzRegressions : public nabla::testing::CliTest {};

TEST_F(CliFuzzRegressions, ResumeWithEachConfigGivesItsError) {
  const std::string regressions = std::string(NABLA_SOURCE_DIR) + "/fuzz/regressions/";
  std::ifstream manifest(regressions + "expected.tsv");
  ASSERT_TRUE(manifest.good());
  int checked = 0;
  for (std::string line; std::getline(manifest, line);) {
    if (!line.starts_with("spec_json_fuzz-")) continue;
    const auto tab = line.find('\t');
    SCOPED_TRACE(line.substr(0, tab));
    std::filesystem::create_directories(path("runs/fuzz"));
    nabla::testing::write_text(path("runs/fuzz/config.json"),
                               nabla::testing::read_text(regressions + line.substr(0, tab)));
    EXPECT_THAT(run_error({"train", "--resume", "runs/fuzz"}).err, ::testing::HasSubstr(line.substr(tab + 1)));
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

// Found by the audit that came with the fuzz targets: quoting a value nested 100,000 deep in the
// error message (nlohmann's dump) overflowed the stack.
TEST_F(CliFuzzRegressions, DeeplyNestedConfigValueIsAnError) {
  std::filesystem::create_directories(path("runs/deep"));
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  nabla::testing::write_text(path("runs/deep/config.json"), R"({"model": "logreg", "data": )" + deep + "}");
  EXPECT_THAT(run_error({"train", "--resume", "runs/deep"}).err,
              ::testing::HasSubstr("\"data\" must be an object, got array"));
}

// Also from the audit: `nabla eval` converted a checkpoint's nabla.config "seed" of 1e300 to an
// integer (undefined behaviour), and a config that is not an object threw nlohmann's own error.
TEST_F(CliFuzzRegressions, EvalChecksTheSeedAndShapeOfTheCheckpointConfig) {
  const std::string spec = R"({"layers": [{"type": "linear"}]})";
  const auto model = nabla::io::build_model(spec, {2}, 2);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"data": {"name": "moons"}, "seed": 1e300})", "nabla.config must be a non-negative integer, got 1e+300"},
      {R"([1, 2])", "its nabla.config must be a JSON object, got array"}};
  for (const auto& [config, message] : cases) {
    nabla::io::save_model(*model, path("m.safetensors"),
                          {.spec = spec, .input_shape = {2}, .num_outputs = 2, .config = config});
    EXPECT_THAT(run_error({"eval", "--checkpoint", "m.safetensors"}).err, ::testing::HasSubstr(message));
  }
}

}  // namespace
