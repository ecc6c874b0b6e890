// IDX reader and writer. Everything goes through zlib's gz* API, which reads gzip and plain
// files alike (it looks at the content, not the name). The data is read in chunks, so a header
// that claims more than the file holds costs no more memory than the file itself.
#include <nabla/data/idx.hpp>

#include "kernels/dispatch.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <vector>

namespace nabla::data {
namespace {

constexpr int64_t max_ndim = 16;
constexpr size_t chunk_bytes = size_t{1} << 20;

const char* type_name(uint8_t type) {
  switch (type) {
    case 0x08: return "uint8";
    case 0x09: return "int8";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return nullptr;
  }
}

int64_t type_size(uint8_t type) {
  switch (type) {
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 1;
  }
}

std::string hex(uint64_t value, int digits) {
  static const char* xdigits = "0123456789ABCDEF";
  std::string s = "0x";
  for (int i = digits - 1; i >= 0; --i) s += xdigits[(value >> (4 * i)) & 0xF];
  return s;
}

// A file opened with gzopen; reads fail loudly, naming the file.
class GzFile {
public:
  explicit GzFile(const std::string& path) : path_(path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    NABLA_CHECK(std::filesystem::exists(status), "read_idx: '", path, "': no such file");
    NABLA_CHECK(!std::filesystem::is_directory(status), "read_idx: '", path,
                "' is a directory, expected an IDX file (for a data set directory use load_mnist_dir)");
    const auto bytes = std::filesystem::file_size(path, ec);
    size_ = ec ? 0 : static_cast<int64_t>(bytes);
    file_ = gzopen(path.c_str(), "rb");
    NABLA_CHECK(file_ != nullptr, "read_idx: '", path, "': cannot open (", std::strerror(errno), ")");
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to n bytes; fewer only at the end of the data.
  size_t read(void* dst, size_t n) {
    size_t done = 0;
    while (done < n) {
      const auto want = static_cast<unsigned>(std::min<size_t>(n - done, size_t{1} << 30));
      const int got = gzread(file_, static_cast<char*>(dst) + done, want);
      check_stream();
      if (got <= 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }
  bool gzipped() const { return gzdirect(file_) == 0; }
  int64_t size_on_disk() const { return size_; }

private:
  void check_stream() {
    int code = Z_OK;
    std::string message = gzerror(file_, &code);
    if (code == Z_OK || code == Z_STREAM_END) return;
    if (message.starts_with(path_ + ": ")) message.erase(0, path_.size() + 2);  // zlib repeats the path
    if (code == Z_BUF_ERROR)
      NABLA_FAIL("read_idx: '", path_, "': the gzip stream is truncated (zlib: ", message,
                 "); expected a complete gzip file");
    NABLA_FAIL("read_idx: '", path_, "': the gzip data is corrupt (zlib: ", message, ")");
  }
  std::string path_;
  gzFile file_ = nullptr;
  int64_t size_ = 0;
};

struct Header {
  uint8_t type = 0;
  Shape dims;
  int64_t bytes = 0;  // header size
};

Header read_header(GzFile& f, const std::string& path) {
  std::array<unsigned char, 4> magic{};
  const size_t got = f.read(magic.data(), 4);
  NABLA_CHECK(got > 0, "read_idx: '", path, "': the file is empty; expected an IDX header (0x00 0x00, type, ",
              "number of dimensions)");
  NABLA_CHECK(got == 4, "read_idx: '", path, "': the file is too short (", got,
              " bytes); an IDX file starts with a 4-byte magic number (0x00 0x00, type, number of dimensions)");
  const uint32_t word = (uint32_t{magic[0]} << 24) | (uint32_t{magic[1]} << 16) | (uint32_t{magic[2]} << 8) | magic[3];
  NABLA_CHECK(magic[0] == 0 && magic[1] == 0, "read_idx: '", path, "': bad magic number ", hex(word, 8),
              "; expected 0x0000 followed by a type byte and the number of dimensions (is this an IDX file?)");
  Header h;
  h.type = magic[2];
  NABLA_CHECK(type_name(h.type) != nullptr, "read_idx: '", path, "': unknown element type ", hex(h.type, 2),
              "; expected 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32) or 0x0E (float64)");
  const int64_t ndim = magic[3];
  NABLA_CHECK(ndim >= 1 && ndim <= max_ndim, "read_idx: '", path, "': the header declares ", ndim,
              " dimensions; expected 1 to ", max_ndim);
  std::vector<unsigned char> sizes(static_cast<size_t>(4 * ndim));
  const size_t got_sizes = f.read(sizes.data(), sizes.size());
  NABLA_CHECK(got_sizes == sizes.size(), "read_idx: '", path, "': the header is truncated: ", ndim,
              " dimensions need ", sizes.size(), " bytes of sizes after the magic number, but only ", got_sizes,
              " follow");
  for (int64_t d = 0; d < ndim; ++d) {
    const unsigned char* p = sizes.data() + 4 * d;
    const uint32_t size = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    NABLA_CHECK(size <= INT32_MAX, "read_idx: '", path, "': dimension ", d, " has size ", size,
                ", above the format's maximum 2147483647 (sizes are signed 32-bit)");
    h.dims.push_back(static_cast<int64_t>(size));
  }
  h.bytes = 4 + 4 * ndim;
  return h;
}

// Number of data bytes the header promises, or -1 when it does not fit in 63 bits.
int64_t declared_bytes(const Header& h) {
  int64_t total = type_size(h.type);
  for (int64_t d : h.dims) {
    if (d != 0 && total > INT64_MAX / 4 / d) return -1;
    total *= d;
  }
  return total;
}

template <typename T>
T load_be(const unsigned char* p) {
  using U = std::conditional_t<sizeof(T) == 1, uint8_t,
                               std::conditional_t<sizeof(T) == 2, uint16_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
  U u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) u = static_cast<U>((u << 8) | p[i]);
  T value;
  std::memcpy(&value, &u, sizeof(T));
  return value;
}

// Converts big-endian elements of `type` to nabla's dtype for it.
Tensor convert(const std::vector<unsigned char>& raw, uint8_t type, const Shape& dims) {
  const unsigned char* p = raw.data();
  auto widen = [&]<typename From, typename To>(DType dtype) {
    Tensor out = empty(dims, dtype);
    To* o = out.data_ptr<To>();
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<To>(load_be<From>(p + i * static_cast<int64_t>(sizeof(From))));
    return out;
  };
  switch (type) {
    case 0x08: return widen.operator()<uint8_t, uint8_t>(uint8);
    case 0x09: return widen.operator()<int8_t, int64_t>(int64);
    case 0x0B: return widen.operator()<int16_t, int64_t>(int64);
    case 0x0C: return widen.operator()<int32_t, int64_t>(int64);
    case 0x0D: return widen.operator()<float, float>(float32);
    default: return widen.operator()<double, double>(float64);
  }
}

}  // namespace

Tensor read_idx(const std::string& path) {
  GzFile f(path);
  const Header h = read_header(f, path);
  const int64_t expected = declared_bytes(h);
  const char* where = f.gzipped() ? " (after gzip decompression)" : "";
  NABLA_CHECK(expected >= 0, "read_idx: '", path, "': the sizes ", h.dims, " are absurd (", type_name(h.type),
              " data of that size would not fit in memory)");
  // Read what is there, up to what the header promises, in chunks.
  std::vector<unsigned char> raw;
  raw.reserve(static_cast<size_t>(std::min<int64_t>(expected, f.size_on_disk())));
  while (static_cast<int64_t>(raw.size()) < expected) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(expected - static_cast<int64_t>(raw.size()), chunk_bytes));
    const size_t old = raw.size();
    raw.resize(old + want);
    const size_t got = f.read(raw.data() + old, want);
    raw.resize(old + got);
    if (got < want) break;
  }
  const auto found = static_cast<int64_t>(raw.size());
  NABLA_CHECK(found == expected, "read_idx: '", path, "': the file is truncated: the header declares sizes ", h.dims,
              " of ", type_name(h.type), ", which is ", expected, " data bytes after the ", h.bytes,
              "-byte header, but only ", found, " follow", where);
  int64_t trailing = 0;
  std::array<unsigned char, 4096> scratch{};
  for (size_t got = f.read(scratch.data(), scratch.size()); got > 0; got = f.read(scratch.data(), scratch.size()))
    trailing += static_cast<int64_t>(got);
  NABLA_CHECK(trailing == 0, "read_idx: '", path, "': ", trailing, " unexpected trailing bytes after the ", expected,
              " data bytes declared by the header (sizes ", h.dims, " of ", type_name(h.type), ")", where,
              "; expected the file to end there");
  return convert(raw, h.type, h.dims);
}

// ---- writer ----------------------------------------------------------------------------------

namespace {

template <typename T>
void store_be(std::vector<unsigned char>& out, T value) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(bytes[sizeof(T) - 1 - i]);  // little-endian host
}

}  // namespace

