#include "cli/loading.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <ostream>

#include "config/loader.hpp"
#include "store/migrations.hpp"
#include "store/store_error.hpp"
#include "store/task_table.hpp"
#include "tasks/task_load.hpp"
#include "tasks/task_table_open.hpp"

namespace maintd::cli {

std::optional<config::Config> load_configuration(Context& context, ConfigWarnings warnings) {
  config::LoadOptions options;
  options.config_path = config::resolve_config_path(context.config_flag, context.env);
  options.handlers = context.handlers;
  options.env = context.env;
  auto result = config::load_config(options);
  if (warnings == ConfigWarnings::print) {
    for (const auto& warning : result.diagnostics.warnings()) {
      context.err << warning.to_string() << '\n';
    }
  }
  for (const auto& error : result.diagnostics.errors()) context.err << error.to_string() << '\n';
  if (!result.config) {
    const auto errors = result.diagnostics.error_count();
    context.err << fmt::format("maintd: {} error{} in the configuration; nothing was loaded\n",
                               errors, errors == 1 ? "" : "s");
  }
  return std::move(result.config);
}

std::shared_ptr<store::Database> open_state_database(Context& context, const config::Config& config,
                                                     std::size_t pool_size) {
  try {
    auto database = store::Database::open(config.state_database,
                                          tasks::state_database_options(config, pool_size));
    store::migrate(*database, tasks::migration_options(config));
    return database;
  } catch (const store::StoreError& e) {
    // StoreError messages are already masked and name the database.
    context.err << "maintd: " << e.what() << '\n';
    return nullptr;
  }
}

std::shared_ptr<store::TaskTable> open_tasks(Context& context, const config::Config& config,
                                             std::shared_ptr<store::Database> state) {
  try {
    return tasks::open_task_table(std::move(state), config);
  } catch (const store::StoreError& e) {
    context.err << "maintd: the task table: " << e.what() << '\n';
    return nullptr;
  }
}

tasks::TaskSet tasks_to_show(Context& context, const config::Config& config) {
  const auto& url = config.state_database;
  // Listing must not create a state database as a side effect.
  // (A file we may not even look at is left to Database::open, which says why.)
  std::error_code unreadable;
  if (url.backend == connection::DatabaseUrl::Backend::sqlite3 &&
      !std::filesystem::exists(url.connect.substr(std::string_view("db=").size()), unreadable) &&
      !unreadable) {
    return tasks::TaskSet::files_of(config);
  }
  try {
    auto database = store::Database::open(url, tasks::state_database_options(config, 1));
    auto table = tasks::open_task_table(database, config);
    if (!store::has_task_table(*table)) return tasks::TaskSet::files_of(config);
    auto set = tasks::merge_tasks(tasks::read_task_rows(*table), config);
    for (const auto& error : set.diagnostics.errors()) {
      context.err << error.to_string() << " (this task is not run)\n";
    }
    return set;
  } catch (const store::StoreError& e) {
    context.err << "maintd: warning: tasks in the state database are not shown: " << e.what()
                << '\n';
    return tasks::TaskSet::files_of(config);
  }
}

std::vector<store::RunRecord> one_offs_to_show(const config::Config& config,
                                               const std::optional<std::string>& task) {
  const auto& url = config.state_database;
  std::error_code unreadable;
  if (url.backend == connection::DatabaseUrl::Backend::sqlite3 &&
      !std::filesystem::exists(url.connect.substr(std::string_view("db=").size()), unreadable)) {
    return {};
  }
  try {
    auto database = store::Database::open(url, tasks::state_database_options(config, 1));
    return store::RunStore(database, store::system_clock()).pending_one_offs(task);
  } catch (const store::StoreError&) {
    return {};
  }
}

}  // namespace maintd::cli
