#pragma once
#include "cli/app.hpp"

namespace maintd::cli {

// `maintd task add|edit|rm|enable|disable`: tasks that live in the scheduled_tasks table
// (origin db), validated exactly like schedule files; enable|disable for tasks of either origin.
void add_task_commands(CLI::App& app, Context& context);

}  // namespace maintd::cli
