// The message a user would read: what() of the nabla::Error a call throws. Tests check it for
// the offending shapes, paths and values.
#pragma once

#include <nabla/error.hpp>

#include <functional>
#include <string>

namespace nabla::testing {

/// e.what() of the nabla::Error that `fn` throws, or "(no nabla::Error thrown)".
inline std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no nabla::Error thrown)";
}

}  // namespace nabla::testing
