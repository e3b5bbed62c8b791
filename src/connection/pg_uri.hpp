#pragma once
// libpq connection URIs read into libpq's parameters, the way libpq itself reads them
// (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING):
//
//   postgresql://[user[:password]@][host][:port][,host[:port]...][/dbname][?keyword=value&...]
//
// `postgres://` too; a host in brackets is an IPv6 address ([::1]); a percent-encoded host that
// starts with '/' is a unix-socket directory (%2Frun%2Fpostgresql); `?ssl=true` means
// sslmode=require. Every part is percent-decoded.
#include <string_view>

#include "common/expected.hpp"
#include "connection/pg_conninfo.hpp"

namespace maintd::connection {

// Whether `text` starts with "postgresql://" or "postgres://".
bool is_pg_uri(std::string_view text);

// Errors name the part (host, port, query parameter 2, ...) and the reason; they never hold a
// password, nor text that may be part of one. Stricter than libpq in two ways that only refuse
// mistakes: whitespace must be percent-encoded (%20), as libpq 17 requires, and an '@' after the
// user information (in the host or database name) must be %40, because a password holding a raw
// '/' would otherwise be read as host, port and database name, and shown.
Expected<PgLocation, std::string> parse_pg_uri(std::string_view uri);

}  // namespace maintd::connection
