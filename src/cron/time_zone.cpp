#include "cron/time_zone.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/suggest.hpp"

namespace maintd::cron {
namespace {

std::string zoneinfo_dir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

// Zone and link names from the tz database's own index ("Z Europe/Berlin ...", "L target name").
// Only read to suggest a name after a miss, never on the success path.
std::vector<std::string> known_zone_names() {
  std::vector<std::string> names;
  std::ifstream index(zoneinfo_dir() + "/tzdata.zi");
  std::string line;
  while (std::getline(index, line)) {
    if (line.size() < 3 || line[1] != ' ') continue;
    if (line[0] == 'Z') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else if (line[0] == 'L') {
      const std::size_t name = line.find(' ', 2);
      if (name != std::string::npos) names.push_back(line.substr(name + 1));
    }
  }
  return names;
}

}  // namespace

Expected<cctz::time_zone, std::string> load_zone(std::string_view name) {
  if (name.empty()) {
    return Unexpected{
        std::string("time zone is empty (use an IANA name such as 'UTC' or "
                    "'Europe/Berlin')")};
  }
  if (name.size() > kMaxZoneNameBytes) {
    return Unexpected{fmt::format(
        "time zone name is {} bytes, more than the limit of {} (time zone names): use an IANA "
        "name such as 'UTC' or 'Europe/Berlin'",
        name.size(), kMaxZoneNameBytes)};
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          std::string_view("/_-+.:").find(c) != std::string_view::npos)) {
      return Unexpected{fmt::format(
          "time zone name holds a character no IANA name has (byte {} is 0x{:02x}): use an IANA "
          "name such as 'UTC' or 'Europe/Berlin'",
          i + 1, static_cast<unsigned char>(c))};
    }
  }
  // A zone name is a relative path inside the tz database; refuse anything that could leave it.
  if (name.front() == '/' || name.find("..") != std::string_view::npos) {
    return Unexpected{
        fmt::format("'{}' is not an IANA time zone name (e.g. 'Europe/Berlin')", name)};
  }
  cctz::time_zone zone;
  if (cctz::load_time_zone(std::string(name), &zone)) return zone;
  const auto close = closest_matches(name, known_zone_names(), 1);
  if (close.empty()) {
    return Unexpected{fmt::format(
        "unknown time zone '{}' (use an IANA name such as 'UTC' or 'Europe/Berlin'; the "
        "tz database in {} lists them)",
        name, zoneinfo_dir())};
  }
  return Unexpected{
      fmt::format("unknown time zone '{}' (did you mean '{}'?)", name, close.front())};
}

}  // namespace maintd::cron
