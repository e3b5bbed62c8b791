#pragma once
#include "cli/app.hpp"

namespace maintd::cli {

// `maintd status`: what the daemons sharing the configured state database are doing, read from
// that database (maintd_instances, maintd_runs, scheduled_tasks): the daemons and their
// heartbeats, the runs in progress, and the next slots. Exit 0 when at least one daemon is
// alive, 1 when none is (so scripts and monitoring can ask), 3 when the database is unavailable.
void add_status_command(CLI::App& app, Context& context);

}  // namespace maintd::cli
