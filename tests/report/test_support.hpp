// Readers the report tests check the writers with: a small PNG decoder (signature, chunk CRCs,
// IHDR, zlib-inflated IDAT, all five row filters), a tag-balance checker for SVG/HTML, and
// helpers to pull embedded data URIs out of a document.
#pragma once

#include <nabla/report/report.hpp>

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace nabla::report::testing {

struct DecodedPng {
  uint32_t width = 0, height = 0;
  int channels = 0;
  std::vector<uint8_t> filters;  // one filter type per row
  std::vector<uint8_t> pixels;   // (height, width, channels), unfiltered
  std::vector<std::string> chunk_types;

  const uint8_t* at(uint32_t x, uint32_t y) const { return &pixels[(static_cast<size_t>(y) * width + x) * channels]; }
};

inline uint32_t read_u32(const std::string& s, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24 | static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8 | static_cast<uint32_t>(static_cast<uint8_t>(s[at + 3]));
}

/// Decodes an 8-bit, non-interlaced PNG as encode_png writes it; any deviation fails the test
/// (ADD_FAILURE) and returns what was read so far.
inline DecodedPng decode_png(const std::string& png) {
  DecodedPng out;
  if (png.size() < 8 || png.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0) {
    ADD_FAILURE() << "bad PNG signature";
    return out;
  }
  std::string idat;
  int colour_type = -1;
  for (size_t at = 8; at < png.size();) {
    if (at + 12 > png.size()) {
      ADD_FAILURE() << "truncated chunk at " << at;
      return out;
    }
    const uint32_t length = read_u32(png, at);
    const std::string type = png.substr(at + 4, 4);
    if (at + 12 + length > png.size()) {
      ADD_FAILURE() << "chunk " << type << " runs past the end";
      return out;
    }
    const std::string data = png.substr(at + 8, length);
    const auto crc = static_cast<uint32_t>(
        crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(png.data() + at + 4), static_cast<uInt>(4 + length)));
    EXPECT_EQ(crc, read_u32(png, at + 8 + length)) << "CRC of chunk " << type;
    out.chunk_types.push_back(type);
    if (type == "IHDR") {
      EXPECT_EQ(length, 13u);
      out.width = read_u32(data, 0);
      out.height = read_u32(data, 4);
      EXPECT_EQ(static_cast<uint8_t>(data[8]), 8) << "bit depth";
      colour_type = static_cast<uint8_t>(data[9]);
      EXPECT_EQ(data.substr(10, 3), std::string(3, '\0')) << "compression, filter, interlace";
    } else if (type == "IDAT") {
      idat += data;
    }
    at += 12 + length;
  }
  switch (colour_type) {
    case 0: out.channels = 1; break;
    case 4: out.channels = 2; break;
    case 2: out.channels = 3; break;
    case 6: out.channels = 4; break;
    default: ADD_FAILURE() << "unexpected colour type " << colour_type; return out;
  }
  const size_t row_bytes = static_cast<size_t>(out.width) * out.channels, bpp = static_cast<size_t>(out.channels);
  std::vector<uint8_t> raw(out.height * (row_bytes + 1) + 1);  // one spare byte: the size must come out exact
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), static_cast<uLong>(idat.size())) !=
      Z_OK) {
    ADD_FAILURE() << "IDAT does not inflate";
    return out;
  }
  EXPECT_EQ(raw_size, out.height * (row_bytes + 1)) << "inflated size";
  out.pixels.assign(out.height * row_bytes, 0);
  for (size_t y = 0; y < out.height; ++y) {
    const uint8_t filter = raw[y * (row_bytes + 1)];
    out.filters.push_back(filter);
    EXPECT_LE(filter, 4) << "row " << y;
    const uint8_t* in = &raw[y * (row_bytes + 1) + 1];
    std::vector<uint8_t>& px = out.pixels;
    for (size_t i = 0; i < row_bytes; ++i) {
      const size_t at = y * row_bytes + i;  // left, up and up-left are at - bpp, at - row_bytes, ...
      const int a = i >= bpp ? px[at - bpp] : 0, b = y > 0 ? px[at - row_bytes] : 0,
                c = i >= bpp && y > 0 ? px[at - row_bytes - bpp] : 0;
      int predicted = 0;
      if (filter == 1) predicted = a;
      if (filter == 2) predicted = b;
      if (filter == 3) predicted = (a + b) / 2;
      if (filter == 4) {
        const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[at] = static_cast<uint8_t>(in[i] + predicted);
    }
  }
  return out;
}

/// Every `data:image/png;base64,...` URI in `doc`, decoded to PNG bytes.
inline std::vector<std::string> embedded_pngs(const std::string& doc) {
  const std::string prefix = "data:image/png;base64,";
  std::vector<std::string> pngs;
  for (size_t at = doc.find(prefix); at != std::string::npos; at = doc.find(prefix, at + 1)) {
    const size_t begin = at + prefix.size(), end = doc.find('"', begin);
    pngs.push_back(base64_decode(doc.substr(begin, end - begin)));
  }
  return pngs;
}

/// Occurrences of `needle` in `haystack`.
inline size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

/// "" when every element of an SVG/HTML document closes in order (self-closing tags, HTML void
/// elements, comments, the doctype and the contents of <style> are understood); otherwise
/// what went wrong first.
inline std::string tag_balance_error(const std::string& doc) {
  static const std::vector<std::string> kVoid = {"meta", "img", "br", "hr", "link", "input"};
  std::vector<std::string> open;
  for (size_t at = doc.find('<'); at != std::string::npos; at = doc.find('<', at + 1)) {
    if (doc.compare(at, 4, "<!--") == 0) {
      at = doc.find("-->", at);
      if (at == std::string::npos) return "unterminated comment";
      continue;
    }
    const size_t end = doc.find('>', at);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(at);
    if (doc[at + 1] == '!' || doc[at + 1] == '?') {
      at = end;
      continue;
    }
    const bool closing = doc[at + 1] == '/';
    const size_t name_begin = at + (closing ? 2 : 1);
    size_t name_end = name_begin;
    while (name_end < end && (std::isalnum(static_cast<unsigned char>(doc[name_end])) || doc[name_end] == ':' || doc[name_end] == '-'))
      ++name_end;
    const std::string name = doc.substr(name_begin, name_end - name_begin);
    if (name.empty()) return "a '<' that starts no tag at " + std::to_string(at) + ": " + doc.substr(at, 30);
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? std::string("nothing") : "<" + open.back() + ">");
      open.pop_back();
    } else if (doc[end - 1] != '/' && std::find(kVoid.begin(), kVoid.end(), name) == kVoid.end()) {
      open.push_back(name);
      if (name == "style") {  // CSS may hold '>' (child selectors)
        at = doc.find("</style>", end);
        if (at == std::string::npos) return "unterminated <style>";
        open.pop_back();
        continue;
      }
    }
    at = end;
  }
  return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

}  // namespace nabla::report::testing
