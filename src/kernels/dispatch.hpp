// One dtype switch for every kernel: dispatch(dtype, [&]<typename T>() { ... }) runs the
// lambda instantiated for the C++ type behind `dtype`.
#pragma once

#include <nabla/dtype.hpp>
#include <nabla/error.hpp>

namespace nabla::kernels {

template <typename F>
decltype(auto) dispatch(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    case DType::Int64: return f.template operator()<int64_t>();
    case DType::UInt8: return f.template operator()<uint8_t>();
  }
  NABLA_FAIL("unknown dtype ", static_cast<int>(dtype));
}

/// Like dispatch, for ops only defined on float32/float64; `op` names the op in the error.
template <typename F>
decltype(auto) dispatch_floating(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    default: break;
  }
  NABLA_FAIL(op, ": expected a floating-point tensor (float32 or float64), got ", dtype);
}

}  // namespace nabla::kernels
