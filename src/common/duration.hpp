#pragma once
// Durations as people write them in config: "90s", "15m", "2h", "1d", combined as "1h30m"; and
// the one way a run's duration is shown (dashboard, CLI, run events).
#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace maintd {

// The error says what was wrong and what is accepted.
Expected<std::chrono::seconds, std::string> parse_duration(std::string_view text);

// The shortest exact form: 5400s -> "1h30m", 0 -> "0s". For configured durations (a timeout,
// a lease), which are read back as they were written.
std::string format_duration(std::chrono::seconds duration);

// How long a run took (or has been going), for people: short, and always rounded down, so a
// run is never shown as having reached a mark it has not (59.99 s is "59.9s", not "60.0s").
//   under a minute   seconds and tenths      "0.0s", "1.2s", "59.9s"
//   under an hour    minutes and seconds     "1m00s", "3m04s"
//   under a day      hours and minutes       "2h05m"
//   beyond           days and hours          "3d04h"
// A negative duration (the clocks of two hosts) reads "0.0s".
std::string format_run_duration(std::chrono::milliseconds duration);

}  // namespace maintd
