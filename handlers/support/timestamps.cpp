#include "handlers/support/timestamps.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace maintd::handlers {
namespace {

// fmt prints a time point's seconds without their fraction: the milliseconds are added here.
std::string with_millis(Millis at, const char* date_time_format, const char* suffix) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(at);
  return fmt::format("{}.{:03}{}", fmt::format(fmt::runtime(date_time_format), seconds),
                     (at - seconds).count(), suffix);
}

}  // namespace

Millis run_now(const registry::HandlerContext& context) {
  return std::chrono::floor<std::chrono::milliseconds>(context.now());
}

std::string utc_text(Millis at) {
  return with_millis(at, "{:%Y-%m-%dT%H:%M:%S}", "Z");
}

std::string sqlite_text(Millis at) {
  return with_millis(at, "{:%Y-%m-%d %H:%M:%S}", "");
}

}  // namespace maintd::handlers
