// `nabla`: train, evaluate and inspect models from the command line, built only from the
// library's public headers, as any user's program would be:
//
//   nabla train --model mlp:256,128 --data fashion-mnist --epochs 10
//   nabla eval --checkpoint runs/fashion-mnist-mlp-256-128/model.safetensors
//   nabla predict --checkpoint runs/.../model.safetensors --input images.idx.gz --output pred.csv
//   nabla summary --model mlp:256,128 --data fashion-mnist
//
// Exit status: 0 on success, 1 for an error while running (one line `nabla: error: ...` on
// stderr), 2 for a command line that does not parse. Every error is caught here, so the tool
// never ends with an uncaught exception or a signal.
#include "commands.hpp"
#include "format.hpp"

#include <nabla/error.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <new>
#include <string>
#include <vector>

namespace {

// nabla::Error messages end with the check's location, "[io/spec.cpp:116]" for the library's;
// the tool's own carry the full path of the source file, cut here to "[apps/nabla/x.cpp:42]".
std::string shorten_location(std::string message) {
  const size_t open = message.rfind(" [");
  const size_t apps = message.find("apps/nabla/", open == std::string::npos ? message.size() : open);
  if (open != std::string::npos && apps != std::string::npos && message.back() == ']')
    message.erase(open + 2, apps - (open + 2));
  return message;
}

int report_error(const std::string& message, int status) {
  std::cout.flush();
  std::cerr << "nabla: error: " << shorten_location(nabla::cli::one_line(message)) << std::endl;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe (`nabla datasets | head -1`) is not a reason to die by a signal
  try {
    CLI::App app{"nabla: train, evaluate and inspect neural networks (a C++20 deep-learning framework)", "nabla"};
    app.set_version_flag("--version", std::string("nabla ") + NABLA_VERSION);
    app.require_subcommand(1);
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last one wins
    std::vector<nabla::cli::Command> commands = {
        nabla::cli::add_train(app),   nabla::cli::add_eval(app),     nabla::cli::add_predict(app),
        nabla::cli::add_summary(app), nabla::cli::add_datasets(app), nabla::cli::add_gradcheck(app)};
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
      std::string where = "nabla";
      for (const CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
      return report_error(std::string(e.what()) + " (see `" + where + " --help`)", 2);
    }
    for (const nabla::cli::Command& command : commands)
      if (command.app->parsed()) return command.run();
    return report_error("no subcommand given (see `nabla --help`)", 2);
  } catch (const std::bad_alloc&) {
    return report_error("out of memory", 1);
  } catch (const std::exception& e) {
    return report_error(e.what(), 1);
  } catch (...) {
    return report_error("unknown error", 1);
  }
}
