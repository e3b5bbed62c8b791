#pragma once
#include "cli/app.hpp"

namespace maintd::cli {

// `maintd cron next EXPR [--tz ZONE] [--from ISO8601] [--count N]` and `maintd cron explain EXPR`.
void add_cron_command(CLI::App& app, Context& context);

}  // namespace maintd::cli
