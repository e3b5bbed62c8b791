#pragma once
// How handlers report what they did: bounded id lists and ages written the same way in every
// result, so `maintd show-run` and the API read alike whichever handler ran. Instants are
// written by utc_text (timestamps.hpp).
#include <cstddef>

namespace maintd::handlers {

// A result lists ids up to this many (the counts beside them are always complete): enough to
// look at, bounded however many rows a run changed.
inline constexpr std::size_t kMaxIdsInResult = 100;

// 18.24 -> 18.2: ages in hours and minutes, as people read them.
double rounded_to_tenth(double value);

}  // namespace maintd::handlers
