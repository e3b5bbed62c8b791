#pragma once
// Instants: UTC seconds. Stored and printed as ISO-8601 UTC ("2026-03-29T01:00:00Z").
#include <cctz/time_zone.h>

#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace maintd {

using Instant = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

// "2026-03-29T01:00:00Z"
std::string format_utc(Instant instant);

// Accepts "2026-03-29T01:00:00Z", "...+02:00", "...+0200", a space for 'T', optional seconds and
// fraction (truncated to the second). Without an offset the text is wall-clock time in
// `zone_for_local`, read with the offset in force before a change when it is ambiguous or was
// skipped (cctz's rule).
Expected<Instant, std::string> parse_instant(std::string_view text,
                                             const cctz::time_zone& zone_for_local);

}  // namespace maintd
