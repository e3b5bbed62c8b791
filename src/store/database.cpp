#include "store/database.hpp"

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <filesystem>

#include "store/store_error.hpp"

namespace maintd::store {

Database::Database(Dialect dialect, std::string display, std::size_t pool_size)
    : dialect_(dialect),
      display_(std::move(display)),
      pool_(std::make_unique<soci::connection_pool>(pool_size)) {}

std::shared_ptr<Database> Database::open(const config::DatabaseUrl& url, std::size_t pool_size) {
  const bool sqlite = url.backend == config::DatabaseUrl::Backend::sqlite3;
  if (sqlite) {
    // SQLite creates the file but not its directory; say which directory is missing.
    const std::filesystem::path file(url.connect.substr(3));  // after "db="
    if (!file.parent_path().empty() && !std::filesystem::is_directory(file.parent_path())) {
      throw StoreUnavailable(
          fmt::format("cannot open the state database {}: the directory {} "
                      "does not exist",
                      url.display, file.parent_path().string()));
    }
  }
  auto database = std::make_shared<Database>(sqlite ? Dialect::sqlite : Dialect::postgresql,
                                             url.display, pool_size);
  try {
    for (std::size_t i = 0; i < pool_size; ++i) {
      soci::session& session = database->pool_->at(i);
      if (sqlite) {
        // "timeout" is SQLite's busy timeout in seconds: writers wait for each other, briefly.
        session.open(soci::sqlite3, url.connect + " timeout=5");
        session << "PRAGMA journal_mode=WAL";
        session << "PRAGMA foreign_keys=ON";
        session << "PRAGMA synchronous=NORMAL";
      } else {
        // The two-argument form: SOCI would read "postgresql://" as its own backend prefix.
        session.open(soci::postgresql, url.connect);
      }
    }
  } catch (const std::exception& e) {
    throw StoreUnavailable(
        fmt::format("cannot open the state database {}: {}", url.display, e.what()));
  }
  return database;
}

std::string Database::auto_id_column() const {
  return dialect_ == Dialect::sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                                     : "BIGSERIAL PRIMARY KEY";
}

std::string Database::now_expression() const {
  return dialect_ == Dialect::sqlite
             ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
             : "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

}  // namespace maintd::store
