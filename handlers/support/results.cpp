#include "handlers/support/results.hpp"

#include <cmath>

namespace maintd::handlers {

double rounded_to_tenth(double value) {
  return static_cast<double>(std::llround(value * 10.0)) / 10.0;
}

}  // namespace maintd::handlers
