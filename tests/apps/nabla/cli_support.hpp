// Running the real `nabla` binary (NABLA_CLI_PATH, set by CMake) as a subprocess for the CLI
// tests: fork + exec inside the test's temporary directory, stdout and stderr captured through
// files, and the exit status or the signal that ended it.
#pragma once

#include "../../support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace nabla::testing {

struct CliResult {
  int status = -1;        // exit status when the process exited
  bool signaled = false;  // killed by a signal (a crash)
  int signal = 0;
  std::string out, err;
  /// The lines of stderr (without their '\n').
  std::vector<std::string> err_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// Runs `nabla args...` with `dir` as its working directory.
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& dir) {
  const std::string out_path = dir + "/.stdout", err_path = dir + "/.stderr";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 || ::chdir(dir.c_str()) != 0) ::_exit(126);
    std::vector<char*> argv = {const_cast<char*>(NABLA_CLI_PATH)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(NABLA_CLI_PATH, argv.data());
    ::_exit(127);
  }
  CliResult result;
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return result;
  result.signaled = WIFSIGNALED(status);
  result.signal = result.signaled ? WTERMSIG(status) : 0;
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

/// The first capture of `pattern` in `text` ("" when it does not match).
inline std::string capture(const std::string& text, const std::string& pattern) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : std::string();
}

/// The 16 hex digits of the "weights hash ..." line.
inline std::string printed_hash(const CliResult& r) { return capture(r.out, "weights hash ([0-9a-f]{16})"); }

/// A test with its own directory, in which the binary runs.
class CliTest : public TempDirTest {
protected:
  CliResult run(const std::vector<std::string>& args) const { return run_cli(args, dir_.string()); }
  /// Runs and expects success, showing the output otherwise.
  CliResult run_ok(const std::vector<std::string>& args) const {
    CliResult r = run(args);
    EXPECT_EQ(r.status, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
    EXPECT_FALSE(r.signaled);
    return r;
  }
  /// Runs and expects a failure reported as exactly one `nabla: error:` line on stderr.
  CliResult run_error(const std::vector<std::string>& args) const {
    CliResult r = run(args);
    EXPECT_FALSE(r.signaled) << "killed by signal " << r.signal;
    EXPECT_NE(r.status, 0);
    const std::vector<std::string> lines = r.err_lines();
    EXPECT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("nabla: error: ", 0), 0u) << r.err;
    return r;
  }
};

}  // namespace nabla::testing
