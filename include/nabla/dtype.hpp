// Element types. float32 is the default for everything; float64 is there for
// gradient checking and precise work; int64 holds indices and class labels; uint8
// keeps images compact in memory until a batch is converted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

namespace nabla {

enum class DType : uint8_t { Float32, Float64, Int64, UInt8 };

inline constexpr DType float32 = DType::Float32;
inline constexpr DType float64 = DType::Float64;
inline constexpr DType int64 = DType::Int64;
inline constexpr DType uint8 = DType::UInt8;

/// Bytes per element.
constexpr size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::UInt8: return 1;
  }
  return 0;
}

constexpr bool is_floating(DType dtype) { return dtype == DType::Float32 || dtype == DType::Float64; }

/// "float32", "float64", "int64", "uint8" (PyTorch's names without the "torch." prefix).
constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::UInt8: return "uint8";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, DType dtype) { return os << dtype_name(dtype); }

/// The C++ type behind a dtype, for kernels: CType<DType::Float32> is float.
template <DType D> struct CTypeOf;
template <> struct CTypeOf<DType::Float32> { using type = float; };
template <> struct CTypeOf<DType::Float64> { using type = double; };
template <> struct CTypeOf<DType::Int64> { using type = int64_t; };
template <> struct CTypeOf<DType::UInt8> { using type = uint8_t; };
template <DType D> using CType = typename CTypeOf<D>::type;

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::UInt8; }

}  // namespace nabla
