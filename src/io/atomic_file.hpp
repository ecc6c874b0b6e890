// Atomic file replacement: the new contents go to a temporary file in the target's directory,
// which is flushed to disk and then renamed over the target, so readers see the old file or
// the new one, never a half-written one, and a failed write leaves the old file untouched.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace nabla::io::detail {

/// Appends bytes to the temporary file; throws nabla::Error on a failed write.
class AtomicWriter {
public:
  void write(const void* data, size_t nbytes);

private:
  friend void write_file_atomically(const std::string&, const std::string&,
                                    const std::function<void(AtomicWriter&)>&);
  AtomicWriter(int fd, std::string context) : fd_(fd), context_(std::move(context)) {}
  int fd_;
  std::string context_;  // "write_safetensors: 'path'" for error messages
};

/// Creates a temporary file next to `path`, lets `body` fill it, then fsyncs and renames it over
/// `path`. On any failure (including an exception from `body`) the temporary file is removed,
/// `path` keeps its old contents and the error is rethrown. `op` names the caller in errors.
void write_file_atomically(const std::string& op, const std::string& path,
                           const std::function<void(AtomicWriter&)>& body);

}  // namespace nabla::io::detail
