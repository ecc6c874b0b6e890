// CSV files as (features, targets) tensors: an optional header row, any one-character
// delimiter, quoted fields (RFC 4180: "a, b" and doubled "" quotes), one label column chosen by
// name or position. Every error names the file, the line (1-based, as an editor shows it) and
// the column (1-based, with its header name).
//
//   auto iris = data::read_csv("iris.csv", {.label_name = "species"});
//   // iris.features (150, 4) float32, iris.targets (150,) int64,
//   // iris.class_names {"setosa", "versicolor", "virginica"}: class i is class_names[i]
#pragma once

#include <nabla/tensor.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace nabla::data {

/// How the label column becomes targets.
enum class CsvLabels {
  /// Any non-numeric label → Classes; all non-negative integers → int64 class indices equal to
  /// the values (class_names "0" .. "max"; a max of 2^20 or more is an error); otherwise → Values.
  Auto,
  /// Every distinct label is a class; classes are numbered in sorted order (numerically when
  /// all labels are numbers, else by byte-wise string comparison), and class_names gives it.
  Classes,
  /// Regression targets: float32 numbers.
  Values,
};

struct CsvOptions {
  char delimiter = ',';
  bool header = true;          // the first non-blank row names the columns
  std::string label_name{};    // the label column by header name; empty: use label_index
  int64_t label_index = -1;    // the label column by 0-based position; negative counts from the end
  bool has_label = true;       // false: every column is a feature and targets stay undefined
  CsvLabels labels = CsvLabels::Auto;
};

struct CsvData {
  Tensor features{};                         // (N, F) float32
  Tensor targets{};                          // (N,) int64 class indices or float32 values
  std::vector<std::string> feature_names{};  // header names, or "column 1", "column 2", ...
  std::string label_name{};
  std::vector<std::string> class_names{};    // class i's label; empty for regression values
};

/// Reads a CSV file. Blank lines are skipped; a UTF-8 byte-order mark is ignored; CRLF line
/// endings are accepted. Errors (nabla::Error, never a crash): a missing or empty file, a file
/// with no data rows, a row with a different number of fields than the first (ragged), an
/// empty, non-numeric or non-finite feature cell, an unterminated quote, a label column that
/// does not exist.
CsvData read_csv(const std::string& path, const CsvOptions& options = {});
/// The same reader over a file's text already in memory; `name` stands for the path in errors.
CsvData parse_csv(std::string_view text, const std::string& name = "<memory>", const CsvOptions& options = {});

}  // namespace nabla::data
