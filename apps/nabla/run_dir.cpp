// Run directories and the environment a run records (see run_dir.hpp).
#include "run_dir.hpp"

#include "format.hpp"

#include <nabla/error.hpp>
#include <nabla/tensor.hpp>

#include <dlfcn.h>

#include <filesystem>
#include <fstream>

namespace nabla::cli {
namespace fs = std::filesystem;

const std::vector<std::pair<std::string, std::string>>& run_files() {
  static const std::vector<std::pair<std::string, std::string>> files = {
      {"model.safetensors", "the weights of the best epoch (lowest validation loss); loads with io::load_model"},
      {"last.safetensors", "the weights after the last epoch"},
      {"training_state.safetensors", "model, optimiser, schedule and random-number state for --resume"},
      {"config.json", "every option, the data set, seed, threads, nabla version, start and end time"},
      {"history.csv", "loss, accuracy, learning rate and speed per epoch"},
      {"curves.svg", "loss and accuracy per epoch"},
      {"confusion_matrix.svg", "test confusion matrix (classification)"},
      {"report.html", "this report"},
  };
  return files;
}

std::string default_run_name(const std::string& data, const std::string& model) {
  std::string spec = model;
  if (!spec.empty() && spec.front() == '{') spec = "json";
  else if (spec.size() > 5 && spec.ends_with(".json")) spec = fs::path(spec).stem().string();
  std::string name;
  for (char c : data + "-" + spec) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_';
    if (keep) name += c;
    else if (!name.empty() && name.back() != '-') name += '-';
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name.empty() ? "run" : name;
}

std::string prepare_run_dir(const std::string& out, const std::string& name, bool force) {
  NABLA_CHECK(!name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos,
              "--name must be a plain directory name, got '", name, "'");
  const fs::path dir = fs::path(out) / name;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    NABLA_CHECK(fs::is_directory(dir, ec), "'", dir.string(), "' exists and is not a directory");
    NABLA_CHECK(force, "run directory '", dir.string(),
                "' already exists; pass --force to overwrite it, --resume ", dir.string(),
                " to continue it, or --name to choose another");
    for (const auto& [file, what] : run_files()) fs::remove(dir / file, ec);
  }
  fs::create_directories(dir, ec);
  NABLA_CHECK(!ec && fs::is_directory(dir), "cannot create run directory '", dir.string(), "': ", ec.message());
  return dir.string();
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos) return one_line(line.substr(colon + 1));
  }
  return "unknown";
}

namespace {

// OpenBLAS's build description, looked up in the running process (nabla links OpenBLAS), so the
// tool needs neither its headers nor a link dependency of its own.
std::string openblas_config() {
  using ConfigFn = char* (*)();
  void* symbol = dlsym(RTLD_DEFAULT, "openblas_get_config");
  if (!symbol) return "not found in the process";
  const char* text = reinterpret_cast<ConfigFn>(symbol)();
  return text ? one_line(text) : "unknown";
}

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("GCC ") + __VERSION__;
#else
  return "unknown";
#endif
}

}  // namespace

std::vector<std::pair<std::string, std::string>> environment() {
  return {{"nabla", NABLA_VERSION},
          {"compiler", compiler()},
          {"CPU", cpu_model()},
          {"threads", std::to_string(get_num_threads())},
          {"OpenBLAS", openblas_config()},
          {"date", now_text()}};
}

}  // namespace nabla::cli
