#pragma once
#include "cli/app.hpp"

namespace maintd::cli {

// `maintd reload`: tells the daemons of this host that share the configured state database to
// re-read their configuration (SIGHUP), as `systemctl reload maintd` does.
void add_reload_command(CLI::App& app, Context& context);

}  // namespace maintd::cli
