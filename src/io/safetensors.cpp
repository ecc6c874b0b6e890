// The safetensors reader and writer. The reader trusts nothing in the file: every length and
// offset is checked with overflow-safe arithmetic before any byte is read or any memory is
// allocated. The writer lays files out exactly as the reference implementation
// (huggingface/safetensors, used by safetensors.torch.save_file) does.
#include <nabla/autograd.hpp>
#include <nabla/io/safetensors.hpp>

#include "io/atomic_file.hpp"
#include "io/json_depth.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

namespace nabla::io {
namespace {

using json = nlohmann::json;

static_assert(std::endian::native == std::endian::little, "safetensors stores little-endian bytes");

// The reference implementation refuses headers above 100 MB (MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

std::string_view safetensors_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
    case DType::UInt8: return "U8";
  }
  return "?";
}

// The reference writer orders tensors by descending dtype, in the order of its Dtype enum
// (..., U8, ..., F32, F64, I64, ...), then by name; this is each nabla dtype's rank there.
int dtype_rank(DType dtype) {
  switch (dtype) {
    case DType::UInt8: return 0;
    case DType::Float32: return 1;
    case DType::Float64: return 2;
    case DType::Int64: return 3;
  }
  return -1;
}

std::optional<DType> dtype_from_name(const std::string& name) {
  if (name == "F32") return DType::Float32;
  if (name == "F64") return DType::Float64;
  if (name == "I64") return DType::Int64;
  if (name == "U8") return DType::UInt8;
  return std::nullopt;
}

bool is_other_safetensors_dtype(const std::string& name) {
  static const std::set<std::string> others = {"BOOL",    "I8",      "I16",     "U16",     "F16",  "BF16",
                                               "I32",     "U32",     "U64",     "F8_E5M2", "F8_E4M3", "F8_E8M0",
                                               "F4",      "F6_E2M3", "F6_E3M2", "C64"};
  return others.count(name) > 0;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

// A JSON number that is a non-negative integer, as a u64.
std::optional<uint64_t> as_u64(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return static_cast<uint64_t>(value.get<int64_t>());
  return std::nullopt;
}

Entry parse_entry(const std::string& where, const std::string& name, const json& info) {
  NABLA_CHECK(info.is_object(), where, "tensor '", name,
              "': expected an object with dtype, shape and data_offsets, got ",
              info.type_name());
  for (const auto& [key, value] : info.items())
    NABLA_CHECK(key == "dtype" || key == "shape" || key == "data_offsets", where, "tensor '", name,
                "': unexpected key '", key, "' (allowed: dtype, shape, data_offsets)");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    NABLA_CHECK(info.contains(key), where, "tensor '", name, "': missing key '", key, "'");

  Entry e;
  e.name = name;
  const json& dtype = info["dtype"];
  NABLA_CHECK(dtype.is_string(), where, "tensor '", name, "': dtype must be a string, got ", dtype.dump());
  const std::string dtype_text = dtype.get<std::string>();
  const auto parsed = dtype_from_name(dtype_text);
  if (!parsed && is_other_safetensors_dtype(dtype_text))
    NABLA_FAIL(where, "tensor '", name, "': unsupported dtype ", dtype_text,
               " (nabla reads F32, F64, I64 and U8; convert the tensor first, e.g. with .float())");
  NABLA_CHECK(parsed.has_value(), where, "tensor '", name, "': unknown dtype '", dtype_text,
              "' (not a safetensors dtype)");
  e.dtype = *parsed;

  const json& shape = info["shape"];
  NABLA_CHECK(shape.is_array(), where, "tensor '", name, "': shape must be an array, got ", shape.dump());
  // A zero size makes no data, but the other sizes must still fit: the tensor's strides are
  // their product.
  uint64_t numel = 1, strides = 1;
  for (const json& d : shape) {
    const auto size = as_u64(d);
    NABLA_CHECK(size.has_value(), where, "tensor '", name, "': shape ", shape.dump(),
                " must hold non-negative integers");
    NABLA_CHECK(*size <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) &&
                    !__builtin_mul_overflow(strides, std::max<uint64_t>(*size, 1), &strides) &&
                    strides <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                where, "tensor '", name, "': shape ", shape.dump(), " overflows");
    numel *= *size;
    e.shape.push_back(static_cast<int64_t>(*size));
  }
  uint64_t nbytes = 0;
  NABLA_CHECK(!__builtin_mul_overflow(numel, element_size(e.dtype), &nbytes) &&
                  nbytes <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
              where, "tensor '", name, "': shape ", shape.dump(), " overflows");

  const json& offsets = info["data_offsets"];
  NABLA_CHECK(offsets.is_array() && offsets.size() == 2 && as_u64(offsets[0]) && as_u64(offsets[1]), where,
              "tensor '", name, "': data_offsets must be [begin, end] with non-negative integers, got ",
              offsets.dump());
  e.begin = *as_u64(offsets[0]);
  e.end = *as_u64(offsets[1]);
  NABLA_CHECK(e.begin <= e.end, where, "tensor '", name, "': data_offsets ", offsets.dump(), " end before they begin");
  NABLA_CHECK(e.end - e.begin == nbytes, where, "tensor '", name, "': data_offsets ", offsets.dump(), " span ",
              e.end - e.begin, " bytes but shape ", shape.dump(), " of ", dtype_text, " needs ", nbytes);
  return e;
}

