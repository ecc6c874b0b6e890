// evaluate(): a model's metrics over every batch of a loader, in eval mode without a graph.
#include <nabla/autograd.hpp>
#include <nabla/train/metrics.hpp>

namespace nabla::train {
namespace {

// Puts the model back in the mode it had, also when an exception leaves evaluate().
class TrainingModeGuard {
public:
  explicit TrainingModeGuard(nn::Module& model) : model_(model), was_training_(model.is_training()) {}
  ~TrainingModeGuard() { model_.train(was_training_); }
  TrainingModeGuard(const TrainingModeGuard&) = delete;
  TrainingModeGuard& operator=(const TrainingModeGuard&) = delete;

private:
  nn::Module& model_;
  bool was_training_;
};

void fill_classification(Evaluation& e, const Tensor& outputs, const Tensor& targets, int64_t top_k) {
  NABLA_CHECK(outputs.ndim() == 2, "evaluate: classification needs (N, C) model outputs, got shape ",
              outputs.shape());
  e.accuracy = accuracy(outputs, targets);
  e.top_k = top_k;
  e.top_k_accuracy = top_k_accuracy(outputs, targets, top_k);
  e.confusion = confusion_matrix(outputs, targets);
  e.predicted = outputs.argmax(1);
  e.report = classification_report(e.confusion);
}

void fill_regression(Evaluation& e, const Tensor& outputs, const Tensor& targets) {
  e.mse = mean_squared_error(outputs, targets);
  e.mae = mean_absolute_error(outputs, targets);
  e.r2 = r2_score(outputs, targets);
}

}  // namespace

Evaluation evaluate(nn::Module& model, data::DataLoader& loader, const EvaluateOptions& options) {
  NABLA_CHECK(options.top_k >= 1, "evaluate: top_k must be at least 1, got ", options.top_k);
  TrainingModeGuard mode(model);
  NoGradGuard no_grad;
  model.eval();

  Evaluation e;
  e.task = options.task;
  std::vector<Tensor> outputs, targets;
  double loss_sum = 0;
  for (const data::Batch& batch : loader) {
    NABLA_CHECK(batch.target.defined(), "evaluate: the loader's batches have no targets");
    e.task = resolve_task(e.task, batch.target);
    Tensor output = model.forward(batch.input);
    const int64_t n = batch.target.size(0);
    if (options.loss) {
      const Tensor loss = options.loss(output, batch.target);
      NABLA_CHECK(loss.numel() == 1, "evaluate: the loss must be one value (a batch mean), got shape ",
                  loss.shape());
      loss_sum += loss.item() * static_cast<double>(n);
    }
    e.samples += n;
    outputs.push_back(output.detach());
    targets.push_back(batch.target);
  }
  if (e.samples == 0) return e;
  if (options.loss) e.loss = loss_sum / static_cast<double>(e.samples);
  const Tensor all_outputs = cat(outputs, 0), all_targets = cat(targets, 0);
  if (e.task == Task::Classification) fill_classification(e, all_outputs, all_targets, options.top_k);
  else fill_regression(e, all_outputs, all_targets);
  return e;
}

}  // namespace nabla::train
