#pragma once
// What most commands do first: read the configuration (printing its errors, and its warnings
// where they belong: ConfigWarnings), then open the state database and bring its schema up to
// date (printing why it cannot be used). Each returns empty after printing, and the command
// exits with the code the failure maps to.
#include <memory>
#include <optional>

#include "cli/app.hpp"
#include "config/config.hpp"
#include "store/database.hpp"
#include "store/run_store.hpp"
#include "store/task_table.hpp"
#include "tasks/task_set.hpp"

namespace maintd::cli {

// Who prints the configuration's warnings (a legacy alias as a task's type, an empty schedule
// file, notify: without a target). They are about the configuration, not about what a command
// does, so they are said where the configuration is reviewed, once each: by `validate` and by
// `reload` (the operator applying a change), and by `serve` at start; the daemon logs them again
// at each reload (Daemon::reload). Every other command keeps quiet about them: printed by each
// `list`, `run` or `task add`, they would be noise about tasks the command does not touch.
// Errors are always printed: they stop the command.
enum class ConfigWarnings {
  quiet,  // every command but those below
  print,  // validate, reload, serve
};

// Empty when the configuration did not validate (the caller exits kUsageError).
std::optional<config::Config> load_configuration(Context& context,
                                                 ConfigWarnings warnings = ConfigWarnings::quiet);

// Opens config.state_database and migrates it. Empty when the database is unavailable (the
// caller exits kStateUnavailable). `pool_size`: sessions (serve needs one per thread that uses it).
std::shared_ptr<store::Database> open_state_database(
    Context& context, const config::Config& config,
    std::size_t pool_size = store::DatabaseOptions{}.pool_size);

// The tasks to show (list, next): the schedule files' tasks with their enable/disable overrides,
// and the table's own tasks, read without creating, migrating or syncing anything. When the
// state database does not exist yet or cannot be read, the files' tasks, with a warning.
// The set points at the tasks of `config`, which must outlive it.
// The task table of the configuration over `state` (tasks/task_table_open.hpp); nullptr after
// printing why when it cannot be opened.
std::shared_ptr<store::TaskTable> open_tasks(Context& context, const config::Config& config,
                                             std::shared_ptr<store::Database> state);

tasks::TaskSet tasks_to_show(Context& context, const config::Config& config);

// The one-off runs waiting (of `task`, or all), earliest first, read as tasks_to_show reads the
// tasks: nothing created or migrated. Empty when there is no state database yet or it cannot be
// read (tasks_to_show says so), or its schema predates one-off runs.
std::vector<store::RunRecord> one_offs_to_show(const config::Config& config,
                                               const std::optional<std::string>& task);

}  // namespace maintd::cli
