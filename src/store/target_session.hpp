#pragma once
// Sessions to target databases (the application databases handlers clean), named in config
// under `databases:`. Each call opens a session of its own: handlers use it from their worker
// thread and close it when they return.
#include <soci/session.h>

#include <map>
#include <memory>
#include <string>

#include "connection/database_url.hpp"
#include "store/connection_watchdog.hpp"

namespace maintd::store {

// Opens a session to `url`. Throws std::runtime_error naming the database (without its
// password) and the reason when it cannot connect.
std::unique_ptr<soci::session> open_target_session(const connection::DatabaseUrl& url);

// Opens the database declared as `name`; throws std::runtime_error when `name` is not declared.
std::unique_ptr<soci::session> open_named_session(
    const std::map<std::string, connection::DatabaseUrl>& databases, const std::string& name);

// A watch on a session opened by open_target_session, for cutting its connection short
// (ConnectionWatchdog::Watch::cut_by): a handler's statement on a server that stopped answering
// then fails instead of waiting for ever. Nothing is cut until asked. Inactive for SQLite.
ConnectionWatchdog::Watch watch_target_session(soci::session& session,
                                               const connection::DatabaseUrl& url);

}  // namespace maintd::store
