// libFuzzer target: the safetensors reader over arbitrary bytes. After a successful parse every
// tensor's data is summed, so the byte ranges the header promised are read to their last byte
// (and empty tensors with huge other dimensions, like [1, 2^62, 0], go through the reductions).
#include <nabla/io/safetensors.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto file = nabla::io::parse_safetensors({reinterpret_cast<const char*>(data), size}, "fuzz");
    double sum = 0;
    for (const auto& [name, t] : file.tensors)
      sum += t.to(nabla::float64).sum().item<double>();
    static volatile double sink;
    sink = sum;
  } catch (const nabla::Error&) {
    // Refusing bad input is the expected outcome; anything else escaping is a finding.
  }
  return 0;
}
