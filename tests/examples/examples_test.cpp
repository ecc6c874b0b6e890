// Runs the example programs as a newcomer would and checks what they print, so the
// examples can never silently rot.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

namespace {

struct ProcessResult {
  int status = -1;
  std::string output;
};

ProcessResult run_command(const std::string& command) {
  ProcessResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) r.output.append(buf.data(), n);
  r.status = pclose(pipe);
  return r;
}

std::string example(const char* name) { return std::string(NABLA_BINARY_DIR) + "/examples/" + name; }

}  // namespace

TEST(Examples, LogisticRegressionSeparatesTheHiringData) {
  ProcessResult r = run_command(example("logistic_regression"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("training accuracy: 100.0%"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("learned line:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("step  5000"), std::string::npos) << r.output;
}

TEST(Examples, GradientCostAgreesAndReportsTimes) {
  ProcessResult r = run_command(example("gradient_cost") + " 16");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("largest difference"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("forward passes"), std::string::npos) << r.output;
}

TEST(Examples, XorIsLearnedForAtLeastNineOfTenSeeds) {
  for (const char* activation : {"tanh", "sigmoid"}) {
    int solved = 0;
    for (int seed = 0; seed < 10; ++seed) {
      ProcessResult r = run_command(example("xor") + " " + std::to_string(seed) + " " + activation);
      if (r.status == 0) {
        EXPECT_NE(r.output.find("accuracy: 100%"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("separable in hidden space: yes"), std::string::npos) << r.output;
        ++solved;
      }
    }
    EXPECT_GE(solved, 9) << activation;
  }
}

TEST(Examples, PerceptronRespectsTheBoundAndStopsOnXor) {
  ProcessResult r = run_command(example("perceptron"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("XOR: converged: no"), std::string::npos) << r.output;
}

TEST(Examples, UniversalApproximationWidthHelps) {
  ProcessResult r = run_command(example("universal_approximation") + " 1500");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("      20"), std::string::npos) << r.output;
}

TEST(Examples, EveryOptimizerReducesTheLoss) {
  ProcessResult r = run_command(example("optimizers") + " 30");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* name : {"SGD", "Nesterov", "Adagrad", "Adadelta", "RMSprop", "AdamW", "Rprop", "ASGD", "LBFGS", "BB"})
    EXPECT_NE(r.output.find(name), std::string::npos) << name;
}
