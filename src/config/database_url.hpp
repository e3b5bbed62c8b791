#pragma once
// Database locations as written in config, and how they are shown without their secrets.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace maintd::config {

struct DatabaseUrl {
  enum class Backend { sqlite3, postgresql };
  Backend backend = Backend::sqlite3;
  // What SOCI is given: "db=PATH" for SQLite; for PostgreSQL, whatever form the config used, one
  // canonical libpq keyword/value string ("host=db port=5432 dbname=app user=maintd") written so
  // that soci::postgresql passes it to libpq unchanged (config/soci_connect.hpp). It may hold a
  // password: never print, log or serialise it; use `display`.
  std::string connect;
  // The URL as written, every password replaced by ***; a password given apart shows as
  // "password=***" at the end.
  std::string display;
  std::string soci_backend() const {
    return backend == Backend::sqlite3 ? "sqlite3" : "postgresql";
  }
};

// Accepts "sqlite3://PATH" or "sqlite://PATH" (a relative PATH resolves against `base_dir`;
// "sqlite3:///abs/path" is absolute), and for PostgreSQL either libpq form: a URI,
// "postgresql://..." or "postgres://..." (config/pg_uri.hpp), or a keyword/value string,
// "host=... dbname=..." (config/pg_conninfo.hpp; libpq's rule: no "://" and a '='). `password`
// (from a `password`/`password_file` key) is added to a PostgreSQL location that holds none.
// `from_file`: the URL was read from a `*_file`, kept out of the config, maybe for its secrets:
// an error never shows it, even masked (what is not a URL has nothing mask_secrets finds).
Expected<DatabaseUrl, std::string> parse_database_url(std::string_view url,
                                                      const std::optional<std::string>& password,
                                                      const std::filesystem::path& base_dir,
                                                      bool from_file = false);

// Replaces passwords in URLs (user:SECRET@), query strings and conninfo (password=SECRET) with
// ***. Applied to anything that might hold a connection string before it is printed.
std::string mask_secrets(std::string_view text);

}  // namespace maintd::config
