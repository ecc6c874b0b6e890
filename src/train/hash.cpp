// weights_hash: 64-bit FNV-1a over a state dict's names, dtypes, shapes and raw bytes.
#include <nabla/train/hash.hpp>

#include <bit>
#include <cstdio>
#include <string_view>

namespace nabla::train {
namespace {

static_assert(std::endian::native == std::endian::little, "the hash reads values as little-endian bytes");

constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
constexpr uint64_t kPrime = 0x100000001b3ULL;

class Fnv1a {
public:
  void bytes(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
      h_ ^= p[i];
      h_ *= kPrime;
    }
  }
  void text(std::string_view s) {
    bytes(s.data(), s.size());
    const unsigned char zero = 0;
    bytes(&zero, 1);
  }
  void integer(int64_t v) { bytes(&v, sizeof v); }  // little-endian (checked above)
  uint64_t value() const { return h_; }

private:
  uint64_t h_ = kOffsetBasis;
};

const void* first_element(const Tensor& t) {
  switch (t.dtype()) {
    case DType::Float32: return t.data_ptr<float>();
    case DType::Float64: return t.data_ptr<double>();
    case DType::Int64: return t.data_ptr<int64_t>();
    case DType::UInt8: return t.data_ptr<uint8_t>();
  }
  return nullptr;
}

}  // namespace

uint64_t state_dict_hash(const nn::StateDict& state) {
  Fnv1a h;
  for (const auto& [name, tensor] : state) {
    h.text(name);
    h.text(dtype_name(tensor.dtype()));
    h.integer(tensor.ndim());
    for (int64_t size : tensor.shape()) h.integer(size);
    const Tensor values = tensor.detach().contiguous();
    if (values.numel() > 0) h.bytes(first_element(values), static_cast<size_t>(values.numel()) * element_size(values.dtype()));
  }
  return h.value();
}

uint64_t weights_hash(const nn::Module& module) { return state_dict_hash(module.state_dict()); }

std::string format_hash(uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

}  // namespace nabla::train
