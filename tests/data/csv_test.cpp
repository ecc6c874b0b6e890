// CSV reading: headers, delimiters, label columns by name and index, label conversions, RFC 4180
// quoting, and the committed corpus of malformed files (line and column in every message).
#include <nabla/data/csv.hpp>

#include <gmock/gmock.h>
#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace nabla::data {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string corpus = std::string(NABLA_SOURCE_DIR) + "/tests/data/bad/";

class Csv : public nabla::testing::TempDirTest {
protected:
  // Writes `text` to a file and returns its path.
  std::string file(const std::string& text, const std::string& name = "data.csv") {
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string error_of(const std::string& text, const CsvOptions& options = {}) {
    try {
      read_csv(file(text), options);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no exception)";
  }
};

TEST_F(Csv, HeaderAndStringLabelsMappedInSortedOrder) {
  const CsvData d = read_csv(file("x1,x2,species\n1,2,setosa\n3.5,-4,virginica\n5,6e-1,versicolor\n0,0,setosa\n"));
  EXPECT_EQ(d.features.dtype(), float32);
  EXPECT_EQ(d.features.shape(), (Shape{4, 2}));
  EXPECT_EQ(d.features.to_vector<float>(), (std::vector<float>{1, 2, 3.5f, -4, 5, 0.6f, 0, 0}));
  EXPECT_EQ(d.targets.dtype(), int64);
  EXPECT_EQ(d.targets.to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 1, 0}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(d.label_name, "species");
}

TEST_F(Csv, LabelColumnByNameOrIndex) {
  const std::string text = "a,b,c,d\n1,2,3,4\n5,6,7,8\n";
  const CsvData by_name = read_csv(file(text), {.label_name = "b", .labels = CsvLabels::Values});
  EXPECT_EQ(by_name.features.to_vector<float>(), (std::vector<float>{1, 3, 4, 5, 7, 8}));
  EXPECT_EQ(by_name.targets.to_vector<float>(), (std::vector<float>{2, 6}));
  EXPECT_EQ(by_name.feature_names, (std::vector<std::string>{"a", "c", "d"}));
  const CsvData first = read_csv(file(text), {.label_index = 0, .labels = CsvLabels::Values});
  EXPECT_EQ(first.targets.to_vector<float>(), (std::vector<float>{1, 5}));
  const CsvData from_end = read_csv(file(text), {.label_index = -2, .labels = CsvLabels::Values});
  EXPECT_EQ(from_end.label_name, "c");
  EXPECT_EQ(from_end.targets.to_vector<float>(), (std::vector<float>{3, 7}));
}

TEST_F(Csv, NoHeaderOtherDelimitersNoLabel) {
  const CsvData d = read_csv(file("1;2;0\n3;4;1\n"), {.delimiter = ';', .header = false});
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"column 1", "column 2"}));
  EXPECT_EQ(d.label_name, "column 3");
  EXPECT_EQ(d.targets.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  const CsvData tabs = read_csv(file("a\tb\n1.5\t2\n"), {.delimiter = '\t', .has_label = false});
  EXPECT_EQ(tabs.features.shape(), (Shape{1, 2}));
  EXPECT_EQ(tabs.features.to_vector<float>(), (std::vector<float>{1.5f, 2}));
  EXPECT_FALSE(tabs.targets.defined());
}

TEST_F(Csv, AutoLabelKinds) {
  // Non-negative integers stay class indices equal to their values.
  const CsvData ints = read_csv(file("x,y\n1,2\n2,0\n3,5\n"));
  EXPECT_EQ(ints.targets.dtype(), int64);
  EXPECT_EQ(ints.targets.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 5}));
  EXPECT_EQ(ints.class_names, (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
  // Fractions or negatives: regression values.
  const CsvData values = read_csv(file("x,y\n1,2.5\n2,-1\n"));
  EXPECT_EQ(values.targets.dtype(), float32);
  EXPECT_EQ(values.targets.to_vector<float>(), (std::vector<float>{2.5f, -1}));
  EXPECT_TRUE(values.class_names.empty());
  // Classes mode numbers numeric labels in numeric (not string) order.
  const CsvData classes = read_csv(file("x,y\n1,10\n2,2\n3,-1\n4,2\n"), {.labels = CsvLabels::Classes});
  EXPECT_EQ(classes.class_names, (std::vector<std::string>{"-1", "2", "10"}));
  EXPECT_EQ(classes.targets.to_vector<int64_t>(), (std::vector<int64_t>{2, 1, 0, 1}));
}

TEST_F(Csv, QuotingBlankLinesCrlfAndBom) {
  const std::string text =
      "\xEF\xBB\xBF"
      "x1,\"x,2\",label\r\n"
      "\r\n"
      " 1 , \"2.5\" ,\"a, b\"\r\n"
      "3,4,\"say \"\"hi\"\"\"\r\n"
      "\n"
      "+5,6,\"two\nlines\"\n"
      "7,8,plain";  // no final newline
  const CsvData d = read_csv(file(text));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"x1", "x,2"}));
  EXPECT_EQ(d.features.to_vector<float>(), (std::vector<float>{1, 2.5f, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"a, b", "plain", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(d.targets.to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 3, 1}));
}

