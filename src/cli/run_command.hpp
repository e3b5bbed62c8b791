#pragma once
#include "cli/app.hpp"

namespace maintd::cli {

// `maintd run TASK [--dry-run] [--set key=value ...] [--json] [--force]`.
void add_run_command(CLI::App& app, Context& context);

}  // namespace maintd::cli
