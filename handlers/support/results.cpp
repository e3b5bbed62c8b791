#include "handlers/support/results.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cmath>

namespace maintd::handlers {

std::string iso_utc(std::chrono::system_clock::time_point at) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z",
                     std::chrono::time_point_cast<std::chrono::seconds>(at));
}

double rounded_to_tenth(double value) {
  return static_cast<double>(std::llround(value * 10.0)) / 10.0;
}

}  // namespace maintd::handlers