TEST(CsvInMemory, ParsesTextAsReadCsvReadsAFile) {
  const CsvData csv = parse_csv("\xEF\xBB\xBFx;label\n1;b\n2;a\n", "mem.csv", {.delimiter = ';'});
  EXPECT_EQ(csv.features.to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(csv.class_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_THAT([] { parse_csv("x,y,label\n1,oops,a\n"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("read_csv: '<memory>' line 2, column 2 ('y')")));
}

TEST_F(Csv, LineNumbersCountBlankLinesAndQuotedBreaks) {
  EXPECT_THAT(error_of("a,b,c\n\n1,2,\"x\ny\"\n\n3,bad,z\n"),
              AllOf(HasSubstr("line 6, column 2 ('b')"), HasSubstr("'bad' is not a number")));
}

TEST_F(Csv, LabelAndOptionErrors) {
  EXPECT_THAT(error_of("a,b\n1,2\n", {.label_name = "c"}),
              AllOf(HasSubstr("no column named 'c'"), HasSubstr("[a, b]"), HasSubstr("line 1")));
  EXPECT_THAT(error_of("1,2\n", {.header = false, .label_name = "b"}), HasSubstr("needs a header row"));
  EXPECT_THAT(error_of("a,b\n1,2\n", {.label_index = 2}), HasSubstr("label_index 2 is out of range for 2 columns"));
  EXPECT_THAT(error_of("a,b\n1,2\n", {.label_index = -3}), HasSubstr("expected -2 to 1"));
  EXPECT_THAT(error_of("a\n1\n"), HasSubstr("the only column is the label"));
  EXPECT_THAT(error_of("a,y\n1,2\n2,oops\n", {.labels = CsvLabels::Values}),
              AllOf(HasSubstr("line 3, column 2 ('y')"), HasSubstr("label 'oops' is not a finite number")));
  EXPECT_THAT(error_of("a,y\n1,\n"), AllOf(HasSubstr("line 2, column 2 ('y')"), HasSubstr("label is empty")));
  EXPECT_THAT(error_of("a,b\n1,2\n", {.delimiter = '"'}), HasSubstr("delimiter cannot be a quote"));
  EXPECT_EQ(error_of("a,b\n1,2\n"), "(no exception)");
}

TEST_F(Csv, MissingFileAndDirectory) {
  EXPECT_THROW(read_csv((dir_ / "nope.csv").string()), Error);
  EXPECT_THAT([&] { read_csv((dir_ / "nope.csv").string()); },
              ::testing::ThrowsMessage<Error>(AllOf(HasSubstr("nope.csv"), HasSubstr("no such file"))));
  EXPECT_THAT([&] { read_csv(dir_.string()); }, ::testing::ThrowsMessage<Error>(HasSubstr("is a directory")));
}

// Random edits of a valid file (characters from the CSV alphabet inserted, deleted or replaced):
// each either reads or throws nabla::Error; nothing else escapes and nothing crashes.
TEST_F(Csv, MutatedFilesNeverCrash) {
  const std::string valid = "x1,\"x 2\",label\n1.5,2,a\n-3,4e2,\"b, c\"\n5,6,a\n";
  const std::string alphabet = ",\"\n\r ab1.-e+";
  Generator g(7);
  int errors = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::string text = valid;
    for (int64_t k = g.randint(1, 4); k > 0; --k) {
      const auto at = static_cast<size_t>(g.randint(0, static_cast<int64_t>(text.size())));
      const char c = alphabet[static_cast<size_t>(g.randint(0, static_cast<int64_t>(alphabet.size())))];
      switch (g.randint(0, 3)) {
        case 0: text.insert(at, 1, c); break;
        case 1: text.erase(at, 1); break;
        default: if (at < text.size()) text[at] = c;
      }
    }
    try {
      read_csv(file(text));
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 30);
}

struct BadFile {
  const char* name;
  std::vector<std::string> expected;
};

TEST(CsvCorpus, EveryMalformedFileIsAClearError) {
  const std::vector<BadFile> cases = {
      {"csv_empty.csv", {"the file is empty", "expected a header row and at least one row of data"}},
      {"csv_blank_lines.csv", {"the file is empty"}},
      {"csv_header_only.csv", {"no data rows after the header on line 1"}},
      {"csv_ragged.csv", {"line 4: expected 3 fields like line 1, got 2 (ragged row)"}},
      {"csv_non_numeric.csv", {"line 3, column 2 ('x2')", "'abc' is not a number"}},
      {"csv_missing_value.csv", {"line 4, column 2 ('x2')", "empty cell (missing value)"}},
      {"csv_unterminated_quote.csv", {"line 3, column 3", "unterminated quoted field"}},
      {"csv_after_quote.csv", {"line 2, column 2", "unexpected character 'x' after a closing quote"}},
      {"csv_infinite.csv", {"line 3, column 1 ('x1')", "'1e999' is not a finite float32 number"}},
      {"csv_multiline_then_bad.csv", {"line 4, column 2 ('x2')", "'oops' is not a number"}},
      {"csv_huge_class_index.csv",
       {"line 3, column 2 ('label')", "label 9000000000000000 as a class index would make 9000000000000001 classes",
        "limit of 1048576"}},
  };
  int count = 0;
  for (const auto& entry : fs::directory_iterator(corpus))
    if (entry.path().filename().string().starts_with("csv_")) ++count;
  EXPECT_EQ(count, static_cast<int>(cases.size())) << "every corpus CSV file has a case here";
  for (const BadFile& c : cases) {
    std::string message = "(no exception)";
    try {
      read_csv(corpus + c.name);
    } catch (const Error& e) {
      message = e.what();
    }
    EXPECT_THAT(message, HasSubstr(std::string("'") + corpus + c.name + "'")) << c.name;
    for (const std::string& part : c.expected) EXPECT_THAT(message, HasSubstr(part)) << c.name;
  }
}

}  // namespace
}  // namespace nabla::data
