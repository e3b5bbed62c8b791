#pragma once
#include <string>

#include "cli/app.hpp"
#include "tasks/task_row.hpp"

namespace maintd::cli {

// `maintd db migrate` and `maintd db seed [--dry-run] [--json]`.
void add_db_commands(CLI::App& app, Context& context);

// One changed column as the CLI prints it: `schedule_expression: "*/5 * * * *" -> "0 * * * *"`
// (values as JSON, secrets masked).
std::string describe_change(const tasks::FieldChange& change);

}  // namespace maintd::cli
