#pragma once
#include <cctz/time_zone.h>

#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace maintd::cron {

// Loads an IANA zone from the system tz database ("Europe/Berlin", "UTC"). The error names the
// zone and suggests the closest known names ("unknown time zone 'Europe/Berln' (did you mean
// 'Europe/Berlin'?)").
Expected<cctz::time_zone, std::string> load_zone(std::string_view name);

}  // namespace maintd::cron
