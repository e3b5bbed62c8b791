#pragma once
// SQL functions maintd adds to each of its SQLite connections, where PostgreSQL has its own.
#include <soci/soci.h>

namespace maintd::store {

// maintd_hash(text): a 32-bit hash of the text (FNV-1a), as a signed integer, like PostgreSQL's
// hashtext: what the fingerprint of the tasks sums (task_table_version). NULL for NULL.
void register_sqlite_functions(soci::session& sql);

}  // namespace maintd::store
