// CSV reader: a small RFC 4180 tokenizer that remembers the line every field starts on, and
// the conversion of its rows into a float32 feature matrix and a target vector.
#include <nabla/data/csv.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

namespace nabla::data {
namespace {

// Integer labels are class indices below this (CsvLabels::Auto); one name is made per class.
constexpr int64_t kMaxClassIndex = int64_t{1} << 20;

struct Field {
  std::string text;
  int64_t line = 0;  // where the field starts
};

// Splits the file into records of fields. Blank lines are skipped; quoted fields may hold the
// delimiter, doubled quotes and line breaks.
class Tokenizer {
public:
  Tokenizer(std::string_view data, char delimiter, const std::string& path)
      : data_(data), delimiter_(delimiter), path_(path) {}

  // The next non-blank record into `fields` (resized to its field count); false at the end.
  bool next(std::vector<Field>& fields) {
    skip_blank_lines();
    if (pos_ >= data_.size()) return false;
    size_t count = 0;
    for (;;) {
      if (count == fields.size()) fields.emplace_back();
      Field& f = fields[count++];
      f.line = line_;
      f.text.clear();
      read_field(f, count);
      if (pos_ < data_.size() && data_[pos_] == delimiter_) {
        ++pos_;
        continue;
      }
      if (pos_ < data_.size()) {  // at '\n'
        ++pos_;
        ++line_;
      }
      break;
    }
    fields.resize(count);
    return true;
  }

private:
  bool is_space(char c) const { return (c == ' ' || c == '\t' || c == '\r') && c != delimiter_; }

  void skip_blank_lines() {
    while (pos_ < data_.size()) {
      size_t p = pos_;
      while (p < data_.size() && is_space(data_[p])) ++p;
      if (p < data_.size() && data_[p] != '\n') return;
      pos_ = p < data_.size() ? p + 1 : p;
      if (p < data_.size()) ++line_;
    }
  }

  void read_field(Field& f, size_t column) {
    while (pos_ < data_.size() && is_space(data_[pos_])) ++pos_;
    if (pos_ < data_.size() && data_[pos_] == '"') {
      read_quoted(f, column);
      return;
    }
    const size_t start = pos_;
    while (pos_ < data_.size() && data_[pos_] != delimiter_ && data_[pos_] != '\n') ++pos_;
    size_t end = pos_;
    while (end > start && is_space(data_[end - 1])) --end;
    f.text.assign(data_.substr(start, end - start));
  }