std::map<std::string, std::string> parse_metadata(const std::string& where, const json& value) {
  NABLA_CHECK(value.is_object(), where, "__metadata__ must be an object of strings, got ", value.type_name());
  std::map<std::string, std::string> metadata;
  for (const auto& [key, v] : value.items()) {
    NABLA_CHECK(v.is_string(), where, "__metadata__ value of '", key, "' must be a string, got ", v.dump());
    metadata[key] = v.get<std::string>();
  }
  return metadata;
}

// Parses the header; `data_size` is the byte count after it. Entries come back sorted by offset.
std::vector<Entry> parse_header(const std::string& where, const std::string& text, uint64_t data_size,
                                std::map<std::string, std::string>& metadata) {
  // A safetensors header nests three deep ({"name": {"shape": [..]}}).
  NABLA_CHECK(detail::json_depth(text) <= 3, where,
              "header nests deeper than a safetensors header can (invalid header)");
  // nlohmann keeps only the last of duplicated keys, which would hide a tensor or an option
  // silently; one key set per open object finds them.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  json::parser_callback_t on_event = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    else if (event == json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    else if (event == json::parse_event_t::key && !open_objects.empty() &&
             !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = json::parse(text, on_event);
  } catch (const json::exception& e) {
    NABLA_FAIL(where, "header is not valid JSON: ", e.what());
  }
  NABLA_CHECK(header.is_object(), where, "header must be a JSON object, got ", header.type_name());
  NABLA_CHECK(duplicate.empty(), where, "header has the key '", duplicate, "' twice in one object");

  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") metadata = parse_metadata(where, info);
    else entries.push_back(parse_entry(where, name, info));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  // The data must be covered exactly, in order: no gaps, no overlaps, nothing left over.
  uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    NABLA_CHECK(e.begin >= expected, where, "tensor '", e.name, "' bytes [", e.begin, ", ", e.end,
                ") overlap tensor '", previous ? previous->name : "", "' bytes [", previous ? previous->begin : 0,
                ", ", expected, ")");
    NABLA_CHECK(e.begin == expected, where, "gap in the data: tensor '", e.name, "' starts at byte ", e.begin,
                " but the previous tensor ends at byte ", expected);
    NABLA_CHECK(e.end <= data_size, where, "tensor '", e.name, "' bytes [", e.begin, ", ", e.end,
                ") run past the end of the data section (", data_size, " bytes; is the file truncated?)");
    expected = e.end;
    previous = &e;
  }
  NABLA_CHECK(expected == data_size, where, "the data section holds ", data_size, " bytes but the tensors cover only ",
              expected, " (trailing bytes)");
  return entries;
}

// Reads `nbytes` at `offset` of the source into `out`; the caller has checked the range.
using ReadAt = std::function<void(uint64_t offset, void* out, uint64_t nbytes)>;

