#pragma once
#include "cli/app.hpp"

namespace maintd::cli {

// `maintd history [TASK] [--status S] [--since DURATION] [--limit N] [--json]` and
// `maintd show-run ID [--json]`.
void add_history_commands(CLI::App& app, Context& context);

}  // namespace maintd::cli
