// `nabla summary`: a Keras-like table of a model's layers (index, name and type, output shape,
// receptive field and jump for spatial layers, parameters) and its totals: parameters,
// trainable parameters, their size as float32, and the activation memory (every layer's output)
// per example and per batch.
#include "commands.hpp"
#include "data.hpp"
#include "format.hpp"

#include <nabla/io/checkpoint.hpp>
#include <nabla/io/spec.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

namespace nabla::cli {
namespace {

struct SummaryArgs {
  std::string model, checkpoint, input_shape;
  DataConfig data;
  int64_t outputs = 0;
  int64_t batch_size = 64;
};

// "5x5" for a field over two spatial dims, "" for none.
std::string by_dim(const std::vector<int64_t>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "x" : "") + std::to_string(values[i]);
  return out;
}

void print_summary(const std::string& title, nn::Module& model, const io::BuiltModel& layers, const Shape& input_shape,
                   int64_t batch_size) {
  std::cout << title << "\n\n";
  // Receptive field (in input pixels) and jump (input pixels between neighbouring outputs) of
  // the spatial layers; the columns appear only when some layer has them.
  const bool spatial = std::any_of(layers.layers.begin(), layers.layers.end(),
                                   [](const io::BuiltLayer& l) { return !l.receptive_field.empty(); });
  auto row = [&](std::vector<std::string> cells, const std::vector<int64_t>& field, const std::vector<int64_t>& jump) {
    if (spatial) cells.insert(cells.end() - 1, {by_dim(field), by_dim(jump)});
    return cells;
  };
  std::vector<std::string> headers = {"#", "layer", "output shape", "parameters"};
  std::vector<bool> numeric = {true, false, false, true};
  if (spatial) {
    headers.insert(headers.end() - 1, {"receptive field", "jump"});
    numeric.insert(numeric.end() - 1, {true, true});
  }
  Table table(headers, numeric);
  const std::vector<int64_t> ones(input_shape.size() > 1 ? input_shape.size() - 1 : 0, 1);
  table.add_row(row({"", "input", shape_text(input_shape, true), "0"}, ones, ones));
  int64_t activations = 0;  // values per example, summed over every layer's output
  const auto& children = model.named_children();
  for (size_t i = 0; i < layers.layers.size(); ++i) {
    const io::BuiltLayer& layer = layers.layers[i];
    std::string type = layer.type;
    int64_t parameters = 0;
    if (i < children.size() && children[i].first == layer.name) {
      type = children[i].second->type_name();
      parameters = children[i].second->num_parameters();
    }
    table.add_row(row({std::to_string(i), layer.name + " (" + type + ")", shape_text(layer.output_shape, true),
                       grouped(parameters)},
                      layer.receptive_field, layer.jump));
    activations += shape_numel(layer.output_shape);
  }
  table.print(std::cout);
  const int64_t total = model.num_parameters(), trainable = model.num_parameters(true);
  const double per_example = 4.0 * static_cast<double>(activations);
  std::cout << "\nparameters          " << grouped(total) << "\n"
            << "trainable           " << grouped(trainable) << "\n"
            << "non-trainable       " << grouped(total - trainable) << "\n"
            << "size (float32)      " << grouped(4 * total) << " bytes (" << human_bytes(4.0 * total) << ")\n"
            << "activation memory   " << human_bytes(per_example) << " per example, "
            << human_bytes(per_example * static_cast<double>(batch_size)) << " per batch of " << batch_size
            << " (float32, every layer's output)" << std::endl;
}

int run_summary(const SummaryArgs& args) {
  NABLA_CHECK(args.batch_size >= 1, "--batch-size must be >= 1, got ", args.batch_size);
  if (!args.checkpoint.empty()) {
    NABLA_CHECK(args.model.empty() && args.data.name.empty() && args.input_shape.empty() && args.outputs == 0,
                "--checkpoint describes the model itself; do not also give --model, --data, --input-shape or "
                "--outputs");
    const io::LoadedModel loaded = io::load_model(args.checkpoint);
    const io::BuiltModel layers = io::build_sequential(loaded.info.spec, loaded.info.input_shape,
                                                       loaded.info.num_outputs);
    print_summary(args.checkpoint + ": " + loaded.info.spec, *loaded.model, layers, loaded.info.input_shape,
                  args.batch_size);
    return 0;
  }
  NABLA_CHECK(!args.model.empty(), "give --model SPEC (with --data or --input-shape/--outputs) or --checkpoint FILE");
  const ModelTarget target = model_target(args.data, args.input_shape, args.outputs);
  Generator generator(0);
  const io::BuiltModel built =
      io::build_sequential(io::resolve_spec(args.model), target.input_shape, target.num_outputs, &generator);
  const std::string outputs = target.num_outputs > 0 ? std::to_string(target.num_outputs) + " outputs"
                                                     : "output " + shape_text(built.output_shape, true);
  print_summary(args.model + " for input " + shape_text(target.input_shape, true) + " and " + outputs,
                *built.model, built, target.input_shape, args.batch_size);
  return 0;
}

}  // namespace

Command add_summary(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("summary", "Print a model's layers, output shapes, parameters and memory");
  auto args = std::make_shared<SummaryArgs>();
  sub->add_option("--model", args->model, "model spec (with --data, or --input-shape and --outputs)");
  add_data_options(*sub, args->data, false);
  sub->add_option("--input-shape", args->input_shape, "per-example input shape, e.g. 1,28,28");
  sub->add_option("--outputs", args->outputs, "number of outputs (classes); omit for an image-to-image model");
  sub->add_option("--checkpoint", args->checkpoint, "summarise a checkpoint instead");
  sub->add_option("--batch-size", args->batch_size, "batch size for the activation memory")->capture_default_str();
  return {sub, [args] { return run_summary(*args); }};
}

}  // namespace nabla::cli
