// The nesting depth of JSON text, checked before it is parsed: nlohmann's dump(), which error
// messages use to quote a bad value, recurses once per level, so a file nested 100,000 deep
// would overflow the stack. Every nabla JSON format nests only a few levels.
#pragma once

#include <algorithm>
#include <string_view>

namespace nabla::io::detail {

/// Deepest nesting of objects and arrays outside strings.
inline int json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace nabla::io::detail
