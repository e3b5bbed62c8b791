#pragma once
#include "cli/app.hpp"

namespace maintd::cli {

// `maintd serve`: the daemon, in the foreground (systemd runs it as Type=notify).
void add_serve_command(CLI::App& app, Context& context);

}  // namespace maintd::cli
