// Output formatting for the command-line tool: tables, numbers, shapes, times, one-line errors.
#include "format.hpp"

#include <nabla/error.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace nabla::cli {

std::string one_line(const std::string& message) {
  std::string out;
  bool space = false;
  for (char c : message) {
    const bool blank = c == '\n' || c == '\r' || c == '\t' || c == ' ' || c == '\v' || c == '\f';
    if (blank) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string fixed(double value, int digits) {
  if (std::isnan(value)) return "nan";
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << value;
  return os.str();
}

std::string percent(double fraction, int digits) {
  if (std::isnan(fraction)) return "nan";
  return fixed(100.0 * fraction, digits) + "%";
}

std::string grouped(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 3) {
    bytes /= 1024.0;
    ++unit;
  }
  return unit == 0 ? fixed(bytes, 0) + " B" : fixed(bytes, 1) + " " + units[unit];
}

std::string shape_text(const Shape& shape, bool batch) {
  std::string out = "(";
  if (batch) out += "N";
  for (size_t i = 0; i < shape.size(); ++i) out += (i > 0 || batch ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 && !batch ? ",)" : ")");
}

std::string number_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string now_text() {
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S %z", &local);
  return buffer;
}

Table::Table(std::vector<std::string> headers, std::vector<bool> numeric)
    : headers_(std::move(headers)), numeric_(std::move(numeric)) {
  numeric_.resize(headers_.size(), false);
}

void Table::add_row(std::vector<std::string> cells) {
  NABLA_CHECK(cells.size() == headers_.size(), "Table: a row has ", cells.size(), " cells but the table has ",
              headers_.size(), " columns");
  rows_.push_back(std::move(cells));
}

void Table::add_rule() { rows_.emplace_back(); }

void Table::print(std::ostream& out, const std::string& indent) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) width[c] = headers_[c].size();
  for (const auto& row : rows_)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  size_t total = 0;
  for (size_t w : width) total += w;
  total += 2 * (width.empty() ? 0 : width.size() - 1);

  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line = indent;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      const bool last = c + 1 == cells.size();
      line += numeric_[c] ? pad + cells[c] : cells[c] + (last ? "" : pad);
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  print_row(headers_);
  out << indent << std::string(total, '-') << '\n';
  for (const auto& row : rows_) {
    if (row.empty()) out << indent << std::string(total, '-') << '\n';
    else print_row(row);
  }
}

}  // namespace nabla::cli
