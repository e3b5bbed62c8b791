#pragma once
// Versioned schema migrations, the same on SQLite and PostgreSQL up to the dialect seam.
// Applied by `maintd db migrate`, and automatically by `serve` and `run`, under a lock so that
// two processes never race: PostgreSQL takes an advisory lock, SQLite a write transaction.
#include <string>
#include <vector>

#include "store/database.hpp"

namespace maintd::store {

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // "1 initial schema", ...
};

struct MigrationOptions {
  // The task table is the state database's scheduled_tasks (no `task_table:` elsewhere or of
  // another name): created when absent; an application's existing one is checked first.
  bool create_task_table = true;
};

// Brings the schema to the latest version; a no-op when it is there already. Throws StoreError
// (naming the migration) if one fails; a failed migration leaves no trace (it ran in a
// transaction). Refuses a database whose schema is newer than this maintd knows.
MigrationReport migrate(Database& database, const MigrationOptions& options = {});

int latest_schema_version();
int current_schema_version(Database& database);

}  // namespace maintd::store
