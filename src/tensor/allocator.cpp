#include "tensor/allocator.hpp"

#include <nabla/error.hpp>
#include <nabla/memory.hpp>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace nabla::detail {
namespace {

constexpr size_t kAlignment = 64;            // AVX-512 loads and cache lines
constexpr size_t kMinCached = size_t{16} << 10;  // below this glibc's own free lists do well

// Size class of a large block: its size rounded up to 1, 1.25, 1.5 or 1.75 times a power of two.
size_t class_size(size_t bytes) {
  const int top = std::bit_width(bytes) - 1;  // 2^top <= bytes
  const size_t quarter = size_t{1} << (top - 2);
  return (bytes + quarter - 1) / quarter * quarter;
}
size_t class_index(size_t rounded) {
  const int top = std::bit_width(rounded) - 1;
  return static_cast<size_t>(top) * 4 + ((rounded >> (top - 2)) & 3);
}

// Plain malloc with the alignment done by hand, the pointer malloc returned kept in the word
// just below the aligned address (aligned_alloc blocks are not reused by glibc's free lists).
void* system_allocate(size_t bytes) {
  void* allocation = std::malloc(bytes + kAlignment + sizeof(void*));
  NABLA_CHECK(allocation != nullptr, "out of memory allocating ", bytes, " bytes");
  const auto address = reinterpret_cast<uintptr_t>(allocation) + sizeof(void*);
  void* data = reinterpret_cast<void*>((address + kAlignment - 1) & ~uintptr_t{kAlignment - 1});
  static_cast<void**>(data)[-1] = allocation;
  return data;
}
void system_free(void* data) { std::free(static_cast<void**>(data)[-1]); }

class Cache {
public:
  void* take(size_t rounded) {
    std::lock_guard lock(mutex_);
    auto& list = free_[class_index(rounded)];
    if (list.empty()) return nullptr;
    void* data = list.back();
    list.pop_back();
    cached_ -= rounded;
    return data;
  }
  bool put(void* data, size_t rounded) {
    std::lock_guard lock(mutex_);
    if (cached_ + rounded > limit_) return false;
    free_[class_index(rounded)].push_back(data);
    cached_ += rounded;
    return true;
  }
  size_t cached() {
    std::lock_guard lock(mutex_);
    return cached_;
  }
  size_t limit() {
    std::lock_guard lock(mutex_);
    return limit_;
  }
  void set_limit(size_t bytes) {
    std::lock_guard lock(mutex_);
    limit_ = bytes;
    // Largest classes first: they hold the most memory per block.
    for (size_t index = kClasses; index-- > 0 && cached_ > limit_;) {
      auto& list = free_[index];
      while (!list.empty() && cached_ > limit_) {
        system_free(list.back());
        list.pop_back();
        cached_ -= size_of_class(index);
      }
    }
  }

private:
  static constexpr size_t kClasses = 64 * 4;
  static size_t size_of_class(size_t index) {
    const size_t top = index / 4, step = index % 4;
    return (size_t{1} << top) + step * (size_t{1} << (top - 2));
  }
  std::mutex mutex_;
  std::vector<void*> free_[kClasses];
  size_t cached_ = 0;
  size_t limit_ = size_t{512} << 20;
};

// Never destroyed: tensors in static storage may be freed after any other static destructor.
Cache& cache() {
  static Cache* instance = new Cache;
  return *instance;
}

}  // namespace

void* allocate(size_t bytes) {
  if (bytes < kMinCached) return system_allocate(bytes);
  const size_t rounded = class_size(bytes);
  if (void* data = cache().take(rounded)) return data;
  return system_allocate(rounded);
}

void deallocate(void* data, size_t bytes) {
  if (bytes < kMinCached || !cache().put(data, class_size(bytes))) system_free(data);
}

}  // namespace nabla::detail

namespace nabla::memory {

size_t cached_bytes() { return detail::cache().cached(); }
void empty_cache() {
  const size_t limit = detail::cache().limit();
  detail::cache().set_limit(0);
  detail::cache().set_limit(limit);
}
void set_cache_limit(size_t bytes) { detail::cache().set_limit(bytes); }
size_t cache_limit() { return detail::cache().limit(); }

}  // namespace nabla::memory
