// libFuzzer target: text model specs ("mlp:256,128:act=tanh", "resnet_small:blocks=2", ...)
// through nabla::io::parse_spec, then built for the Fashion-MNIST input (1, 28, 28) with 10
// outputs. A tighter parameter limit than the library's keeps every model small (16 KiB of
// weights), so a large-but-legal spec is refused rather than slowing the fuzzer to a crawl.
#include <nabla/io/spec.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string spec(reinterpret_cast<const char*>(data), size);
  // A spec ending in ".json" names a file: the fuzzer stays off the disk.
  if (spec.find(".json") != std::string::npos) return 0;
  try {
    const auto layers = nabla::io::parse_spec(spec);
    nabla::Generator generator(0);
    nabla::io::build_layers(layers, {1, 28, 28}, 10, &generator, int64_t{1} << 12);
  } catch (const nabla::Error&) {
  }
  return 0;
}
