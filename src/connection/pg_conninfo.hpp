#pragma once
// libpq connection parameters, and libpq's keyword/value form of them ("host=db dbname=app").
//
// Every PostgreSQL location maintd accepts (a URI or a keyword/value string) is read into these
// parameters and written back as one canonical keyword/value string, quoted as libpq expects
// (and, for SOCI, as connection/soci_connect.hpp explains), so what a user wrote in any form
// reaches libpq meaning the same thing.
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace maintd::connection {

struct PgParameter {
  std::string keyword;
  std::string value;
};

// Parameters in the order first given. Setting a keyword again replaces its value, as libpq does
// (in a URI, `?host=` replaces the host before the path; in keyword/value, the last one wins).
class PgParameters {
 public:
  void set(std::string_view keyword, std::string value);
  const std::string* find(std::string_view keyword) const;
  const std::vector<PgParameter>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<PgParameter> items_;
};

// A PostgreSQL location as read from config: its parameters and how to show it.
struct PgLocation {
  PgParameters parameters;
  std::string display;     // as written, every secret value replaced by ***
  bool is_uri = false;     // a URI (else keyword/value)
  bool has_query = false;  // a URI with a `?` query part
};

// Whether `word` has the shape of a libpq keyword: a lowercase word (host, dbname, sslmode,
// target_session_attrs). Which keywords exist depends on the libpq version, so only the shape is
// checked in config; libpq names an unknown one when connecting.
bool is_pg_keyword(std::string_view word);

// Keywords whose values are secrets: never shown, logged or serialised.
bool is_secret_keyword(std::string_view keyword);

// libpq's own rule for telling its two forms apart: a string that is not a URI (no "://") and
// holds a '=' is a keyword/value string.
bool is_pg_keyword_value(std::string_view text);

// Reads a libpq keyword/value string: `keyword=value` pairs separated by whitespace (around
// '=' too); a value is single-quoted when it is empty or holds whitespace, and a backslash takes
// the next character literally (`'it\'s'`). Errors name the keyword and the reason; they never
// hold a secret value.
Expected<PgLocation, std::string> parse_pg_keyword_value(std::string_view text);

// A value as libpq's keyword/value syntax writes it: as it is when it is made only of characters
// that need no quoting, else single-quoted with \ before ' and \.
std::string conninfo_value(std::string_view value);

// The canonical keyword/value string of `parameters`: `keyword=value` separated by one space,
// each value written by conninfo_value. With `mask`, secret values are written as ***.
std::string to_conninfo(const PgParameters& parameters, bool mask);

}  // namespace maintd::connection
