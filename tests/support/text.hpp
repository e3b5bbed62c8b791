#pragma once
// Small text checks the suites share.
#include <cstddef>
#include <string>
#include <string_view>

namespace maintd::testing {

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// How many times `part` occurs in `text` (overlapping occurrences counted).
inline std::size_t count(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace maintd::testing
