#pragma once
// What most commands do first: read the configuration (printing every warning and error), then
// open the state database and bring its schema up to date (printing why it cannot be used).
// Each returns empty after printing, and the command exits with the code the failure maps to.
#include <memory>
#include <optional>

#include "cli/app.hpp"
#include "config/config.hpp"
#include "store/database.hpp"
#include "store/task_set.hpp"

namespace maintd::cli {

// Empty when the configuration did not validate (the caller exits kUsageError).
std::optional<config::Config> load_configuration(Context& context);

// Opens config.state_database and migrates it. Empty when the database is unavailable (the
// caller exits kStateUnavailable). `pool_size`: sessions (serve needs one per thread that uses it).
std::shared_ptr<store::Database> open_state_database(
    Context& context, const config::Config& config,
    std::size_t pool_size = store::DatabaseOptions{}.pool_size);

// The tasks to show (list, next): the schedule files' tasks with their enable/disable overrides,
// and the table's own tasks, read without creating, migrating or syncing anything. When the
// state database does not exist yet or cannot be read, the files' tasks, with a warning.
// The set points at the tasks of `config`, which must outlive it.
store::TaskSet tasks_to_show(Context& context, const config::Config& config);

}  // namespace maintd::cli
