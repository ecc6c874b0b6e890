// IDX files, the format of MNIST and Fashion-MNIST: a 4-byte magic (0x00 0x00, an element
// type byte, the number of dimensions), one big-endian 32-bit size per dimension, then the
// elements in row-major order, big-endian. Files may be gzipped (detected from the content).
//
//   Tensor images = data::read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
//   // uint8, shape (10000, 28, 28)
#pragma once

#include <nabla/tensor.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace nabla::data {

/// The element type byte of an IDX file.
enum class IdxType : uint8_t {
  UInt8 = 0x08,
  Int8 = 0x09,
  Int16 = 0x0B,
  Int32 = 0x0C,
  Float32 = 0x0D,
  Float64 = 0x0E,
};

/// Reads an IDX file, gzipped or not. uint8 data stays uint8; int8/int16/int32 become int64;
/// float32/float64 keep their type. The header is checked against the data actually present:
/// a file that is too short or has bytes after the data, 0 or more than 16 dimensions, a size
/// above 2^31 - 1 or an unknown type byte is refused with a nabla::Error that names the file,
/// the problem and what was expected.
Tensor read_idx(const std::string& path);
/// The same reader over a file's bytes already in memory (plain or gzipped); `name` stands for
/// the path in errors.
Tensor parse_idx(std::string_view bytes, const std::string& name = "<memory>");

/// Writes `t` (at least 1-D) as IDX: uint8 → 0x08, int64 → 0x0C (values must fit in int32),
/// float32 → 0x0D, float64 → 0x0E; gzipped when `gzip` is set. Throws naming the file when it
/// cannot be written.
void write_idx(const std::string& path, const Tensor& t, bool gzip = false);

}  // namespace nabla::data
