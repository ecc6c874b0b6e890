// libFuzzer target: the IDX reader over arbitrary bytes, plain or gzipped (the reader tells them
// apart by the gzip magic 1f 8b, so the fuzzer reaches both from one target).
#include <nabla/data/idx.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const nabla::Tensor t = nabla::data::parse_idx({reinterpret_cast<const char*>(data), size}, "fuzz");
    static volatile int64_t sink;
    sink = t.numel();
  } catch (const nabla::Error&) {
  }
  return 0;
}
