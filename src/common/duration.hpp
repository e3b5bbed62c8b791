#pragma once
// Durations as people write them in config: "90s", "15m", "2h", "1d", combined as "1h30m".
#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace maintd {

// The error says what was wrong and what is accepted.
Expected<std::chrono::seconds, std::string> parse_duration(std::string_view text);

// The shortest exact form: 5400s -> "1h30m", 0 -> "0s".
std::string format_duration(std::chrono::seconds duration);

}  // namespace maintd
