#pragma once
// The task table the configuration names (`task_table:`), and the options the state database is
// opened and migrated with (`state_schema:`; whether `maintd db migrate` creates scheduled_tasks).
#include <cstddef>
#include <memory>

#include "config/config.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/task_table.hpp"

namespace maintd::tasks {

// Over the state database: the table is there, or in the application database named by
// `task_table.database`, opened here as an application's (store::DatabaseOptions::application).
// Throws StoreUnavailable when that database cannot be opened.
std::shared_ptr<store::TaskTable> open_task_table(std::shared_ptr<store::Database> state,
                                                  const config::Config& config);

store::DatabaseOptions state_database_options(const config::Config& config,
                                              std::size_t pool_size = 4);
store::MigrationOptions migration_options(const config::Config& config);

}  // namespace maintd::tasks
