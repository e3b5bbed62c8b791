#pragma once
// How handlers report what they did: bounded id lists, instants and ages written the same way in
// every result, so `maintd show-run` and the API read alike whichever handler ran.
#include <chrono>
#include <cstddef>
#include <string>

namespace maintd::handlers {

// A result lists ids up to this many (the counts beside them are always complete): enough to
// look at, bounded however many rows a run changed.
inline constexpr std::size_t kMaxIdsInResult = 100;

// "2026-11-25T12:00:00Z": an instant in a result or a message, UTC to the second.
std::string iso_utc(std::chrono::system_clock::time_point at);

// 18.24 -> 18.2: ages in hours and minutes, as people read them.
double rounded_to_tenth(double value);

}  // namespace maintd::handlers
