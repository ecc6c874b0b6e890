// nabla::Error and NABLA_CHECK: every user-facing failure is an exception carrying
// file:line and a message built from the offending values (shapes, dtypes, paths).
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nabla {

/// The one exception type nabla throws for user errors (bad shapes, bad options,
/// corrupt files, NaN losses). Derived from std::runtime_error, so `what()` works.
class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {

template <typename T>
void append_value(std::ostream& os, const T& value) {
  os << value;
}
// Shapes, index lists and dim lists print as [2, 3, 4].
template <typename T>
void append_value(std::ostream& os, const std::vector<T>& values) {
  os << '[';
  for (size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << values[i];
  os << ']';
}
inline void append_value(std::ostream& os, bool value) { os << (value ? "true" : "false"); }

template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (append_value(os, args), ...);
  return os.str();
}

[[noreturn]] void throw_error(const char* file, int line, const std::string& message);

}  // namespace detail
}  // namespace nabla

/// Throws nabla::Error("file:line: message") unless `cond` holds; the message is built
/// from all further arguments, e.g. NABLA_CHECK(a.ndim() == 2, "expected 2-D, got ", a.shape()).
#define NABLA_CHECK(cond, ...)                                                      \
  do {                                                                              \
    if (!(cond)) [[unlikely]]                                                       \
      ::nabla::detail::throw_error(__FILE__, __LINE__, ::nabla::detail::str(__VA_ARGS__)); \
  } while (false)

/// Unconditional failure with the same formatting as NABLA_CHECK.
#define NABLA_FAIL(...) ::nabla::detail::throw_error(__FILE__, __LINE__, ::nabla::detail::str(__VA_ARGS__))
