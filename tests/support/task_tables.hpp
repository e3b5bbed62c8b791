#pragma once
// The task table of a state database, for tests that call the tasks layer and the store's task
// functions on a Database: the default table (scheduled_tasks in that database).
#include <memory>

#include "store/task_table.hpp"

namespace maintd::testing {

// A new handle each call (its layout is read at first use); `database` must outlive it.
inline std::shared_ptr<store::TaskTable> table_of(store::Database& database) {
  return std::make_shared<store::TaskTable>(
      std::shared_ptr<store::Database>(std::shared_ptr<void>(), &database));
}

}  // namespace maintd::testing
