#include "store/database.hpp"

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace maintd::store {

Database::Database(Dialect dialect, std::string display, const DatabaseOptions& options)
    : dialect_(dialect),
      display_(std::move(display)),
      options_(options),
      pool_(std::make_unique<soci::connection_pool>(options.pool_size)) {}

std::shared_ptr<Database> Database::open(const config::DatabaseUrl& url,
                                         const DatabaseOptions& options) {
  if (options.pool_size == 0) throw std::invalid_argument("Database::open: pool_size 0");
  const bool sqlite = url.backend == config::DatabaseUrl::Backend::sqlite3;
  if (sqlite) {
    // SQLite creates the file but not its directory; say which directory is missing.
    const std::filesystem::path file(url.connect.substr(3));  // after "db="
    if (!file.parent_path().empty()) {
      std::error_code error;
      const auto directory = std::filesystem::status(file.parent_path(), error);
      std::string problem;
      if (directory.type() == std::filesystem::file_type::not_found) {
        problem = "does not exist";
      } else if (error) {  // not ours to look into: a state directory of another user
        problem = "cannot be read: " + error.message() + "; run as the service's user";
      } else if (directory.type() != std::filesystem::file_type::directory) {
        problem = "is not a directory";
      }
      if (!problem.empty()) {
        throw StoreUnavailable(
            fmt::format("cannot open the state database {} (the directory {} {})", url.display,
                        file.parent_path().string(), problem));
      }
    }
  }
  auto database = std::make_shared<Database>(sqlite ? Dialect::sqlite : Dialect::postgresql,
                                             url.display, options);
  try {
    for (std::size_t i = 0; i < options.pool_size; ++i) {
      soci::session& session = database->pool_->at(i);
      // The two-argument form: url.connect is a libpq keyword/value string written for
      // soci::postgresql's own rewriting of it (config/soci_connect.hpp).
      const soci::backend_factory& backend =
          sqlite ? static_cast<const soci::backend_factory&>(soci::sqlite3) : soci::postgresql;
      session.open(backend, url.connect);
      database->configure(session);
    }
  } catch (const std::exception& e) {
    throw StoreUnavailable(
        fmt::format("cannot open the state database {} ({})", url.display, describe(e)));
  }
  return database;
}

void Database::configure(soci::session& sql) const {
  if (dialect_ == Dialect::sqlite) {
    // The busy timeout first: switching to WAL takes a lock another process may hold.
    sql << "PRAGMA busy_timeout = " << options_.busy_timeout.count();
    // Not every lock on this path goes through the busy handler: while another process creates
    // the file and switches it to WAL (several maintd processes migrating one new database at
    // once), this pragma can fail with "database is locked" at once. Retry it, within the same
    // busy timeout, as the handler would have waited.
    const auto deadline = std::chrono::steady_clock::now() + options_.busy_timeout;
    for (;;) {
      try {
        sql << "PRAGMA journal_mode = WAL";
        break;
      } catch (const soci::sqlite3_soci_error& e) {
        const int code = e.result() & 0xff;
        if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) ||
            std::chrono::steady_clock::now() >= deadline) {
          throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    sql << "PRAGMA foreign_keys = ON";
    // In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a power cut may lose
    // the last runs recorded, never corrupt the file.
    sql << "PRAGMA synchronous = NORMAL";
  } else {
    // libpq prints notices ("relation ... already exists, skipping") on stderr; keep warnings.
    sql << "SET client_min_messages = warning";
  }
}

void Database::ensure_connected(soci::session& sql) const {
  // A session whose reconnect failed during an outage has no backend; try again now.
  if (sql.get_backend() == nullptr) {
    sql.reconnect();
    configure(sql);
  }
}

bool Database::reconnect_lost(soci::session& sql) const {
  if (dialect_ != Dialect::postgresql || sql.get_backend() == nullptr || sql.is_connected()) {
    return false;
  }
  try {
    sql.reconnect();
    configure(sql);
    return true;
  } catch (const std::exception&) {
    return false;  // still down: fail() reports it, ensure_connected() tries again next time
  }
}

void Database::fail(soci::session& sql, std::string_view what, const std::exception& error) const {
  const std::string reason = describe(error);
  bool unavailable = reason.find("no such table") != std::string::npos ||
                     reason.find("database is locked") != std::string::npos;
  if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&error)) {
    switch (lite->result() & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
      case SQLITE_CANTOPEN:
      case SQLITE_NOTADB:
      case SQLITE_CORRUPT:
      case SQLITE_IOERR:
      case SQLITE_FULL:
      case SQLITE_READONLY:
      case SQLITE_PERM:
        unavailable = true;
        break;
      default:
        break;
    }
  } else if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error)) {
    // Connection exceptions, shutdown, out of resources, authentication, no such database, no
    // such table (not migrated).
    const std::string state = pg->sqlstate();
    unavailable = unavailable || state.starts_with("08") || state.starts_with("57P") ||
                  state.starts_with("53") || state.starts_with("28") || state == "3D000" ||
                  state == "42P01";
  }
  if (sql.get_backend() == nullptr) {
    // ensure_connected() could not reconnect: still down.
    unavailable = true;
  } else if (dialect_ == Dialect::postgresql && !sql.is_connected()) {
    // Whatever the error said, the connection is gone (is_connected() asks the server, so only
    // here, after a failure). Reconnect now in case the server is back already; if it is not,
    // the session is left without a backend and ensure_connected() tries again at its next use.
    unavailable = true;
    try {
      sql.reconnect();
      configure(sql);
    } catch (const std::exception&) {
    }
  }
  const std::string message =
      fmt::format("{} failed on the state database {} ({})", what, display_, reason);
  if (unavailable) throw StoreUnavailable(message);
  throw StoreError(message);
}

