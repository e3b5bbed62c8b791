#pragma once
#include <cctz/time_zone.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace maintd::cron {

// The longest zone name looked up (the longest IANA name, America/Argentina/ComodRivadavia, has
// 32 characters): a longer one is refused before the tz database is touched, as is a name with a
// character no IANA name has (letters, digits and '/', '_', '-', '+', '.' only; ':' for cctz's
// own "libc:localtime" and fixed offsets).
inline constexpr std::size_t kMaxZoneNameBytes = 100;

// Loads an IANA zone from the system tz database ("Europe/Berlin", "UTC"). The error names the
// zone and suggests the closest known names ("unknown time zone 'Europe/Berln' (did you mean
// 'Europe/Berlin'?)").
Expected<cctz::time_zone, std::string> load_zone(std::string_view name);

}  // namespace maintd::cron
