#include "common/instant.hpp"

#include <fmt/format.h>

#include <array>

namespace maintd {

std::string format_utc(Instant instant) {
  return cctz::format("%Y-%m-%dT%H:%M:%SZ", instant, cctz::utc_time_zone());
}

Expected<Instant, std::string> parse_instant(std::string_view text,
                                             const cctz::time_zone& zone_for_local) {
  const std::string input(text);
  // With an explicit offset ("Z" is accepted by %Ez), the zone argument is ignored by cctz.
  static constexpr std::array<const char*, 8> kFormats = {
      "%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%d %H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M%Ez", "%Y-%m-%d %H:%M%Ez",
      "%Y-%m-%dT%H:%M:%E*S",    "%Y-%m-%d %H:%M:%E*S",    "%Y-%m-%dT%H:%M",    "%Y-%m-%d %H:%M"};
  for (const char* format : kFormats) {
    // Straight into seconds: a nanosecond time_point overflows past 2262 without a word.
    Instant parsed;
    if (cctz::parse(format, input, zone_for_local, &parsed)) {
      const auto year = cctz::convert(parsed, cctz::utc_time_zone()).year();
      if (year < 1 || year > 9999) {
        return Unexpected{fmt::format("'{}' is outside the years 1-9999", text)};
      }
      return parsed;
    }
  }
  return Unexpected{
      fmt::format("'{}' is not an ISO-8601 time (expected e.g. 2026-03-29T01:00:00Z or "
                  "2026-03-29T03:00:00+02:00)",
                  text)};
}

}  // namespace maintd
