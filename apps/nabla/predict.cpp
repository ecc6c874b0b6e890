// `nabla predict`: a checkpoint applied to the examples of a file. Inputs: IDX images (gzipped
// or not), CSV feature rows (header optional), or safetensors (the tensor "input", or the only
// one). Outputs by extension: CSV (index, predicted class, one probability per class; the
// outputs for regression) or safetensors ("output", and "predicted" / "probabilities" for
// classification). Inputs are checked against the model's input shape first.
#include "commands.hpp"
#include "data.hpp"
#include "format.hpp"

#include <nabla/data/csv.hpp>
#include <nabla/data/idx.hpp>
#include <nabla/data/transforms.hpp>
#include <nabla/io/checkpoint.hpp>
#include <nabla/io/safetensors.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace nabla::cli {
namespace {

using nlohmann::json;

struct PredictArgs {
  std::string checkpoint, input, output;
  int64_t batch_size = 512;
  int threads = 0;
};

bool ends_with(std::string text, const std::string& suffix) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text.ends_with(suffix);
}

// Whether the first non-blank line of a CSV file has a field that is not a number (a header).
bool csv_has_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  NABLA_CHECK(in.good(), "cannot open input '", path, "'");
  std::string line;
  while (std::getline(in, line) && one_line(line).empty()) {}
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line = line.substr(3);
  std::string field;
  std::istringstream fields(line);
  while (std::getline(fields, field, ',')) {
    field = one_line(field);
    double value = 0;
    const char* end = field.data() + field.size();
    const auto [ptr, ec] = std::from_chars(field.data(), end, value);
    if (field.empty() || ec != std::errc() || ptr != end) return true;
  }
  return false;
}

Tensor read_input(const std::string& path) {
  NABLA_CHECK(std::filesystem::is_regular_file(path), "input file '", path, "' does not exist");
  if (ends_with(path, ".csv")) {
    data::CsvOptions options;
    options.header = csv_has_header(path);
    options.has_label = false;
    return data::read_csv(path, options).features;
  }
  if (ends_with(path, ".safetensors")) {
    const io::SafetensorsFile file = io::read_safetensors(path);
    for (const auto& [name, t] : file.tensors)
      if (name == "input") return t;
    std::vector<std::string> names;
    for (const auto& item : file.tensors) names.push_back(item.first);
    NABLA_CHECK(file.tensors.size() == 1, "'", path, "' holds the tensors ", names,
                "; name the one to predict on \"input\" (or keep only one)");
    return file.tensors[0].second;
  }
  return data::read_idx(path);  // .idx / -ubyte / .gz: the reader checks the format
}

// (N, input_shape...) float32 from the file's tensor, whose examples must hold as many values
// as the model's (so IDX (N, 28, 28) and CSV (N, 784) rows fit a (1, 28, 28) model).
Tensor fit_to_model(const Tensor& raw, const Shape& input_shape, const std::string& path) {
  NABLA_CHECK(raw.ndim() >= 1, "'", path, "' holds a 0-d tensor; expected examples along dim 0");
  const Shape example(raw.shape().begin() + 1, raw.shape().end());
  const int64_t want = shape_numel(input_shape), have = shape_numel(example);
  NABLA_CHECK(have == want, "'", path, "' holds ", raw.size(0), " examples of shape ", shape_text(example), " (",
              have, " values each) but the model takes examples of shape ", shape_text(input_shape), " (", want,
              " values)");
  Shape shape = input_shape;
  shape.insert(shape.begin(), raw.size(0));
  Tensor x = raw.dtype() == uint8 ? data::scale_to_unit(raw) : raw.to(float32);
  return x.reshape(shape);
}

std::string float_text(float value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// A CSV field, quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

void write_csv(const std::string& path, const Tensor& output, bool classification,
               const std::vector<std::string>& names) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  NABLA_CHECK(out.good(), "cannot write output '", path, "'");
  const int64_t n = output.size(0), k = output.numel() / std::max<int64_t>(n, 1);
  const Tensor values = classification ? output.softmax(1) : output.reshape({n, k});
  out << "index";
  if (classification) out << ",predicted";
  for (int64_t c = 0; c < k; ++c) {
    const std::string name = static_cast<size_t>(c) < names.size() ? names[static_cast<size_t>(c)] : std::to_string(c);
    out << "," << csv_field(classification ? "p_" + name : "output_" + std::to_string(c));
  }
  out << "\n";
  const std::vector<float> v = values.contiguous().to_vector<float>();
  const std::vector<int64_t> predicted =
      classification ? output.argmax(1).to_vector<int64_t>() : std::vector<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    out << i;
    if (classification) out << "," << predicted[static_cast<size_t>(i)];
    for (int64_t c = 0; c < k; ++c) out << "," << float_text(v[static_cast<size_t>(i * k + c)]);
    out << "\n";
  }
  out.flush();
  NABLA_CHECK(out.good(), "writing output '", path, "' failed (disk full?)");
}

int run_predict(const PredictArgs& args) {
  apply_threads(args.threads);
  const bool to_csv = ends_with(args.output, ".csv");
  NABLA_CHECK(to_csv || ends_with(args.output, ".safetensors"), "--output must end in .csv or .safetensors, got '",
              args.output, "'");
  const io::LoadedModel loaded = io::load_model(args.checkpoint);
  json config = json::object();
  if (!loaded.info.config.empty()) config = json::parse(loaded.info.config, nullptr, false);
  if (config.is_discarded() || !config.is_object()) config = json::object();
  const bool classification = config.value("task", std::string(loaded.info.num_outputs > 1 ? "classification"
                                                                                            : "regression")) ==
                              "classification";
  const std::vector<std::string> names = config.value("class_names", std::vector<std::string>{});

  const Tensor x = fit_to_model(read_input(args.input), loaded.info.input_shape, args.input);
  const auto inputs = std::make_shared<data::TensorDataset>(x, Tensor());
  const Tensor output = model_outputs(*loaded.model, inputs, args.batch_size);
  if (to_csv) {
    write_csv(args.output, output, classification, names);
  } else {
    std::vector<std::pair<std::string, Tensor>> tensors = {{"output", output}};
    if (classification) {
      tensors.emplace_back("predicted", output.argmax(1));
      tensors.emplace_back("probabilities", output.softmax(1));
    }
    io::write_safetensors(args.output, tensors, {{"nabla.checkpoint", args.checkpoint}});
  }
  std::cout << "predicted " << grouped(x.size(0)) << " examples (" << (classification ? "classification" : "regression")
            << ") -> " << args.output << std::endl;
  return 0;
}

}  // namespace

Command add_predict(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("predict", "Apply a checkpoint to the examples of an IDX, CSV or safetensors "
                                                "file; write CSV or safetensors");
  auto args = std::make_shared<PredictArgs>();
  sub->add_option("--checkpoint", args->checkpoint, "a checkpoint written by nabla train")->required();
  sub->add_option("--input", args->input, "IDX images (.gz or not; uint8 scaled to [0, 1]), CSV feature rows (header "
                  "optional), or safetensors (tensor \"input\" or the only one)")
      ->required();
  sub->add_option("--output", args->output, "predictions: FILE.csv or FILE.safetensors")->required();
  sub->add_option("--batch-size", args->batch_size, "examples per batch")->capture_default_str();
  add_threads_option(*sub, args->threads);
  return {sub, [args] { return run_predict(*args); }};
}

}  // namespace nabla::cli
