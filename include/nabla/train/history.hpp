// The History of a training run: one EpochRecord per epoch (losses, accuracies, learning rate,
// speed), what fit() returns, what callbacks monitor, and what history.csv holds.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace nabla::train {

/// One epoch's numbers. NaN marks a value not measured in this run (no validation loader, or
/// an accuracy in a regression run).
struct EpochRecord {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();

  int64_t epoch = 0;          // 1-based, as printed ("epoch 3/10")
  double train_loss = nan;    // per-sample mean over the epoch (the weights changing meanwhile)
  double train_acc = nan;     // classification only
  double val_loss = nan;      // with a validation loader and
  double val_acc = nan;       //   for classification, after the epoch's last update
  double lr = nan;            // learning rate of parameter group 0 at the start of the epoch
  double seconds = 0;         // the whole epoch, validation included
  double samples_per_second = 0;  // training examples / training time
  /// Further validation metrics: "val_top5_acc", "val_macro_f1" (classification) or "val_mse",
  /// "val_mae", "val_r2" (regression).
  std::map<std::string, double> extra{};

  /// The metric called `name` (a field above or a key of extra) when it was measured.
  bool has(const std::string& name) const;
  /// The metric called `name`; throws nabla::Error listing the measured names when absent.
  double get(const std::string& name) const;
  /// The names of every measured metric, fields first.
  std::vector<std::string> names() const;
};

class History {
public:
  void append(EpochRecord record) { records_.push_back(std::move(record)); }
  const std::vector<EpochRecord>& records() const { return records_; }
  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  const EpochRecord& operator[](size_t i) const { return records_.at(i); }
  const EpochRecord& back() const;

  /// One value of metric `name` per epoch (NaN where it was not measured).
  std::vector<double> values(const std::string& name) const;

  /// CSV with a header: epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,
  /// samples_per_second, then the extra metrics' names sorted. Numbers are written in their
  /// shortest exact form; an unmeasured value is an empty field.
  void write_csv(std::ostream& out) const;
  std::string to_csv() const;
  /// Writes to_csv() to `path`; an error names the path.
  void save_csv(const std::string& path) const;

  /// The records as a JSON array (unmeasured values as null), exact for every double: the form
  /// training checkpoints keep. from_json reads it back; a malformed text is a nabla::Error.
  std::string to_json() const;
  static History from_json(const std::string& json);

private:
  std::vector<EpochRecord> records_;
};

}  // namespace nabla::train
