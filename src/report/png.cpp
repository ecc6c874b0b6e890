// PNG encoding (signature, IHDR, one zlib-compressed IDAT, IEND; every chunk with its CRC-32)
// and base64 for data URIs, so the report can embed images without any image library.
// Rows are filtered like libpng does by default: for each row the filter type (None, Sub, Up,
// Average, Paeth) whose output has the smallest sum of absolute signed bytes.
#include <nabla/error.hpp>
#include <nabla/report/report.hpp>

#include <zlib.h>

#include <array>
#include <cstdlib>

namespace nabla::report {
namespace {

void put_u32(std::string& out, uint32_t v) {
  out += static_cast<char>(v >> 24);
  out += static_cast<char>(v >> 16);
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

// length, type, data, CRC-32 of type + data.
void put_chunk(std::string& out, const char type[4], const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const size_t type_at = out.size();
  out.append(type, 4);
  out += data;
  const auto* bytes = reinterpret_cast<const Bytef*>(out.data() + type_at);
  put_u32(out, static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), bytes, static_cast<uInt>(4 + data.size()))));
}

uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return static_cast<uint8_t>(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

// Filters `row` (previous row `up`, all zero for the first) with filter `type` into `out`.
// bpp: bytes per pixel, the distance to the byte on the left.
void filter_row(int type, const uint8_t* row, const uint8_t* up, size_t n, size_t bpp, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) {
    const int a = i >= bpp ? row[i - bpp] : 0, b = up[i], c = i >= bpp ? up[i - bpp] : 0;
    int predicted = 0;
    switch (type) {
      case 1: predicted = a; break;
      case 2: predicted = b; break;
      case 3: predicted = (a + b) / 2; break;
      case 4: predicted = paeth(a, b, c); break;
      default: break;
    }
    out[i] = static_cast<uint8_t>(row[i] - predicted);
  }
}

// The filtered image: each row is a filter-type byte followed by the filtered bytes.
std::string filtered_rows(const std::vector<uint8_t>& pixels, size_t height, size_t row_bytes, size_t bpp) {
  std::string out;
  out.reserve(height * (row_bytes + 1));
  const std::vector<uint8_t> zeros(row_bytes, 0);
  std::vector<uint8_t> best(row_bytes), trial(row_bytes);
  for (size_t y = 0; y < height; ++y) {
    const uint8_t* row = pixels.data() + y * row_bytes;
    const uint8_t* up = y > 0 ? row - row_bytes : zeros.data();
    uint64_t best_cost = UINT64_MAX;
    int best_type = 0;
    for (int type = 0; type < 5; ++type) {
      filter_row(type, row, up, row_bytes, bpp, trial.data());
      uint64_t cost = 0;
      for (const uint8_t v : trial) cost += static_cast<uint64_t>(std::abs(static_cast<int8_t>(v)));
      if (cost < best_cost) {
        best_cost = cost;
        best_type = type;
        best.swap(trial);
      }
    }
    out += static_cast<char>(best_type);
    out.append(reinterpret_cast<const char*>(best.data()), row_bytes);
  }
  return out;
}

constexpr const char* kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string encode_png(const std::vector<uint8_t>& pixels, int64_t height, int64_t width, int64_t channels) {
  NABLA_CHECK(channels >= 1 && channels <= 4, "encode_png: channels must be 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA), got ",
              channels);
  NABLA_CHECK(height > 0 && width > 0 && height < (1LL << 31) && width < (1LL << 31),
              "encode_png: height and width must be positive, got ", height, " x ", width);
  NABLA_CHECK(static_cast<int64_t>(pixels.size()) == height * width * channels, "encode_png: expected ",
              height * width * channels, " bytes for ", height, " x ", width, " x ", channels, ", got ", pixels.size());
  static constexpr std::array<uint8_t, 5> kColourType = {0, 0, 4, 2, 6};  // by channel count

  std::string ihdr;
  put_u32(ihdr, static_cast<uint32_t>(width));
  put_u32(ihdr, static_cast<uint32_t>(height));
  ihdr += static_cast<char>(8);  // bit depth
  ihdr += static_cast<char>(kColourType[static_cast<size_t>(channels)]);
  ihdr.append(3, '\0');  // compression (deflate), filter method 0, no interlace

  const auto row_bytes = static_cast<size_t>(width * channels);
  const std::string raw = filtered_rows(pixels, static_cast<size_t>(height), row_bytes, static_cast<size_t>(channels));
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string idat(packed_size, '\0');
  const int status = compress2(reinterpret_cast<Bytef*>(idat.data()), &packed_size,
                               reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), 9);
  NABLA_CHECK(status == Z_OK, "encode_png: zlib compress2 failed with status ", status, " for a ", height, " x ", width,
              " image");
  idat.resize(packed_size);

  std::string png("\x89PNG\r\n\x1a\n", 8);
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", idat);
  put_chunk(png, "IEND", "");
  return png;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16;
    if (n > 1) v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8;
    if (n > 2) v |= static_cast<uint8_t>(bytes[i + 2]);
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += n > 1 ? kBase64[(v >> 6) & 63] : '=';
    out += n > 2 ? kBase64[v & 63] : '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  NABLA_CHECK(text.size() % 4 == 0, "base64_decode: length ", text.size(), " is not a multiple of 4");
  auto value = [&](size_t i) -> uint32_t {
    const char c = text[i];
    if (c >= 'A' && c <= 'Z') return static_cast<uint32_t>(c - 'A');
    if (c >= 'a' && c <= 'z') return static_cast<uint32_t>(c - 'a' + 26);
    if (c >= '0' && c <= '9') return static_cast<uint32_t>(c - '0' + 52);
    if (c == '+') return 62;
    if (c == '/') return 63;
    NABLA_FAIL("base64_decode: invalid character '", c, "' at position ", i);
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    NABLA_CHECK(pad == 0 || text[i + 3] == '=', "base64_decode: misplaced '=' at position ", i + 2);
    uint32_t v = value(i) << 18 | value(i + 1) << 12;
    if (pad < 2) v |= value(i + 2) << 6;
    if (pad < 1) v |= value(i + 3);
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>(v >> 8);
    if (pad < 1) out += static_cast<char>(v);
  }
  return out;
}

std::string png_data_uri(const std::string& png) { return "data:image/png;base64," + base64_encode(png); }

}  // namespace nabla::report