void write_idx(const std::string& path, const Tensor& t, bool gzip) {
  NABLA_CHECK(t.defined(), "write_idx: '", path, "': the tensor is undefined");
  NABLA_CHECK(t.ndim() >= 1 && t.ndim() <= max_ndim, "write_idx: '", path, "': expected 1 to ", max_ndim,
              " dimensions, got shape ", t.shape());
  static_assert(std::endian::native == std::endian::little, "write_idx assumes a little-endian host");
  for (int64_t d : t.shape())
    NABLA_CHECK(d <= INT32_MAX, "write_idx: '", path, "': size ", d, " of shape ", t.shape(), " exceeds 2^31 - 1");
  const Tensor c = t.detach().contiguous();
  std::vector<unsigned char> out = {0, 0, 0, static_cast<unsigned char>(t.ndim())};
  kernels::dispatch(c.dtype(), [&]<typename T>() {
    const T* p = c.data_ptr<T>();
    const int64_t n = c.numel();
    if constexpr (std::is_same_v<T, uint8_t>) {
      out[2] = 0x08;
      for (int64_t d : t.shape()) store_be(out, static_cast<int32_t>(d));
      out.insert(out.end(), p, p + n);
    } else if constexpr (std::is_same_v<T, int64_t>) {
      out[2] = 0x0C;
      for (int64_t d : t.shape()) store_be(out, static_cast<int32_t>(d));
      for (int64_t i = 0; i < n; ++i) {
        NABLA_CHECK(p[i] >= INT32_MIN && p[i] <= INT32_MAX, "write_idx: '", path, "': element ", i, " = ", p[i],
                    " does not fit in int32, the widest IDX integer type");
        store_be(out, static_cast<int32_t>(p[i]));
      }
    } else {
      out[2] = std::is_same_v<T, float> ? 0x0D : 0x0E;
      for (int64_t d : t.shape()) store_be(out, static_cast<int32_t>(d));
      for (int64_t i = 0; i < n; ++i) store_be(out, p[i]);
    }
  });
  gzFile f = gzopen(path.c_str(), gzip ? "wb" : "wbT");  // "T": plain, uncompressed output
  NABLA_CHECK(f != nullptr, "write_idx: '", path, "': cannot open for writing (", std::strerror(errno), ")");
  size_t written = 0;
  while (written < out.size()) {
    const auto n = static_cast<unsigned>(std::min<size_t>(out.size() - written, size_t{1} << 30));
    const int w = gzwrite(f, out.data() + written, n);
    if (w <= 0) break;
    written += static_cast<size_t>(w);
  }
  const int closed = gzclose(f);
  NABLA_CHECK(written == out.size() && closed == Z_OK, "write_idx: '", path, "': writing failed after ", written,
              " of ", out.size(), " bytes");
}

}  // namespace nabla::data
