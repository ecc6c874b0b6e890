// Tensor memory: large buffers are recycled by a caching allocator instead of going back to the
// C library. glibc serves big blocks with fresh mmap()s (or trims them off the heap top) and
// every reuse then page-faults its memory in again, which costs more than the arithmetic of a
// LeNet-sized training step. Freed blocks of 16 KiB and more therefore wait in size classes
// (four per power of two, so at most 25% slack) for the next tensor of that class.
//
//   nabla::memory::cached_bytes();            // memory held for reuse right now
//   nabla::memory::empty_cache();             // give it all back (e.g. after training)
//   nabla::memory::set_cache_limit(64 << 20); // hold at most 64 MiB; 0 turns caching off
//
// Thread-safe; the contents of a recycled block are unspecified, exactly as with malloc.
#pragma once

#include <cstddef>

namespace nabla::memory {

/// Bytes held in the cache for reuse (not counting blocks in use by tensors).
size_t cached_bytes();
/// Frees every cached block.
void empty_cache();
/// The most the cache holds (default 512 MiB); a block freed beyond it goes back to the system.
/// Lowering the limit frees cached blocks until it holds.
void set_cache_limit(size_t bytes);
size_t cache_limit();

}  // namespace nabla::memory
