// The run directory of `nabla train` (OUT/NAME/): its default name, its creation (refusing to
// overwrite a run unless --force), the files a run holds, and the environment a run records
// (nabla version, compiler, CPU model, threads, OpenBLAS, date) in config.json and its report.
#pragma once

#include "config.hpp"

#include <string>
#include <utility>
#include <vector>

namespace nabla::cli {

/// The files of a run directory and what each holds, in the order the report lists them.
const std::vector<std::pair<std::string, std::string>>& run_files();

/// `<data>-<model spec>` with every character outside [A-Za-z0-9._] turned into '-', runs of
/// '-' merged ("fashion-mnist-mlp-256-128"); a JSON spec file contributes its file stem, inline
/// JSON the word "json".
std::string default_run_name(const std::string& data, const std::string& model);

/// Creates OUT/NAME for a new run. An existing directory is an error naming it unless `force`,
/// which removes the files of run_files() (and nothing else) from it first.
std::string prepare_run_dir(const std::string& out, const std::string& name, bool force);

/// Name/value pairs describing the machine and build: nabla, compiler, CPU, threads, OpenBLAS, date.
std::vector<std::pair<std::string, std::string>> environment();

/// The first "model name" line of /proc/cpuinfo ("unknown" when there is none).
std::string cpu_model();

}  // namespace nabla::cli