// The whole reader over any byte source of `size` bytes (a file, or bytes in memory).
SafetensorsFile parse_source(const std::string& where, uint64_t size, const ReadAt& read_at) {
  NABLA_CHECK(size >= 8, where, "file is ", size,
              " bytes, too short for the 8-byte header length (not a safetensors file?)");
  unsigned char length_bytes[8];
  read_at(0, length_bytes, 8);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | length_bytes[i];
  NABLA_CHECK(header_size <= kMaxHeaderBytes, where, "header length ", header_size, " exceeds the ", kMaxHeaderBytes,
              "-byte limit (not a safetensors file?)");
  NABLA_CHECK(header_size <= size - 8, where, "header length ", header_size, " runs past the end of the file (", size,
              " bytes; truncated?)");

  std::string text(header_size, '\0');
  if (header_size > 0) read_at(8, text.data(), header_size);
  NABLA_CHECK(!text.empty() && text[0] == '{', where, "header must start with '{' (not a safetensors file?)");

  SafetensorsFile out;
  const uint64_t data_start = 8 + header_size;
  const std::vector<Entry> entries = parse_header(where, text, size - data_start, out.metadata);
  for (const Entry& e : entries) {
    Tensor t = empty(e.shape, e.dtype);
    if (e.end > e.begin) read_at(data_start + e.begin, t.impl()->storage->data, e.end - e.begin);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  const std::string where = "read_safetensors: '" + path + "': ";
  File file(std::fopen(path.c_str(), "rb"));
  NABLA_CHECK(file != nullptr, where, "cannot open: ", std::strerror(errno));
  struct stat st {};
  NABLA_CHECK(::fstat(::fileno(file.get()), &st) == 0 && S_ISREG(st.st_mode), where, "not a regular file");
  return parse_source(where, static_cast<uint64_t>(st.st_size), [&](uint64_t offset, void* out, uint64_t nbytes) {
    NABLA_CHECK(offset <= static_cast<uint64_t>(std::numeric_limits<long>::max()) &&
                    std::fseek(file.get(), static_cast<long>(offset), SEEK_SET) == 0,
                where, "cannot seek to byte ", offset);
    NABLA_CHECK(std::fread(out, 1, nbytes, file.get()) == nbytes, where, "cannot read ", nbytes, " bytes at byte ",
                offset, " (file changed or truncated while reading?)");
  });
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name) {
  const std::string where = "read_safetensors: '" + name + "': ";
  return parse_source(where, bytes.size(), [&](uint64_t offset, void* out, uint64_t nbytes) {
    NABLA_CHECK(offset <= bytes.size() && nbytes <= bytes.size() - offset, where, "internal: read outside the bytes");
    std::memcpy(out, bytes.data() + offset, nbytes);
  });
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string where = "write_safetensors: '" + path + "': ";
  std::vector<std::pair<std::string, Tensor>> sorted;
  std::set<std::string> names;
  {
    NoGradGuard no_grad;
    for (const auto& [name, t] : tensors) {
      NABLA_CHECK(t.defined(), where, "tensor '", name, "' is undefined");
      NABLA_CHECK(name != "__metadata__", where, "'__metadata__' is reserved and cannot name a tensor");
      NABLA_CHECK(names.insert(name).second, where, "tensor name '", name, "' appears twice");
      sorted.emplace_back(name, t.detach().contiguous());
    }
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    const int ra = dtype_rank(a.second.dtype()), rb = dtype_rank(b.second.dtype());
    return ra != rb ? ra > rb : a.first < b.first;
  });

  // Built by hand rather than through a json object, which would sort the keys: the reference
  // writes __metadata__ first, then the tensors in data order, each as dtype, shape, data_offsets.
  std::string header = "{";
  try {
    if (!metadata.empty()) header += "\"__metadata__\":" + json(metadata).dump();
    uint64_t offset = 0;
    for (const auto& [name, t] : sorted) {
      const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * element_size(t.dtype());
      if (header.size() > 1) header += ',';
      header += json(name).dump() + ":{\"dtype\":\"" + std::string(safetensors_name(t.dtype())) +
                "\",\"shape\":" + json(t.shape()).dump() + ",\"data_offsets\":[" + std::to_string(offset) + "," +
                std::to_string(offset + nbytes) + "]}";
      offset += nbytes;
    }
  } catch (const json::exception& e) {
    NABLA_FAIL(where, "a tensor name or metadata string is not valid UTF-8: ", e.what());
  }
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');  // so the data starts 8-byte aligned
  NABLA_CHECK(header.size() <= kMaxHeaderBytes, where, "header of ", header.size(), " bytes exceeds the ",
              kMaxHeaderBytes, "-byte limit readers accept");

  detail::write_file_atomically("write_safetensors", path, [&](detail::AtomicWriter& out) {
    unsigned char length_bytes[8];
    uint64_t n = header.size();
    for (auto& b : length_bytes) b = static_cast<unsigned char>(n & 0xff), n >>= 8;
    out.write(length_bytes, 8);
    out.write(header.data(), header.size());
    for (const auto& [name, t] : sorted) {
      const auto* base = static_cast<const char*>(t.impl()->storage->data);
      out.write(base + t.storage_offset() * static_cast<int64_t>(element_size(t.dtype())),
                static_cast<size_t>(t.numel()) * element_size(t.dtype()));
    }
  });
}

}  // namespace nabla::io

namespace nabla {

void save(const nn::Module& module, const std::string& path, const std::map<std::string, std::string>& metadata) {
  const nn::StateDict state = module.state_dict();
  io::write_safetensors(path, {state.begin(), state.end()}, metadata);
}

std::map<std::string, std::string> load(nn::Module& module, const std::string& path, bool strict) {
  io::SafetensorsFile file = io::read_safetensors(path);
  nn::StateDict state;
  for (auto& [name, t] : file.tensors) state.insert(name, std::move(t));
  try {
    module.load_state_dict(state, strict);
  } catch (const Error& e) {
    NABLA_FAIL("load: '", path, "': ", e.what());
  }
  return file.metadata;
}

}  // namespace nabla
