#pragma once
// What the daemon needs to know at start-up about slots already dealt with: per task, the latest
// slot that was run or recorded as skipped, so slots missed while maintd was down are caught up
// or skipped, never lost silently and never run twice.
#include <map>
#include <string>

#include "common/instant.hpp"
#include "store/database.hpp"

namespace maintd::store {

// Task name -> the latest scheduled_for of its schedule and catch-up runs (retries excluded:
// their scheduled_for is when the retry was due, not a slot of the schedule).
std::map<std::string, Instant> last_scheduled_slots(Database& database);

}  // namespace maintd::store
