// IDX reader and writer. The reader streams a file (or bytes in memory), inflating gzip data
// (found by its content, not the name) 64 KiB at a time, so a header that claims more than the
// file holds costs no more memory than the data itself, and reading a data set holds its values
// and little else. The writer goes through zlib's gz* API.
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
#include <fstream>
#include <string_view>
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

// Where the IDX bytes come from: memory (parse_idx) or a file read 64 KiB at a time (read_idx),
// so that reading a data set never holds its compressed file in memory beside its values.
class Input {
public:
  virtual ~Input() = default;
  virtual size_t read(char* dst, size_t n) = 0;  // fewer than n only at the end
};

class MemoryInput final : public Input {
public:
  explicit MemoryInput(std::string_view bytes) : bytes_(bytes) {}
  size_t read(char* dst, size_t n) override {
    const size_t got = std::min(n, bytes_.size() - pos_);
    std::memcpy(dst, bytes_.data() + pos_, got);
    pos_ += got;
    return got;
  }

private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

class FileInput final : public Input {
public:
  FileInput(std::ifstream& in, const std::string& path) : in_(in), path_(path) {}
  size_t read(char* dst, size_t n) override {
    in_.read(dst, static_cast<std::streamsize>(n));
    NABLA_CHECK(!in_.bad(), "read_idx: '", path_, "': cannot read (", std::strerror(errno), ")");
    return static_cast<size_t>(in_.gcount());
  }

private:
  std::ifstream& in_;
  const std::string& path_;
};

// The IDX bytes of an input: plain, or gzip (found by its magic 1f 8b, not by the name) inflated
// 64 KiB at a time as the reader asks, so a header that claims more than the data holds costs no
// more memory than the data itself. Like zlib's gzread, it reads gzip members one after another,
// ignores anything after the last one, and reports damage found anywhere in the block it inflates.
class Source {
public:
  Source(Input& in, const std::string& name) : in_(in), name_(name), buffer_(kBlock) {
    have_in_ = fill(buffer_.data(), 2);  // the magic decides
    gzipped_ = have_in_ == 2 && buffer_[0] == 0x1f && buffer_[1] == 0x8b;
    if (!gzipped_) return;
    NABLA_CHECK(inflateInit2(&stream_, 15 + 16) == Z_OK, "read_idx: '", name_, "': cannot start zlib");  // gzip only
    stream_.next_in = buffer_.data();
    stream_.avail_in = static_cast<uInt>(have_in_);
    block_.resize(kBlock);
  }
  ~Source() {
    if (gzipped_) inflateEnd(&stream_);
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  bool gzipped() const { return gzipped_; }

  // Reads up to n bytes; fewer only at the end of the data.
  size_t read(void* dst, size_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    if (!gzipped_) {
      const size_t head = std::min(n, have_in_ - pos_);  // the bytes read for the magic
      std::memcpy(out, buffer_.data() + pos_, head);
      pos_ += head;
      return head + (head < n ? fill(out + head, n - head) : 0);
    }
    size_t done = 0;
    while (done < n) {
      if (pos_ == have_ && !inflate_block()) break;
      const size_t got = std::min(n - done, have_ - pos_);
      std::memcpy(out + done, block_.data() + pos_, got);
      pos_ += got;
      done += got;
    }
    return done;
  }

private:
  static constexpr size_t kBlock = size_t{64} << 10;

  size_t fill(unsigned char* dst, size_t n) { return in_.read(reinterpret_cast<char*>(dst), n); }

  // Makes at least `want` compressed bytes available to zlib unless the input ends first.
  void refill(size_t want) {
    if (stream_.avail_in >= want) return;
    std::memmove(buffer_.data(), stream_.next_in, stream_.avail_in);
    stream_.next_in = buffer_.data();
    while (stream_.avail_in < want) {
      const size_t got = fill(buffer_.data() + stream_.avail_in, buffer_.size() - stream_.avail_in);
      if (got == 0) break;
      stream_.avail_in += static_cast<uInt>(got);
    }
  }

  // Inflates the next block into block_; false at the end of the data.
  bool inflate_block() {
    have_ = pos_ = 0;
    while (have_ < block_.size() && !finished_) {
      refill(1);
      stream_.next_out = block_.data() + have_;
      stream_.avail_out = static_cast<uInt>(block_.size() - have_);
      const int code = inflate(&stream_, Z_NO_FLUSH);
      have_ = block_.size() - stream_.avail_out;
      if (code == Z_STREAM_END) {
        // Another member if a gzip magic follows; anything else after the last one is ignored.
        refill(2);
        if (stream_.avail_in >= 2 && stream_.next_in[0] == 0x1f && stream_.next_in[1] == 0x8b) inflateReset(&stream_);
        else finished_ = true;
      } else if (code == Z_BUF_ERROR && stream_.avail_in == 0) {
        NABLA_FAIL("read_idx: '", name_, "': the gzip stream is truncated (zlib: unexpected end of file); ",
                   "expected a complete gzip file");
      } else if (code != Z_OK && code != Z_BUF_ERROR) {
        NABLA_FAIL("read_idx: '", name_, "': the gzip data is corrupt (zlib: ",
                   stream_.msg ? stream_.msg : "error " + std::to_string(code), ")");
      }
    }
    return have_ > 0;
  }

  Input& in_;
  const std::string& name_;
  std::vector<unsigned char> buffer_;  // plain: the magic's bytes; gzip: compressed input
  size_t have_in_ = 0;                 // plain: bytes in buffer_
  bool gzipped_ = false;
  size_t pos_ = 0;                     // plain: bytes of buffer_ read; gzip: bytes of block_ read
  z_stream stream_{};
  std::vector<unsigned char> block_;   // inflated, not yet read: [pos_, have_)
  size_t have_ = 0;
  bool finished_ = false;
};

struct Header {
  uint8_t type = 0;
  Shape dims;
  int64_t bytes = 0;  // header size
};

Header read_header(Source& f, const std::string& path) {
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

// Number of data bytes the header promises, or -1 when it does not fit in 63 bits. A zero size
// makes no data, but the other sizes must still fit: the tensor's strides are their product.
int64_t declared_bytes(const Header& h) {
  int64_t bound = type_size(h.type);  // the same product with every 0 counted as 1
  bool empty = false;
  for (int64_t d : h.dims) {
    const int64_t nonzero = std::max<int64_t>(d, 1);
    if (bound > INT64_MAX / 4 / nonzero) return -1;
    bound *= nonzero;
    empty = empty || d == 0;
  }
  return empty ? 0 : bound;
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

// Converts big-endian elements of `type` to nabla's dtype for it, releasing each chunk once it
// is converted so that the values and their raw bytes are never both held whole. Every chunk
// but the last holds chunk_bytes, a multiple of every element size.
Tensor convert(std::vector<std::vector<unsigned char>>&& chunks, uint8_t type, const Shape& dims) {
  auto widen = [&]<typename From, typename To>(DType dtype) {
    Tensor out = empty(dims, dtype);
    To* o = out.data_ptr<To>();
    for (std::vector<unsigned char>& chunk : chunks) {
      const auto n = static_cast<int64_t>(chunk.size() / sizeof(From));
      const unsigned char* p = chunk.data();
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<To>(load_be<From>(p + i * static_cast<int64_t>(sizeof(From))));
      o += n;
      std::vector<unsigned char>().swap(chunk);
    }
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


// The tensor of an IDX input: its header, exactly the data the header declares (read in chunks
// of chunk_bytes, so a header that promises more than is there costs only what is there), and
// nothing after it.
Tensor read_from(Input& in, const std::string& name) {
  Source f(in, name);
  const Header h = read_header(f, name);
  const int64_t expected = declared_bytes(h);
  const char* where = f.gzipped() ? " (after gzip decompression)" : "";
  NABLA_CHECK(expected >= 0, "read_idx: '", name, "': the sizes ", h.dims, " are absurd (", type_name(h.type),
              " data of that size would not fit in memory)");
  std::vector<std::vector<unsigned char>> chunks;
  int64_t found = 0;
  while (found < expected) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(expected - found, chunk_bytes));
    std::vector<unsigned char>& chunk = chunks.emplace_back(want);
    const size_t got = f.read(chunk.data(), want);
    chunk.resize(got);
    found += static_cast<int64_t>(got);
    if (got < want) break;
  }
  NABLA_CHECK(found == expected, "read_idx: '", name, "': the file is truncated: the header declares sizes ", h.dims,
              " of ", type_name(h.type), ", which is ", expected, " data bytes after the ", h.bytes,
              "-byte header, but only ", found, " follow", where);
  int64_t trailing = 0;
  std::array<unsigned char, 4096> scratch{};
  for (size_t got = f.read(scratch.data(), scratch.size()); got > 0; got = f.read(scratch.data(), scratch.size()))
    trailing += static_cast<int64_t>(got);
  NABLA_CHECK(trailing == 0, "read_idx: '", name, "': ", trailing, " unexpected trailing bytes after the ", expected,
              " data bytes declared by the header (sizes ", h.dims, " of ", type_name(h.type), ")", where,
              "; expected the file to end there");
  return convert(std::move(chunks), h.type, h.dims);
}

}  // namespace

Tensor parse_idx(std::string_view bytes, const std::string& name) {
  MemoryInput in(bytes);
  return read_from(in, name);
}

Tensor read_idx(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  NABLA_CHECK(std::filesystem::exists(status), "read_idx: '", path, "': no such file");
  NABLA_CHECK(!std::filesystem::is_directory(status), "read_idx: '", path,
              "' is a directory, expected an IDX file (for a data set directory use load_mnist_dir)");
  std::ifstream file(path, std::ios::binary);
  NABLA_CHECK(file.good(), "read_idx: '", path, "': cannot open (", std::strerror(errno), ")");
  FileInput in(file, path);
  return read_from(in, path);
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
