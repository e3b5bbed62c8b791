#include "store/timestamp.hpp"

#include <cctz/time_zone.h>

namespace maintd::store {

std::string format_timestamp(Timestamp at) {
  return cctz::format("%Y-%m-%dT%H:%M:%E3SZ", at, cctz::utc_time_zone());
}

std::string format_timestamp(Instant at) {
  return format_timestamp(std::chrono::time_point_cast<std::chrono::milliseconds>(at));
}

std::optional<Timestamp> parse_timestamp(const std::string& text) {
  Timestamp at;
  if (!cctz::parse("%Y-%m-%dT%H:%M:%E*SZ", text, cctz::utc_time_zone(), &at)) return std::nullopt;
  return at;
}

Clock system_clock() {
  return [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  };
}

}  // namespace maintd::store