  void read_quoted(Field& f, size_t column) {
    const int64_t opened = line_;
    ++pos_;
    for (;;) {
      NABLA_CHECK(pos_ < data_.size(), "read_csv: '", path_, "' line ", opened, ", column ", column,
                  ": unterminated quoted field (the quote opened here is never closed)");
      const char c = data_[pos_];
      if (c == '"') {
        if (pos_ + 1 < data_.size() && data_[pos_ + 1] == '"') {
          f.text += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      if (c == '\n') ++line_;
      f.text += c;
      ++pos_;
    }
    while (pos_ < data_.size() && is_space(data_[pos_])) ++pos_;
    NABLA_CHECK(pos_ >= data_.size() || data_[pos_] == delimiter_ || data_[pos_] == '\n', "read_csv: '", path_,
                "' line ", line_, ", column ", column, ": unexpected character '", data_[pos_],
                "' after a closing quote; expected the delimiter '", delimiter_, "' or the end of the line");
  }

  std::string_view data_;
  char delimiter_;
  const std::string& path_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

std::string read_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  NABLA_CHECK(std::filesystem::exists(status), "read_csv: '", path, "': no such file");
  NABLA_CHECK(!std::filesystem::is_directory(status), "read_csv: '", path, "' is a directory, expected a CSV file");
  std::ifstream in(path, std::ios::binary);
  NABLA_CHECK(in.good(), "read_csv: '", path, "': cannot open for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

// A whole-cell number (a leading '+' allowed). Out-of-range values become +-inf or 0, as strtod
// gives them, so that the caller reports them as non-finite rather than as text.
bool parse_number(std::string_view s, double& value) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (end != s.data() + s.size()) return false;
  if (ec == std::errc::result_out_of_range) value = std::strtod(std::string(s).c_str(), nullptr);
  return ec == std::errc() || ec == std::errc::result_out_of_range;
}

struct Columns {
  std::vector<std::string> names;  // every column's name, for messages
  int64_t label = -1;              // -1: no label column
};

Columns resolve_columns(const std::string& path, const CsvOptions& options, const std::vector<Field>& first) {
  Columns c;
  const auto n = static_cast<int64_t>(first.size());
  for (int64_t i = 0; i < n; ++i)
    c.names.push_back(options.header ? first[static_cast<size_t>(i)].text : "column " + std::to_string(i + 1));
  if (!options.has_label) return c;
  if (!options.label_name.empty()) {
    NABLA_CHECK(options.header, "read_csv: '", path, "': a label column by name ('", options.label_name,
                "') needs a header row; set header = true or give label_index");
    const auto it = std::find(c.names.begin(), c.names.end(), options.label_name);
    NABLA_CHECK(it != c.names.end(), "read_csv: '", path, "' line ", first.front().line, ": no column named '",
                options.label_name, "'; the header has ", c.names);
    c.label = it - c.names.begin();
  } else {
    NABLA_CHECK(options.label_index >= -n && options.label_index < n, "read_csv: '", path, "': label_index ",
                options.label_index, " is out of range for ", n, " columns (expected ", -n, " to ", n - 1, ")");
    c.label = options.label_index < 0 ? options.label_index + n : options.label_index;
  }
  NABLA_CHECK(n >= 2, "read_csv: '", path, "': the only column is the label; expected at least one feature column");
  return c;
}

std::string where(const std::string& path, const Field& f, int64_t column, const Columns& cols) {
  std::ostringstream os;
  os << "read_csv: '" << path << "' line " << f.line << ", column " << column + 1 << " ('"
     << cols.names[static_cast<size_t>(column)] << "')";
  return os.str();
}

std::vector<std::string> numbered_names(int64_t count) {
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(count));  // up to 2^20 names: no regrowth
  for (int64_t i = 0; i < count; ++i) names.push_back(std::to_string(i));
  return names;
}

// The label cells as targets (their lines locate them in messages).
void convert_labels(const std::string& path, const CsvOptions& options, const Columns& cols,
                    const std::vector<Field>& labels, CsvData& out) {
  const auto n = static_cast<int64_t>(labels.size());
  std::vector<double> values(labels.size());
  bool numeric = true, whole = true;
  for (size_t i = 0; i < labels.size(); ++i) {
    double v = 0.0;
    if (!parse_number(labels[i].text, v) || !std::isfinite(v)) {
      numeric = false;
      NABLA_CHECK(options.labels != CsvLabels::Values, where(path, labels[i], cols.label, cols), ": label '",
                  labels[i].text, "' is not a finite number; expected a numeric regression target (labels = Values)");
      continue;
    }
    values[i] = v;
    whole = whole && v >= 0.0 && v <= 9.0e15 && v == std::floor(v);
  }
  // Auto resolves to one of three conversions.
  enum class Kind { Indices, Categories, Values };
  const Kind kind = options.labels == CsvLabels::Values  ? Kind::Values
                    : options.labels == CsvLabels::Classes ? Kind::Categories
                    : !numeric                             ? Kind::Categories
                    : whole                                ? Kind::Indices
                                                           : Kind::Values;
  if (kind == Kind::Values) {
    out.targets = tensor(values, {n}, float32);
    return;
  }
  std::vector<int64_t> classes(labels.size());
  if (kind == Kind::Indices) {
    size_t top = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
      classes[i] = static_cast<int64_t>(values[i]);
      if (classes[i] > classes[top]) top = i;
    }
    // Labels that are ids rather than class numbers (e.g. 1000000) would name a class per number below them.
    NABLA_CHECK(classes[top] < kMaxClassIndex, where(path, labels[top], cols.label, cols), ": label ", classes[top],
                " as a class index would make ", classes[top] + 1, " classes, more than the limit of ", kMaxClassIndex,
                "; read the labels as classes (labels = Classes numbers the distinct labels) or as values");
    out.class_names = numbered_names(classes[top] + 1);
  } else if (numeric) {
    std::map<double, std::string> names;  // numeric order; the first spelling names the class
    for (size_t i = 0; i < labels.size(); ++i) names.emplace(values[i], labels[i].text);
    std::map<double, int64_t> index;
    for (const auto& [v, name] : names) {
      index.emplace(v, static_cast<int64_t>(out.class_names.size()));
      out.class_names.push_back(name);
    }
    for (size_t i = 0; i < labels.size(); ++i) classes[i] = index.at(values[i]);
  } else {
    std::map<std::string, int64_t> index;
    for (const Field& f : labels) index.emplace(f.text, 0);
    for (auto& [name, i] : index) {
      i = static_cast<int64_t>(out.class_names.size());
      out.class_names.push_back(name);
    }
    for (size_t i = 0; i < labels.size(); ++i) classes[i] = index.at(labels[i].text);
  }
  out.targets = tensor(classes, {n}, int64);
}

}  // namespace

CsvData read_csv(const std::string& path, const CsvOptions& options) {
  return parse_csv(read_file(path), path, options);
}

CsvData parse_csv(std::string_view text, const std::string& path, const CsvOptions& options) {
  NABLA_CHECK(options.delimiter != '"' && options.delimiter != '\n' && options.delimiter != '\r',
              "read_csv: the delimiter cannot be a quote or a line break, got code ", int(options.delimiter));
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte-order mark
  Tokenizer tokenizer(text, options.delimiter, path);
  std::vector<Field> fields;
  NABLA_CHECK(tokenizer.next(fields), "read_csv: '", path, "': the file is empty; expected ",
              options.header ? "a header row and " : "", "at least one row of data");
  const Columns cols = resolve_columns(path, options, fields);
  const auto ncols = static_cast<int64_t>(cols.names.size());
  const int64_t first_line = fields.front().line;
  if (options.header && !tokenizer.next(fields)) {
    NABLA_FAIL("read_csv: '", path, "': no data rows after the header on line ", first_line,
               "; expected at least one row of data");
  }
  std::vector<float> features;
  std::vector<Field> labels;
  int64_t rows = 0;
  do {
    NABLA_CHECK(static_cast<int64_t>(fields.size()) == ncols, "read_csv: '", path, "' line ", fields.front().line,
                ": expected ", ncols, " fields like line ", first_line, ", got ", fields.size(), " (ragged row)");
    for (int64_t c = 0; c < ncols; ++c) {
      const Field& f = fields[static_cast<size_t>(c)];
      if (c == cols.label) {
        NABLA_CHECK(!f.text.empty(), where(path, f, c, cols), ": the label is empty (missing value)");
        labels.push_back(f);
        continue;
      }
      NABLA_CHECK(!f.text.empty(), where(path, f, c, cols), ": empty cell (missing value); expected a number");
      double v = 0.0;
      NABLA_CHECK(parse_number(f.text, v), where(path, f, c, cols), ": '", f.text, "' is not a number");
      NABLA_CHECK(std::isfinite(v) && std::abs(v) <= 3.4e38, where(path, f, c, cols), ": '", f.text,
                  "' is not a finite float32 number");
      features.push_back(static_cast<float>(v));
    }
    ++rows;
  } while (tokenizer.next(fields));

  CsvData out;
  const int64_t nfeatures = ncols - (cols.label >= 0 ? 1 : 0);
  out.features = tensor(features, {rows, nfeatures});
  for (int64_t c = 0; c < ncols; ++c) {
    if (c == cols.label)
      out.label_name = cols.names[static_cast<size_t>(c)];
    else
      out.feature_names.push_back(cols.names[static_cast<size_t>(c)]);
  }
  if (cols.label >= 0) convert_labels(path, options, cols, labels, out);
  return out;
}

}  // namespace nabla::data
