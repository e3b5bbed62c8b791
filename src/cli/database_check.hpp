#pragma once
// `maintd validate --check-databases`: the checks only a live database can answer. The state
// database must be reachable; each task's handler compares the tables and columns its config
// names with the target database's catalogue (registry::HandlerInfo::check_database).
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "tasks/task_set.hpp"

namespace maintd::cli {

// Every problem found, placed at the task's definition ("schedules/claims.yaml:3:5: task
// 'release' config.claimed_at: column 'claimd_at' does not exist in table 'soup_dedupe' (did you
// mean 'claimed_at'?)"). A database that cannot be reached is reported once, at the first task
// that needs it, and not tried again.
std::vector<config::Diagnostic> check_databases(const config::Config& config,
                                                const tasks::TaskSet& tasks);

}  // namespace maintd::cli
