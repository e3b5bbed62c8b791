#pragma once
#include <string>

#include "cron/syntax.hpp"

namespace maintd::cron {

// A plain-English description: "At 02:30, Monday through Friday". States the day-field rule
// where it matters ("on day 1 of the month or on Monday").
std::string explain(const Syntax& syntax);

}  // namespace maintd::cron
