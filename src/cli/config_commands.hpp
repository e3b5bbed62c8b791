#pragma once
#include "cli/app.hpp"

namespace maintd::cli {

// `maintd validate`, `maintd list`, `maintd next`, `maintd handlers`.
void add_config_commands(CLI::App& app, Context& context);

}  // namespace maintd::cli
