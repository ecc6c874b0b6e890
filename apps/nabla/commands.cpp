// Options shared by the subcommands that run a model.
#include "commands.hpp"

#include <nabla/error.hpp>
#include <nabla/tensor.hpp>

#include <CLI/CLI.hpp>

namespace nabla::cli {

void add_threads_option(CLI::App& sub, int& threads) {
  sub.add_option("--threads", threads, "threads (0: nabla's default; results do not depend on it)");
}

void apply_threads(int threads) {
  NABLA_CHECK(threads >= 0, "--threads must be >= 0 (0: the default), got ", threads);
  if (threads > 0) set_num_threads(threads);
}

}  // namespace nabla::cli