// Messages name the database by its display form, always followed by a space: config::mask_secrets
// (which StoreError applies to every message) takes a masked "password=***" to run up to the next
// space or '&', so a ':' right after it would vanish.
std::string Database::describe(const std::exception& e) {
  const auto* soci_error = dynamic_cast<const soci::soci_error*>(&e);
  std::istringstream lines(soci_error != nullptr ? soci_error->get_error_message() : e.what());
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    // PostgreSQL quotes the statement and points into it: "LINE 1: INSERT ...", "   ^".
    if (line.starts_with("LINE ") || line.find_first_not_of("^ ") == std::string::npos) continue;
    // SOCI's SQLite backend names its own function: "sqlite3_statement_backend::loadOne: ".
    if (line.starts_with("sqlite3_")) {
      const auto colon = line.find(": ");
      if (colon != std::string::npos && line.find("::") < colon) line.erase(0, colon + 2);
    }
    if (!out.empty()) out += ' ';
    for (char c : line) {
      if (c == '\t') c = ' ';
      if (c == ' ' && !out.empty() && out.back() == ' ') continue;
      out += c;
    }
  }
  return out;
}

std::string Database::auto_id_column() const {
  return dialect_ == Dialect::sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                                     : "BIGSERIAL PRIMARY KEY";
}

std::string Database::id_reference_type() const {
  return dialect_ == Dialect::sqlite ? "INTEGER" : "BIGINT";
}

std::string Database::timestamp_type() const {
  return dialect_ == Dialect::sqlite ? "TEXT" : "TEXT COLLATE \"C\"";
}

std::string Database::now_expression() const {
  return dialect_ == Dialect::sqlite
             ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
             : "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

std::string Database::now_minus_expression(std::chrono::seconds ago) const {
  if (ago.count() < 0) throw std::invalid_argument("now_minus_expression: negative interval");
  return dialect_ == Dialect::sqlite
             ? fmt::format("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{} seconds')", ago.count())
             : fmt::format(
                   "to_char((clock_timestamp() - interval '{} seconds') AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                   ago.count());
}

bool Database::table_exists(soci::session& sql, const std::string& table) const {
  long long found = 0;
  std::string name = table;
  if (dialect_ == Dialect::sqlite) {
    sql << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :name",
        soci::use(name), soci::into(found);
  } else {
    sql << "SELECT COUNT(*) FROM information_schema.tables "
           "WHERE table_schema = current_schema() AND table_name = :name",
        soci::use(name), soci::into(found);
  }
  return found > 0;
}

}  // namespace maintd::store
