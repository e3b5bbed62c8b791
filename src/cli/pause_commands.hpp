#pragma once
#include "cli/app.hpp"

namespace maintd::cli {

// `maintd pause [--for D] [--reason T]` and `maintd resume`: every daemon sharing the configured
// state database stops (or goes on) starting scheduled runs (service/pause_control.hpp).
// `maintd cancel ID`: a one-off run waiting for its time never starts; a running run stops.
void add_pause_commands(CLI::App& app, Context& context);

// "alice@db1": who the CLI says is asking (pauses, cancels).
std::string cli_user(const Context& context);

}  // namespace maintd::cli
