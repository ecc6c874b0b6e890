// The raw buffer source behind Storage (see nabla/memory.hpp for why it caches).
#pragma once

#include <cstddef>

namespace nabla::detail {

/// A 64-byte aligned buffer of at least `bytes` bytes; throws nabla::Error when out of memory.
void* allocate(size_t bytes);
/// Returns a buffer from allocate(bytes) with the same `bytes`.
void deallocate(void* data, size_t bytes);

}  // namespace nabla::detail
