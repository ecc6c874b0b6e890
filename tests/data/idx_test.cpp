// IDX reading: every element type, plain and gzipped (found by content, not by name), the
// writer's round trip, the committed corpus of malformed files, and the real Fashion-MNIST test
// set when the Debian package is installed.
#include <nabla/data/builtin.hpp>
#include <nabla/data/idx.hpp>

#include <gmock/gmock.h>
#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

namespace nabla::data {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string corpus = std::string(NABLA_SOURCE_DIR) + "/tests/data/bad/";

class Idx : public nabla::testing::TempDirTest {};

// Header + big-endian payload, built by hand (independent of write_idx).
template <typename T>
std::string idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const std::vector<T>& values) {
  std::string out = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  auto put = [&](const void* p, size_t n) {
    const auto* b = static_cast<const char*>(p);
    for (size_t i = 0; i < n; ++i) out += b[n - 1 - i];  // the test host is little-endian
  };
  static_assert(std::endian::native == std::endian::little);
  for (uint32_t d : dims) put(&d, 4);
  for (const T& v : values) put(&v, sizeof(T));
  return out;
}

void write_file(const std::string& path, const std::string& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    ASSERT_EQ(gzclose(f), Z_OK);
  } else {
    std::ofstream(path, std::ios::binary) << bytes;
  }
}

