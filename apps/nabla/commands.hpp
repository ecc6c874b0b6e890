// The subcommands of the `nabla` tool. Each add_* registers its options on the main CLI11 app
// and returns the subcommand with the function that runs it after parsing (main catches what
// it throws and turns it into one `nabla: error: ...` line).
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace nabla::cli {

struct Command {
  CLI::App* app = nullptr;     // the subcommand, to see whether it was given
  std::function<int()> run{};  // the exit status
};

Command add_train(CLI::App& app);      // train.cpp
Command add_eval(CLI::App& app);       // eval.cpp
Command add_predict(CLI::App& app);    // predict.cpp
Command add_summary(CLI::App& app);    // summary.cpp
Command add_datasets(CLI::App& app);   // datasets.cpp
Command add_gradcheck(CLI::App& app);  // gradcheck.cpp

/// `--threads N` on a subcommand that runs a model (0: nabla's default). commands.cpp
void add_threads_option(CLI::App& sub, int& threads);
/// Sets nabla's thread count from a --threads value (0 leaves the default).
void apply_threads(int threads);

}  // namespace nabla::cli
