#include "tasks/task_table_open.hpp"

#include <utility>

namespace maintd::tasks {

std::shared_ptr<store::TaskTable> open_task_table(std::shared_ptr<store::Database> state,
                                                  const config::Config& config) {
  const config::TaskTableSettings& settings = config.task_table;
  if (settings.in_state_database()) {
    return std::make_shared<store::TaskTable>(std::move(state), settings.spec);
  }
  // Two sessions: the daemon's loop polls it while a worker writes a run back.
  auto home = store::Database::open(config.databases.at(settings.database),
                                    store::DatabaseOptions{.pool_size = 2, .application = true});
  return std::make_shared<store::TaskTable>(std::move(state), settings.spec, std::move(home));
}

store::DatabaseOptions state_database_options(const config::Config& config, std::size_t pool_size) {
  store::DatabaseOptions options;
  options.pool_size = pool_size;
  options.schema = config.state_schema;
  return options;
}

store::MigrationOptions migration_options(const config::Config& config) {
  return store::MigrationOptions{.create_task_table = config.task_table.is_default()};
}

}  // namespace maintd::tasks
