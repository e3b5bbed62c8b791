#pragma once
// Small text checks the suites share.
#include <string>
#include <string_view>

namespace maintd::testing {

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace maintd::testing
