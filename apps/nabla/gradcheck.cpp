// `nabla gradcheck`: checks backprop through a model spec against finite differences. The model
// is built in float64 with random inputs and targets; nabla's gradcheck then compares the
// gradient of the loss with central differences for every parameter tensor and for the input,
// one tensor at a time, and one line per tensor reports the largest error. Dropout is off (eval
// mode); batch norm stays in training mode, so its batch statistics are checked too.
#include "commands.hpp"
#include "data.hpp"
#include "format.hpp"

#include <nabla/gradcheck.hpp>
#include <nabla/io/spec.hpp>
#include <nabla/nn/conv.hpp>
#include <nabla/nn/linear.hpp>
#include <nabla/nn/normalization.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace nabla::cli {
namespace {

struct GradcheckArgs {
  std::string model, input_shape;
  DataConfig data;
  int64_t outputs = 0;
  int64_t batch = 3;
  uint64_t seed = 0;
  GradcheckOptions options{.raise = false};
};

// A parameter as the model's forward reads it: the member of its layer, so that gradcheck's
// float64 leaf can stand in for it.
struct Slot {
  std::string name;
  Tensor* member;
};

using Members = std::vector<std::pair<std::string, Tensor*>>;

template <typename Layer>
Members weight_and_bias(Layer& layer) {
  return {{"weight", &layer.weight}, {"bias", &layer.bias}};
}

// The tensors a layer's forward reads, under the names it registers them by (parameters and
// buffers); empty for layers without any.
Members layer_members(nn::Module& m) {
  if (auto* l = dynamic_cast<nn::Linear*>(&m)) return weight_and_bias(*l);
  if (auto* c = dynamic_cast<nn::Conv1d*>(&m)) return weight_and_bias(*c);
  if (auto* c = dynamic_cast<nn::Conv2d*>(&m)) return weight_and_bias(*c);
  if (auto* c = dynamic_cast<nn::Conv3d*>(&m)) return weight_and_bias(*c);
  if (auto* t = dynamic_cast<nn::ConvTranspose1d*>(&m)) return weight_and_bias(*t);
  if (auto* t = dynamic_cast<nn::ConvTranspose2d*>(&m)) return weight_and_bias(*t);
  if (auto* t = dynamic_cast<nn::ConvTranspose3d*>(&m)) return weight_and_bias(*t);
  if (auto* ln = dynamic_cast<nn::LayerNorm*>(&m)) return weight_and_bias(*ln);
  if (auto* bn = dynamic_cast<nn::BatchNorm*>(&m)) {
    Members members = weight_and_bias(*bn);
    members.insert(members.end(), {{"running_mean", &bn->running_mean}, {"running_var", &bn->running_var}});
    return members;
  }
  return {};
}

// Moves every layer's floating tensors to float64 and returns the parameters as slots, in
// state_dict order. A layer whose parameters are not reachable as members is refused by name.
std::vector<Slot> float64_parameter_slots(nn::Module& model) {
  std::vector<Slot> slots;
  for (const auto& [name, module] : model.named_modules()) {
    const Members members = layer_members(*module);
    const auto params = module->named_parameters(false);
    auto is_parameter = [&](const std::string& member) {
      return std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.first == member; });
    };
    for (const auto& [param, tensor] : params) {
      const bool known =
          std::any_of(members.begin(), members.end(), [&param = param](const auto& m) { return m.first == param; });
      NABLA_CHECK(known, "gradcheck: layer '", name, "' (", module->type_name(), ") has the parameter '", param,
                  "', which gradcheck cannot reach; it checks Linear, Conv*, ConvTranspose*, BatchNorm* and "
                  "LayerNorm parameters");
    }
    for (const auto& [member, tensor] : members) {
      if (!tensor->defined() || !is_floating(tensor->dtype())) continue;
      *tensor = tensor->detach().to(float64);
      if (is_parameter(member)) slots.push_back({name + "." + member, tensor});
    }
  }
  return slots;
}

