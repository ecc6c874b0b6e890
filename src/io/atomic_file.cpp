// Atomic file replacement with POSIX calls: open(O_EXCL) a temporary in the same directory
// (rename is only atomic within one file system), write, fsync, rename, fsync the directory.
#include "io/atomic_file.hpp"

#include <nabla/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace nabla::io::detail {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// A name no other live writer uses: hidden, with the pid and a process-wide counter.
std::filesystem::path temporary_path(const std::filesystem::path& target) {
  static std::atomic<uint64_t> counter{0};
  const std::string name = "." + target.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                           std::to_string(counter.fetch_add(1));
  return target.parent_path() / name;
}

void sync_directory(const std::filesystem::path& dir) {
  // Makes the rename itself durable; failure here does not endanger either file's contents.
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

void AtomicWriter::write(const void* data, size_t nbytes) {
  const auto* p = static_cast<const char*>(data);
  while (nbytes > 0) {
    const ssize_t n = ::write(fd_, p, nbytes);
    if (n < 0 && errno == EINTR) continue;
    NABLA_CHECK(n > 0, context_, ": writing failed: ", errno_text(n < 0 ? errno : ENOSPC));
    p += n;
    nbytes -= static_cast<size_t>(n);
  }
}

void write_file_atomically(const std::string& op, const std::string& path,
                           const std::function<void(AtomicWriter&)>& body) {
  NABLA_CHECK(!path.empty(), op, ": empty path");
  const std::filesystem::path target(path);
  NABLA_CHECK(target.has_filename(), op, ": '", path, "' names a directory, not a file");
  const std::string context = op + ": '" + path + "'";

  // A writer killed mid-write leaves its temporary behind, and a later process can get the same
  // pid (in a container, often on every restart) and so the same names: step over them.
  std::filesystem::path temp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 1000; ++attempt) {
    temp = temporary_path(target);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  NABLA_CHECK(fd >= 0, context, ": cannot create the temporary file '", temp.string(), "': ", errno_text(errno),
              " (does the directory exist and is it writable?)");
  bool open = true;
  try {
    AtomicWriter writer(fd, context);
    body(writer);
    NABLA_CHECK(::fsync(fd) == 0, context, ": flushing to disk failed: ", errno_text(errno));
    open = false;
    NABLA_CHECK(::close(fd) == 0, context, ": closing the temporary file failed: ", errno_text(errno));
    NABLA_CHECK(::rename(temp.c_str(), target.c_str()) == 0, context, ": cannot replace it with '", temp.string(),
                "': ", errno_text(errno));
  } catch (...) {
    if (open) ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  sync_directory(target.parent_path());
}

}  // namespace nabla::io::detail
