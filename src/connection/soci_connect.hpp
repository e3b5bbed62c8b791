#pragma once
// The connect string maintd gives soci::postgresql: libpq's keyword/value string, written so that
// SOCI 4.0 hands it to libpq unchanged.
//
// Why this is needed: SOCI 4.0's postgresql backend does not pass the connect string to
// PQconnectdb as it is. It first re-reads it with a grammar of its own (src/backends/postgresql/
// factory.cpp, chop_connect_string, to find its "singlerow" option) and rebuilds it from what it
// read: words separated by whitespace, each rebuilt as key=value, a value ending at whitespace
// unless it starts with a double quote (which is then dropped). So a URI without '=' came out with
// one appended ("postgresql://h/app" became "postgresql://h/app=": database "app=" does not exist),
// and any value holding whitespace was cut in two. What survives that rewrite unchanged is a
// keyword/value string whose values hold no whitespace, or whose value is wrapped in double quotes
// that SOCI removes: password="'two words'" reaches libpq as password='two words'. A value with
// both whitespace and a double quote cannot get through at all (SOCI has no escape), so it is
// refused when the config is loaded, instead of reaching the server as a different value.
//
// The rewrite is SOCI-version specific (SOCI 4.1 reads and requotes the string differently), so
// the build stops if another SOCI version is used (soci_connect.cpp).
#include <string>

#include "common/expected.hpp"
#include "connection/pg_conninfo.hpp"

namespace maintd::connection {

// Errors name the keyword and the reason, never the value of a secret.
Expected<std::string, std::string> soci_postgresql_connect(const PgParameters& parameters);

}  // namespace maintd::connection
