// `nabla datasets`: the built-in data sets (name, description, source) and whether
// Fashion-MNIST is installed.
#include "commands.hpp"

#include <nabla/data/builtin.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

namespace nabla::cli {
namespace {

int run_datasets() {
  size_t width = 4;
  for (const data::DatasetInfo& info : data::builtin_datasets()) width = std::max(width, info.name.size());
  const std::string indent(width + 2, ' ');
  std::cout << "name" << std::string(width - 2, ' ') << "description / source\n"
            << std::string(width + 2 + 20, '-') << "\n";
  for (const data::DatasetInfo& info : data::builtin_datasets())
    std::cout << info.name << std::string(width + 2 - info.name.size(), ' ') << info.description << "\n"
              << indent << "source: " << info.source << "\n";
  std::cout << "\nfashion-mnist: ";
  if (data::fashion_mnist_available())
    std::cout << "installed in " << data::fashion_mnist_dir << "\n";
  else
    std::cout << "not installed (expected in " << data::fashion_mnist_dir
              << "; sudo apt-get install dataset-fashion-mnist, or make demo)\n";
  std::cout << "\nuse one with: nabla train --model mlp:64 --data NAME" << std::endl;
  return 0;
}

}  // namespace

Command add_datasets(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("datasets", "List the built-in data sets");
  return {sub, [] { return run_datasets(); }};
}

}  // namespace nabla::cli