std::string error_of(const std::string& path) {
  try {
    read_idx(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST_F(Idx, ReadsEveryElementTypePlainAndGzipped) {
  for (bool gz : {false, true}) {
    const std::string suffix = gz ? ".gz" : "";
    write_file(path("u8" + suffix), idx_bytes<uint8_t>(0x08, {2, 3}, {0, 1, 127, 128, 254, 255}), gz);
    write_file(path("i8" + suffix), idx_bytes<int8_t>(0x09, {4}, {-128, -1, 0, 127}), gz);
    write_file(path("i16" + suffix), idx_bytes<int16_t>(0x0B, {2, 2}, {-32768, -2, 300, 32767}), gz);
    write_file(path("i32" + suffix),
               idx_bytes<int32_t>(0x0C, {1, 2, 2}, {std::numeric_limits<int32_t>::min(), -5, 70000, 2147483647}), gz);
    write_file(path("f32" + suffix), idx_bytes<float>(0x0D, {3}, {1.5f, -0.25f, 3.0e38f}), gz);
    write_file(path("f64" + suffix), idx_bytes<double>(0x0E, {2}, {1e-300, -2.5}), gz);

    const Tensor u8 = read_idx(path("u8" + suffix));
    EXPECT_EQ(u8.dtype(), uint8);
    EXPECT_EQ(u8.shape(), (Shape{2, 3}));
    EXPECT_EQ(u8.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 127, 128, 254, 255}));
    const Tensor i8 = read_idx(path("i8" + suffix));
    EXPECT_EQ(i8.dtype(), int64);
    EXPECT_EQ(i8.to_vector<int64_t>(), (std::vector<int64_t>{-128, -1, 0, 127}));
    const Tensor i16 = read_idx(path("i16" + suffix));
    EXPECT_EQ(i16.dtype(), int64);
    EXPECT_EQ(i16.shape(), (Shape{2, 2}));
    EXPECT_EQ(i16.to_vector<int64_t>(), (std::vector<int64_t>{-32768, -2, 300, 32767}));
    const Tensor i32 = read_idx(path("i32" + suffix));
    EXPECT_EQ(i32.shape(), (Shape{1, 2, 2}));
    EXPECT_EQ(i32.to_vector<int64_t>(), (std::vector<int64_t>{-2147483648LL, -5, 70000, 2147483647}));
    const Tensor f32 = read_idx(path("f32" + suffix));
    EXPECT_EQ(f32.dtype(), float32);
    EXPECT_EQ(f32.to_vector<float>(), (std::vector<float>{1.5f, -0.25f, 3.0e38f}));
    const Tensor f64 = read_idx(path("f64" + suffix));
    EXPECT_EQ(f64.dtype(), float64);
    EXPECT_EQ(f64.to_vector<double>(), (std::vector<double>{1e-300, -2.5}));
  }
}

TEST_F(Idx, GzipIsDetectedFromContentNotName) {
  const std::string bytes = idx_bytes<uint8_t>(0x08, {3}, {7, 8, 9});
  write_file(path("looks-plain-idx1-ubyte"), bytes, /*gzip=*/true);
  write_file(path("looks-gzipped.gz"), bytes, /*gzip=*/false);
  EXPECT_EQ(read_idx(path("looks-plain-idx1-ubyte")).to_vector<int64_t>(), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(read_idx(path("looks-gzipped.gz")).to_vector<int64_t>(), (std::vector<int64_t>{7, 8, 9}));
}

// parse_idx reads bytes in memory as read_idx reads a file (read_idx calls it): gzip found by its
// magic, gzip members one after another, anything after the last member ignored (as zlib's gzread).
TEST(IdxInMemory, ParsesPlainGzippedAndMultiMemberBytes) {
  const std::string plain = idx_bytes<int16_t>(0x0B, {2}, {-3, 4});
  auto gz = [](const std::string& bytes) {
    std::string out(compressBound(static_cast<uLong>(bytes.size())) + 32, '\0');
    z_stream s{};
    deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // gzip wrapper
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    s.avail_in = static_cast<uInt>(bytes.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    deflate(&s, Z_FINISH);
    out.resize(s.total_out);
    deflateEnd(&s);
    return out;
  };
  for (const std::string& bytes : {plain, gz(plain), gz(plain.substr(0, 5)) + gz(plain.substr(5)), gz(plain) + "junk"})
    EXPECT_EQ(parse_idx(bytes).to_vector<int64_t>(), (std::vector<int64_t>{-3, 4}));
  EXPECT_THAT([&] { parse_idx(gz(plain).substr(0, 15), "cut.gz"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("read_idx: 'cut.gz': the gzip stream is truncated")));
  EXPECT_THAT([&] { parse_idx(plain + "x"); }, ::testing::ThrowsMessage<Error>(HasSubstr("'<memory>': 1 unexpected")));
}

TEST_F(Idx, ZeroSizedDimensionGivesEmptyTensor) {
  write_file(path("empty-set"), idx_bytes<uint8_t>(0x08, {0, 28, 28}, {}), false);
  const Tensor t = read_idx(path("empty-set"));
  EXPECT_EQ(t.shape(), (Shape{0, 28, 28}));
}

TEST_F(Idx, WriterRoundTrips) {
  const Tensor u8 = tensor(std::vector<int64_t>{0, 5, 255, 17, 3, 9}, {2, 3}).to(uint8);
  const Tensor i64 = tensor(std::vector<int64_t>{-7, 0, 2147483647, -2147483648LL}, {4});
  const Tensor f32 = tensor(std::vector<float>{1.25f, -3.5f}, {1, 2});
  const Tensor f64 = tensor(std::vector<double>{0.1, -1e200, 3}, {3, 1});
  for (bool gz : {false, true}) {
    for (const Tensor& t : {u8, i64, f32, f64}) {
      write_idx(path("t"), t, gz);
      const Tensor back = read_idx(path("t"));
      EXPECT_EQ(back.dtype(), t.dtype());
      EXPECT_EQ(back.shape(), t.shape());
      EXPECT_EQ(back.to_vector<double>(), t.to_vector<double>());
    }
  }
  // The hand-built encoding and the writer's agree byte for byte.
  write_idx(path("w"), u8);
  std::ifstream in(path("w"), std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, idx_bytes<uint8_t>(0x08, {2, 3}, {0, 5, 255, 17, 3, 9}));
  EXPECT_THAT([&] { write_idx(path("big"), tensor(std::vector<int64_t>{1LL << 40}, {1})); },
              ::testing::ThrowsMessage<Error>(HasSubstr("does not fit in int32")));
  EXPECT_THAT([&] { write_idx((dir_ / "no/such/dir/x").string(), u8); },
              ::testing::ThrowsMessage<Error>(HasSubstr("cannot open for writing")));
}

TEST_F(Idx, MissingFileAndDirectory) {
  EXPECT_THAT(error_of(path("nope.idx")), ::testing::AllOf(HasSubstr("nope.idx"), HasSubstr("no such file")));
  EXPECT_THAT(error_of(dir_.string()), HasSubstr("is a directory"));
}

struct BadFile {
  const char* name;
  std::vector<std::string> expected;  // substrings of the message besides the file name
};

TEST(IdxCorpus, EveryMalformedFileIsAClearError) {
  const std::vector<BadFile> cases = {
      {"idx_empty.idx", {"the file is empty", "expected an IDX header"}},
      {"idx_short_magic.idx", {"too short (2 bytes)", "4-byte magic"}},
      {"idx_wrong_magic.idx", {"bad magic number 0x12340801", "expected 0x0000"}},
      {"idx_text.idx", {"bad magic number", "is this an IDX file?"}},
      {"idx_bad_type.idx", {"unknown element type 0x07", "0x08 (uint8)", "0x0E (float64)"}},
      {"idx_zero_ndim.idx", {"declares 0 dimensions", "expected 1 to 16"}},
      {"idx_huge_ndim.idx", {"declares 200 dimensions", "expected 1 to 16"}},
      {"idx_truncated_header.idx", {"header is truncated", "2 dimensions need 8 bytes", "only 6 follow"}},
      {"idx_truncated_data.idx", {"truncated", "[2, 3] of uint8", "6 data bytes", "only 5 follow"}},
      {"idx_trailing_bytes.idx", {"2 unexpected trailing bytes", "6 data bytes", "[2, 3]"}},
      {"idx_dims_mismatch.idx", {"truncated", "[3] of int16", "6 data bytes", "only 5 follow"}},
      {"idx_negative_dim.idx", {"dimension 0 has size 4294967295", "maximum 2147483647"}},
      {"idx_absurd_dims.idx", {"absurd", "[2147483647, 2147483647, 2147483647]"}},
      {"idx_big_claim.idx", {"truncated", "[100000, 100000]", "10000000000 data bytes", "only 10 follow"}},
      {"idx_zero_dim_overflow.idx", {"absurd", "[0, 2147483647, 2147483647, 2147483647]"}},
      {"idx_truncated.idx.gz", {"gzip stream is truncated"}},
      {"idx_corrupt.idx.gz", {"gzip data is corrupt"}},
      {"idx_trailing_bytes.idx.gz", {"3 unexpected trailing bytes", "after gzip decompression"}},
      {"idx_truncated_data.idx.gz", {"truncated", "only 4 follow", "after gzip decompression"}},
  };
  for (const BadFile& c : cases) {
    const std::string message = error_of(corpus + c.name);
    EXPECT_THAT(message, HasSubstr(std::string("'") + corpus + c.name + "'")) << c.name;
    for (const std::string& part : c.expected) EXPECT_THAT(message, HasSubstr(part)) << c.name;
  }
}

TEST(IdxCorpus, EveryCorpusIdxFileIsCovered) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("idx_")) continue;
    ++count;
    EXPECT_THROW(read_idx(entry.path().string()), Error) << name;
  }
  EXPECT_EQ(count, 19);
}

// Random corruptions of valid files (bytes changed, cut or appended, plain and gzipped): each
// either reads or throws nabla::Error; nothing else escapes and nothing crashes.
TEST_F(Idx, MutatedFilesNeverCrash) {
  const std::string valid = idx_bytes<int16_t>(0x0B, {3, 4}, {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12});
  Generator g(42);
  int errors = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes = valid;
    const int64_t kind = g.randint(0, 3);
    if (kind == 0) {
      for (int64_t k = g.randint(1, 4); k > 0; --k)
        bytes[static_cast<size_t>(g.randint(0, static_cast<int64_t>(bytes.size())))] =
            static_cast<char>(g.randint(0, 256));
    } else if (kind == 1) {
      bytes.resize(static_cast<size_t>(g.randint(0, static_cast<int64_t>(bytes.size()))));
    } else {
      bytes += std::string(static_cast<size_t>(g.randint(1, 5)), '\x01');
    }
    const bool gz = trial % 2 == 1;
    write_file(path("m"), bytes, gz);
    if (gz && trial % 4 == 1) {  // corrupt the compressed stream itself
      std::fstream f(path("m"), std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(g.randint(10, 30));
      f.put(static_cast<char>(g.randint(0, 256)));
    }
    try {
      read_idx(path("m"));
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 130);
}

TEST(IdxRealData, FashionMnistTestSetLoads) {
  const std::string dir = fashion_mnist_dir;
  if (!fashion_mnist_available(dir))
    GTEST_SKIP() << "Fashion-MNIST is not installed in " << dir
                 << " (sudo apt-get install dataset-fashion-mnist); skipping the real-data check";
  const Tensor images = read_idx(dir + "/t10k-images-idx3-ubyte.gz");
  const Tensor labels = read_idx(dir + "/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(images.dtype(), uint8);
  EXPECT_EQ(images.shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(labels.dtype(), uint8);
  EXPECT_EQ(labels.shape(), (Shape{10000}));
  EXPECT_EQ(labels.max().item(), 9.0);
  EXPECT_EQ(labels.min().item(), 0.0);
  EXPECT_GT(images.max().item(), 200.0);  // real pixels, not zeros
}

}  // namespace
}  // namespace nabla::data
