#include "common/duration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>

namespace maintd {
namespace {
constexpr std::string_view kAccepted = "use a number and a unit: 90s, 15m, 2h, 1d, or 1h30m";
}

Expected<std::chrono::seconds, std::string> parse_duration(std::string_view text) {
  if (text.empty()) return Unexpected{fmt::format("empty duration ({})", kAccepted)};
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t begin = pos;
    std::int64_t number = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (number > std::numeric_limits<std::int32_t>::max()) {
        return Unexpected{fmt::format("duration '{}' is too long", text)};
      }
      number = number * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == begin || pos == text.size()) {
      return Unexpected{fmt::format("bad duration '{}' ({})", text, kAccepted)};
    }
    std::int64_t unit = 0;
    switch (text[pos]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        return Unexpected{fmt::format("bad duration '{}' ({})", text, kAccepted)};
    }
    ++pos;
    total += number * unit;
    if (total > std::int64_t{366} * 86400 * 100) {
      return Unexpected{fmt::format("duration '{}' is too long", text)};
    }
  }
  return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds duration) {
  std::int64_t rest = duration.count();
  if (rest == 0) return "0s";
  std::string out;
  if (rest < 0) {
    out = "-";
    rest = -rest;
  }
  for (const auto& [unit, suffix] :
       {std::pair<std::int64_t, char>{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}) {
    if (rest >= unit) {
      out += fmt::format("{}{}", rest / unit, suffix);
      rest %= unit;
    }
  }
  return out;
}

std::string format_run_duration(std::chrono::milliseconds duration) {
  const std::int64_t ms = std::max<std::int64_t>(duration.count(), 0);
  if (ms < 60'000) return fmt::format("{}.{}s", ms / 1000, (ms % 1000) / 100);
  const std::int64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

}  // namespace maintd
