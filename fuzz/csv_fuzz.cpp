// libFuzzer target: the CSV reader. The first two bytes choose the options (header row or not,
// delimiter, label column by position or by the first header name, label kind); the rest is
// the file.
#include <nabla/data/csv.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t flags = data[0], pick = data[1];
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  static constexpr char delimiters[] = {',', ';', '\t', ' ', '|', ':', '"', 'a'};  // '"' must be refused
  nabla::data::CsvOptions options{.delimiter = delimiters[flags & 7],
                                  .header = (flags & 8) == 0,
                                  .label_index = static_cast<int8_t>(pick) / 16,
                                  .has_label = (flags & 16) == 0,
                                  .labels = static_cast<nabla::data::CsvLabels>((flags >> 5) % 3)};
  if (flags & 128) options.label_name = text.substr(0, text.find_first_of(",\n")).substr(0, 8);
  try {
    const nabla::data::CsvData csv = nabla::data::parse_csv(text, "fuzz", options);
    static volatile int64_t sink;
    sink = csv.features.numel() + (csv.targets.defined() ? csv.targets.numel() : 0);
  } catch (const nabla::Error&) {
  }
  return 0;
}