int run_gradcheck(const GradcheckArgs& args) {
  NABLA_CHECK(args.batch >= 1, "--batch must be >= 1, got ", args.batch);
  NABLA_CHECK(!args.model.empty(), "--model is required");
  const ModelTarget target = model_target(args.data, args.input_shape, args.outputs);
  Generator generator(args.seed);
  const io::BuiltModel built =
      io::build_sequential(io::resolve_spec(args.model), target.input_shape, target.num_outputs, &generator);
  nn::Module& model = *built.model;
  model.eval();  // no dropout: the function must be deterministic
  // Batch norm in training mode is deterministic too, and its batch statistics are worth checking.
  model.apply([](nn::Module& m) {
    if (dynamic_cast<nn::BatchNorm*>(&m)) m.train(true);
  });
  std::vector<Slot> slots = float64_parameter_slots(model);

  Shape x_shape = target.input_shape;
  x_shape.insert(x_shape.begin(), args.batch);
  const Tensor x = randn(x_shape, generator, float64);
  // Without a number of outputs (an image-to-image model) the targets are images of the output's shape.
  const train::Task task = target.num_outputs > 0 ? target.task : train::Task::Regression;
  Shape y_shape = built.output_shape;
  y_shape.insert(y_shape.begin(), args.batch);
  const Tensor y = task == train::Task::Classification ? randint(0, target.num_outputs, {args.batch}, generator)
                                                       : randn(y_shape, generator, float64);
  const train::LossFn loss = loss_for(task);

  std::cout << "gradcheck " << args.model << ": float64, batch " << args.batch << ", input "
            << shape_text(target.input_shape, true) << ", output " << shape_text(built.output_shape, true) << ", "
            << task_text(task) << " loss; eps " << number_text(args.options.eps) << ", atol "
            << number_text(args.options.atol) << ", rtol " << number_text(args.options.rtol) << "\n\n";
  Table table({"tensor", "shape", "elements", "max abs error", "result"}, {false, false, true, true, false});
  std::vector<std::string> failures;
  auto record = [&](const std::string& name, const Tensor& t, const GradcheckResult& r) {
    std::ostringstream error;
    error << std::setprecision(2) << std::scientific << r.max_abs_error;
    table.add_row({name, shape_text(t.shape()), grouped(t.numel()), error.str(), r.ok ? "ok" : "FAILED"});
    if (!r.ok) failures.push_back(name + ": " + r.message);
  };
  for (Slot& slot : slots) {
    auto fn = [&](const std::vector<Tensor>& inputs) {
      const Tensor saved = *slot.member;
      *slot.member = inputs[0];
      Tensor out = loss(model.forward(x), y);
      *slot.member = saved;
      return out;
    };
    record(slot.name, *slot.member, gradcheck(fn, {*slot.member}, args.options));
  }
  auto input_fn = [&](const std::vector<Tensor>& inputs) { return loss(model.forward(inputs[0]), y); };
  record("input", x, gradcheck(input_fn, {x}, args.options));
  table.print(std::cout);
  std::cout << std::endl;
  const size_t checked = slots.size() + 1;
  NABLA_CHECK(failures.empty(), "gradcheck failed for ", failures.size(), " of ", checked, " tensors; first: ",
              failures.front());
  std::cout << "all " << checked << " gradient checks passed" << std::endl;
  return 0;
}

}  // namespace

Command add_gradcheck(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("gradcheck", "Compare a model's backprop gradients with finite differences "
                                                  "(float64); exit 1 when any differs");
  auto args = std::make_shared<GradcheckArgs>();
  sub->add_option("--model", args->model, "model spec, e.g. mlp:8:act=tanh");
  add_data_options(*sub, args->data, false);
  sub->add_option("--input-shape", args->input_shape, "per-example input shape, e.g. 2 or 1,28,28");
  sub->add_option("--outputs", args->outputs, "number of outputs (classes); omit for an image-to-image model");
  sub->add_option("--batch", args->batch, "random examples")->capture_default_str();
  sub->add_option("--seed", args->seed, "seed of the weights, inputs and targets")->capture_default_str();
  sub->add_option("--eps", args->options.eps, "finite-difference step")->capture_default_str();
  sub->add_option("--atol", args->options.atol, "absolute tolerance")->capture_default_str();
  sub->add_option("--rtol", args->options.rtol, "relative tolerance")->capture_default_str();
  return {sub, [args] { return run_gradcheck(*args); }};
}

}  // namespace nabla::cli
