// A fresh, empty directory per test, removed afterwards (also when the test made it read-only),
// for tests that write files. Name: nabla_<pid>_<suite>_<test> under the system temp dir.
//
//   class Csv : public nabla::testing::TempDirTest {};
//   TEST_F(Csv, Reads) { write(path("a.csv"), ...); }
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace nabla::testing {

class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Parameterised tests are named "Prefix/Suite" and "Test/3": flattened, so that removing the
    // directory removes everything the test made.
    std::string name = "nabla_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(dir_, ignored);
  }
  /// The path of `name` inside the test's directory.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  /// The names in the test's directory, sorted (to see that no temporary file was left behind).
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::filesystem::path dir_;
};

}  // namespace nabla::testing
