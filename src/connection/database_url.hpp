#pragma once
// Database locations as written in config, and how they are shown without their secrets.
//
// Below both config and store (DESIGN.md: data flows one way): config reads a location out of
// maintd.yaml with parse_database_url and apply_database_timeouts, the store opens what it
// describes (store::Database, store::open_target_session) and masks what it prints with
// mask_secrets, and neither includes the other. The libpq forms it reads are in
// connection/pg_uri.hpp and connection/pg_conninfo.hpp, the string SOCI is given in
// connection/soci_connect.hpp.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "connection/pg_conninfo.hpp"

namespace maintd::connection {

// A database URL or keyword/value string (a long password goes in `password_file`): one of the
// limits on configuration input (config/limits.hpp lists the others).
inline constexpr std::size_t kMaxDatabaseUrlBytes = 16 * 1024;

// `database_timeouts:` in maintd.yaml: how long maintd waits for a PostgreSQL server, so that a
// server that stopped answering (a hung host, a network partition, a stopped process) becomes
// an error within a bounded time instead of a wait without end. SQLite files have their own
// busy timeout. A parameter written in a database's URL wins over these.
struct DatabaseTimeouts {
  // libpq connect_timeout, per address tried (state and target databases). libpq waits at
  // least 2 s.
  std::chrono::seconds connect{5};
  // statement_timeout of maintd's own statements on the state database (set after connecting).
  // maintd also stops waiting on its side, kAnswerMargin later, for a server that cannot
  // enforce it any more (store/database.hpp).
  std::chrono::seconds statement{30};
  // TCP keepalives (keepalives=1) and tcp_user_timeout: a peer that stopped answering on TCP
  // is found out on an idle connection (idle + interval * count) and one with data in flight.
  std::chrono::seconds keepalives_idle{10};
  std::chrono::seconds keepalives_interval{5};
  int keepalives_count = 3;
  std::chrono::seconds tcp_user_timeout{30};
};

struct DatabaseUrl {
  enum class Backend { sqlite3, postgresql };
  Backend backend = Backend::sqlite3;
  // What SOCI is given: "db=PATH" for SQLite; for PostgreSQL, whatever form the config used, one
  // canonical libpq keyword/value string ("host=db port=5432 dbname=app user=maintd") written so
  // that soci::postgresql passes it to libpq unchanged (connection/soci_connect.hpp). It may hold a
  // password: never print, log or serialise it; use `display`.
  std::string connect;
  // The URL as written, every password replaced by ***; a password given apart shows as
  // "password=***" at the end.
  std::string display;
  // PostgreSQL: the libpq parameters `connect` was written from (apply_database_timeouts adds
  // to them). May hold a password, like `connect`.
  PgParameters parameters;
  // PostgreSQL, in effect once apply_database_timeouts ran: libpq's connect_timeout (0: none),
  // and the statement timeout of maintd's own statements (0: none; state database only).
  std::chrono::seconds connect_timeout{0};
  std::chrono::milliseconds statement_timeout{0};
  // The statement timeout comes from the URL (options=-c statement_timeout=...): libpq sets it,
  // maintd does not set it again.
  bool statement_timeout_in_url = false;
  std::string soci_backend() const {
    return backend == Backend::sqlite3 ? "sqlite3" : "postgresql";
  }
};

// Accepts "sqlite3://PATH" or "sqlite://PATH" (a relative PATH resolves against `base_dir`;
// "sqlite3:///abs/path" is absolute), and for PostgreSQL either libpq form: a URI,
// "postgresql://..." or "postgres://..." (connection/pg_uri.hpp), or a keyword/value string,
// "host=... dbname=..." (connection/pg_conninfo.hpp; libpq's rule: no "://" and a '='). `password`
// (from a `password`/`password_file` key) is added to a PostgreSQL location that holds none.
// `from_file`: the URL was read from a `*_file`, kept out of the config, maybe for its secrets:
// an error never shows it, even masked (what is not a URL has nothing mask_secrets finds).
Expected<DatabaseUrl, std::string> parse_database_url(std::string_view url,
                                                      const std::optional<std::string>& password,
                                                      const std::filesystem::path& base_dir,
                                                      bool from_file = false);

// Which database a location is: the state database gets the statement timeout too; a target
// database's statements are bounded by the task's own timeout.
enum class DatabaseRole { state, target };

// Adds `timeouts` to a PostgreSQL location (nothing for SQLite): each libpq parameter
// (connect_timeout, keepalives, keepalives_idle, keepalives_interval, keepalives_count,
// tcp_user_timeout) unless the URL gives it, and rewrites `connect`. Fills connect_timeout and,
// for the state database, statement_timeout with what will be in effect.
void apply_database_timeouts(DatabaseUrl& url, const DatabaseTimeouts& timeouts, DatabaseRole role);

// "30s", "1500ms", "2min", "30000" (milliseconds), as PostgreSQL reads a statement_timeout;
// empty when it is not one of those forms.
std::optional<std::chrono::milliseconds> parse_pg_duration(std::string_view text);

// Replaces passwords in URLs (user:SECRET@), query strings and conninfo (password=SECRET) with
// ***. Applied to anything that might hold a connection string before it is printed.
std::string mask_secrets(std::string_view text);

}  // namespace maintd::connection
