#include "store/target_session.hpp"

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <stdexcept>

namespace maintd::store {

std::unique_ptr<soci::session> open_target_session(const connection::DatabaseUrl& url) {
  try {
    if (url.backend == connection::DatabaseUrl::Backend::sqlite3) {
      // Application writers hold their own locks: wait for them a little rather than fail.
      auto session = std::make_unique<soci::session>(soci::sqlite3, url.connect + " timeout=10");
      *session << "PRAGMA foreign_keys=ON";
      return session;
    }
    auto session = std::make_unique<soci::session>(soci::postgresql, url.connect);
    // Handlers compare and write timestamps as UTC instants; a naive `timestamp` column of the
    // application is read and written as UTC too, whatever the server's default zone.
    *session << "SET TIME ZONE 'UTC'";
    return session;
  } catch (const std::exception& e) {
    throw std::runtime_error(connection::mask_secrets(
        fmt::format("cannot connect to the database {}: {}", url.display, e.what())));
  }
}

ConnectionWatchdog::Watch watch_target_session(soci::session& session,
                                               const connection::DatabaseUrl& url) {
  if (url.backend != connection::DatabaseUrl::Backend::postgresql) return {};
  // A static_cast: libsoci_postgresql does not export the backend's typeinfo, and the URL says
  // which backend this is.
  auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  if (backend == nullptr || backend->conn_ == nullptr) return {};
  // Until cut_by(): ten years is "not before asked".
  return ConnectionWatchdog::instance().watch(PQsocket(backend->conn_),
                                              std::chrono::hours(24 * 365 * 10));
}

std::unique_ptr<soci::session> open_named_session(
    const std::map<std::string, connection::DatabaseUrl>& databases, const std::string& name) {
  const auto it = databases.find(name);
  if (it == databases.end()) {
    throw std::runtime_error(
        fmt::format("no database named '{}' is declared under 'databases:'", name));
  }
  return open_target_session(it->second);
}

}  // namespace maintd::store
