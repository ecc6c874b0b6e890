// Logistic/softmax regression and the MLP builder: thin compositions of Linear and the
// activation modules, named so their state dicts match the equivalent PyTorch models.
#include <nabla/nn/activation.hpp>
#include <nabla/nn/basic.hpp>
#include <nabla/nn/dropout.hpp>
#include <nabla/nn/models.hpp>

#include <functional>
#include <map>

namespace nabla::nn {

LogisticRegression::LogisticRegression(int64_t in_features, Generator* generator) {
  linear = register_module("linear", std::make_shared<Linear>(in_features, 1, true, generator));
}

Tensor LogisticRegression::forward(const Tensor& input) { return linear->forward(input); }

Tensor LogisticRegression::predict_proba(const Tensor& input) { return forward(input).sigmoid(); }

SoftmaxRegression::SoftmaxRegression(int64_t in_features, int64_t num_classes, Generator* generator) {
  NABLA_CHECK(num_classes >= 2, "SoftmaxRegression: needs at least 2 classes, got ", num_classes);
  linear = register_module("linear", std::make_shared<Linear>(in_features, num_classes, true, generator));
}

Tensor SoftmaxRegression::forward(const Tensor& input) { return linear->forward(input); }

Tensor SoftmaxRegression::predict_proba(const Tensor& input) { return forward(input).softmax(-1); }

std::shared_ptr<Module> make_activation(const std::string& name) {
  static const std::map<std::string, std::function<std::shared_ptr<Module>()>> makers = {
      {"relu", [] { return std::make_shared<ReLU>(); }},
      {"tanh", [] { return std::make_shared<Tanh>(); }},
      {"sigmoid", [] { return std::make_shared<Sigmoid>(); }},
      {"leaky_relu", [] { return std::make_shared<LeakyReLU>(); }},
      {"elu", [] { return std::make_shared<ELU>(); }},
      {"gelu", [] { return std::make_shared<GELU>("none"); }},
      {"gelu_tanh", [] { return std::make_shared<GELU>("tanh"); }},
      {"softplus", [] { return std::make_shared<Softplus>(); }},
      {"step", [] { return std::make_shared<Step>(); }},
      {"softmax", [] { return std::make_shared<Softmax>(1); }},
      {"log_softmax", [] { return std::make_shared<LogSoftmax>(1); }},
      {"identity", [] { return std::make_shared<Identity>(); }},
      {"none", [] { return std::make_shared<Identity>(); }},
  };
  auto it = makers.find(name);
  if (it == makers.end()) {
    std::vector<std::string> known;
    for (const auto& item : makers) known.push_back(item.first);
    NABLA_FAIL("unknown activation '", name, "'; expected one of ", known);
  }
  return it->second();
}

std::shared_ptr<Sequential> mlp(const MLPOptions& options, Generator* generator) {
  const auto& sizes = options.sizes;
  NABLA_CHECK(sizes.size() >= 2, "mlp: sizes needs at least an input and an output size, got ", sizes);
  for (int64_t s : sizes) NABLA_CHECK(s > 0, "mlp: layer sizes must be positive, got ", sizes);
  NABLA_CHECK(options.dropout >= 0.0 && options.dropout < 1.0, "mlp: dropout must be in [0, 1), got ",
              options.dropout);
  make_activation(options.activation);  // validate names before building anything
  make_activation(options.output_activation);
  auto net = std::make_shared<Sequential>();
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    net->push_back(std::make_shared<Linear>(sizes[i], sizes[i + 1], true, generator));
    const bool last = i + 2 == sizes.size();
    if (!last) {
      net->push_back(make_activation(options.activation));
      // Dropout draws its masks from the default generator: `generator` is for the initial
      // weights only and need not outlive the model (a Dropout would keep the pointer).
      if (options.dropout > 0.0) net->push_back(std::make_shared<Dropout>(options.dropout));
    } else if (options.output_activation != "none") {
      net->push_back(make_activation(options.output_activation));
    }
  }
  return net;
}

}  // namespace nabla::nn
