// Output formatting shared by the subcommands: aligned text tables, numbers as people read them
// (percentages, thousands separators, KiB/MiB), shapes, timestamps, and the squeezing of a
// multi-line error message into the single line `nabla: error: ...` that main prints.
#pragma once

#include <nabla/shape.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace nabla::cli {

/// `message` on one line: line breaks and runs of white space become single spaces, and the
/// blank ends are trimmed ("a\n  b\n" -> "a b").
std::string one_line(const std::string& message);

/// `value` with `digits` digits after the point ("0.3312"); NaN prints as "nan".
std::string fixed(double value, int digits);
/// A fraction as a percentage with `digits` decimals ("88.61%").
std::string percent(double fraction, int digits = 2);
/// An integer with thousands separators ("101,770").
std::string grouped(int64_t value);
/// A byte count in B, KiB, MiB or GiB with one decimal ("3.1 KiB").
std::string human_bytes(double bytes);
/// A shape as "(1, 28, 28)"; a batch shape gets a leading "N" when `batch` is set: "(N, 10)".
std::string shape_text(const Shape& shape, bool batch = false);
/// A number in its shortest form that reads back exactly ("0.001", "1e-08").
std::string number_text(double value);

/// The local time as "2024-05-01 14:03:22 +0200" (ISO 8601 with the UTC offset).
std::string now_text();

/// A text table with a header row, a rule under it, and columns padded to their widest cell.
/// Columns marked numeric are right-aligned.
class Table {
public:
  explicit Table(std::vector<std::string> headers, std::vector<bool> numeric = {});
  void add_row(std::vector<std::string> cells);
  /// A full-width rule between rows (e.g. before a totals row).
  void add_rule();
  void print(std::ostream& out, const std::string& indent = "") const;

private:
  std::vector<std::string> headers_;
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;  // an empty row stands for a rule
};

}  // namespace nabla::cli
