// parse_database_url for PostgreSQL: every form libpq accepts (URIs with and without a query,
// percent-encoding, IPv6, unix-socket directories, several hosts, keyword/value strings) becomes
// one canonical libpq keyword/value string; a password given apart is added to it; `display`
// never shows a password; errors name the part and the reason and never hold a secret.
// (tests/store/test_postgres_connect.cpp connects with these forms to a real server.)
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "connection/database_url.hpp"

using maintd::connection::parse_database_url;

namespace {

struct Row {
  const char* url;
  std::optional<std::string> password;  // given apart (`password` / `password_file`)
  const char* libpq;                    // what libpq receives
  const char* display;                  // what maintd shows
  const char* connect = nullptr;        // what SOCI is given, where it differs from `libpq`
};

struct FailureRow {
  const char* url;
  std::optional<std::string> password;
  const char* error;
  const char* secret;  // must not appear in the error (nullptr: nothing secret in the row)
};

// What SOCI 4.0's postgresql backend makes of a connect string before libpq sees it
// (chop_connect_string in its src/backends/postgresql/factory.cpp), modelled on its behaviour:
// words split at whitespace, each rebuilt as key=value and joined by one space; a value that
// starts with '"' runs to the next '"', and both quotes are dropped. connection/soci_connect.hpp
// writes strings that this turns into exactly the canonical libpq string. (The live test,
// tests/store/test_postgres_connect.cpp, checks the same through the real SOCI.)
std::string soci40_rewrite(const std::string& text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::string key;
    std::string value;
    bool in_value = false;
    bool quoted = false;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (!in_value) {
        if (c == '=') {
          in_value = true;
          if (i + 1 < text.size() && text[i + 1] == '"') {
            quoted = true;
            ++i;
          }
        } else if (std::isspace(static_cast<unsigned char>(c)) == 0) {
          key += c;
        }
      } else if (quoted ? c == '"' : std::isspace(static_cast<unsigned char>(c)) != 0) {
        ++i;
        break;
      } else {
        value += c;
      }
    }
    if (!out.empty()) out += ' ';
    out += key + '=' + value;
  }
  return out;
}

}  // namespace

TEST_CASE("config: PostgreSQL locations become one canonical libpq keyword/value string") {
  const Row rows[] = {
      // The regression: no query string.
      {"postgresql://postgres@127.0.0.1:5432/app",
       {},
       "user=postgres host=127.0.0.1 port=5432 dbname=app",
       "postgresql://postgres@127.0.0.1:5432/app"},
      {"postgres://postgres@127.0.0.1:5432/app",
       {},
       "user=postgres host=127.0.0.1 port=5432 dbname=app",
       "postgres://postgres@127.0.0.1:5432/app"},
      {"postgresql://postgres@127.0.0.1:5432/app?sslmode=disable",
       {},
       "user=postgres host=127.0.0.1 port=5432 dbname=app sslmode=disable",
       "postgresql://postgres@127.0.0.1:5432/app?sslmode=disable"},
      // Empty parts are left to libpq's defaults.
      {"postgresql://db", {}, "host=db", "postgresql://db"},
      {"postgresql://", {}, "", "postgresql://"},
      {"postgresql:///app", {}, "dbname=app", "postgresql:///app"},
      {"postgresql://db/", {}, "host=db", "postgresql://db/"},
      {"postgresql://@db:/app?", {}, "host=db dbname=app", "postgresql://@db:/app?"},
      // Percent-encoded user and password, with the characters a URI reserves.
      {"postgresql://u%40x:p%40ss%3Aw%2Frd%25@db/app",
       {},
       "user=u@x password=p@ss:w/rd% host=db dbname=app",
       "postgresql://u%40x:***@db/app"},
      {"postgresql://u:a:b?c@db/app",
       {},
       "user=u password='a:b?c' host=db dbname=app",
       "postgresql://u:***@db/app"},
      {"postgresql://u:@db/app", {}, "user=u host=db dbname=app", "postgresql://u:***@db/app"},
      {"postgresql://u:p%20w%27d@db/app",
       {},
       R"(user=u password='p w\'d' host=db dbname=app)",
       "postgresql://u:***@db/app",
       R"(user=u password="'p w\'d'" host=db dbname=app)"},
      // IPv6 addresses, in brackets.
      {"postgresql://[::1]:5432/app",
       {},
       "host=::1 port=5432 dbname=app",
       "postgresql://[::1]:5432/app"},
      {"postgresql://[::1]/app", {}, "host=::1 dbname=app", "postgresql://[::1]/app"},
      {"postgresql://[fe80::1%25eth0]", {}, "host=fe80::1%eth0", "postgresql://[fe80::1%25eth0]"},
      {"postgresql://u@[2001:db8::7],db:5433/app",
       {},
       "user=u host=2001:db8::7,db port=,5433 dbname=app",
       "postgresql://u@[2001:db8::7],db:5433/app"},
      // Unix-socket directories: in the query, or as a percent-encoded host.
      {"postgresql:///app?host=/run/postgresql",
       {},
       "dbname=app host=/run/postgresql",
       "postgresql:///app?host=/run/postgresql"},
      {"postgresql://maintd@/app?host=%2Frun%2Fpostgresql&port=5433",
       {},
       "user=maintd dbname=app host=/run/postgresql port=5433",
       "postgresql://maintd@/app?host=%2Frun%2Fpostgresql&port=5433"},
      {"postgresql://%2Frun%2Fpostgresql/app",
       {},
       "host=/run/postgresql dbname=app",
       "postgresql://%2Frun%2Fpostgresql/app"},
      {"postgresql://%2Fsrv%2Fmy%20sockets:5433/app",
       {},
       "host='/srv/my sockets' port=5433 dbname=app",
       "postgresql://%2Fsrv%2Fmy%20sockets:5433/app",
       R"(host="'/srv/my sockets'" port=5433 dbname=app)"},
      // The query replaces what the path said, as in libpq.
      {"postgresql://db:5432/app?host=%2Fvar%2Frun%2Fpostgresql&dbname=other",
       {},
       "host=/var/run/postgresql port=5432 dbname=other",
       "postgresql://db:5432/app?host=%2Fvar%2Frun%2Fpostgresql&dbname=other"},
      // Several hosts.
      {"postgresql://h1:5432,h2:5433/app?target_session_attrs=read-write",
       {},
       "host=h1,h2 port=5432,5433 dbname=app target_session_attrs=read-write",
       "postgresql://h1:5432,h2:5433/app?target_session_attrs=read-write"},
      // Values that need quoting in keyword/value form.
      {"postgresql://db/app?options=-c%20statement_timeout%3D5000&application_name=it%27s",
       {},
       R"(host=db dbname=app options='-c statement_timeout=5000' application_name='it\'s')",
       "postgresql://db/app?options=-c%20statement_timeout%3D5000&application_name=it%27s",
       R"(host=db dbname=app options="'-c statement_timeout=5000'" application_name='it\'s')"},
      {"postgresql://db/a%5Cb?application_name=",
       {},
       R"(host=db dbname='a\\b' application_name='')",
       "postgresql://db/a%5Cb?application_name="},
      // libpq's alias for JDBC.
      {"postgresql://db?ssl=true", {}, "host=db sslmode=require", "postgresql://db?ssl=true"},
      // Passwords in the query are hidden too.
      {"postgresql://db/app?password=p%26w&sslmode=disable",
       {},
       "host=db dbname=app password='p&w' sslmode=disable",
       "postgresql://db/app?password=***&sslmode=disable"},
      {"postgresql://db/app?sslpassword=k3y",
       {},
       "host=db dbname=app sslpassword=k3y",
       "postgresql://db/app?sslpassword=***"},
      // A password given apart, in every form.
      {"postgresql://maintd@db/app", "p@ss word",
       "user=maintd host=db dbname=app password='p@ss word'",
       "postgresql://maintd@db/app?password=***",
       R"(user=maintd host=db dbname=app password="'p@ss word'")"},
      {"postgresql://maintd@db/app?sslmode=require", "p@ss:w/rd%",
       "user=maintd host=db dbname=app sslmode=require password=p@ss:w/rd%",
       "postgresql://maintd@db/app?sslmode=require&password=***"},
      {"postgresql://maintd@db/app?", "pw", "user=maintd host=db dbname=app password=pw",
       "postgresql://maintd@db/app?password=***"},
      {"postgresql://maintd@[::1]/app", R"(it's"q"\x)",
       R"(user=maintd host=::1 dbname=app password='it\'s"q"\\x')",
       "postgresql://maintd@[::1]/app?password=***"},
      {"host=db dbname=app", "", "host=db dbname=app password=''",
       "host=db dbname=app password=***"},
      {"host=db dbname=app user=maintd", R"(it's \ secret)",
       R"(host=db dbname=app user=maintd password='it\'s \\ secret')",
       "host=db dbname=app user=maintd password=***",
       R"(host=db dbname=app user=maintd password="'it\'s \\ secret'")"},
      // Keyword/value strings, as libpq reads them.
      {"host=db dbname=app user=maintd",
       {},
       "host=db dbname=app user=maintd",
       "host=db dbname=app user=maintd"},
      {"  host = /run/postgresql\tport=5433  dbname='my app' ",
       {},
       "host=/run/postgresql port=5433 dbname='my app'",
       "host=/run/postgresql port=5433 dbname='my app'",
       R"(host=/run/postgresql port=5433 dbname="'my app'")"},
      {R"(host=db password='a b\'c' dbname=app)",
       {},
       R"(host=db password='a b\'c' dbname=app)",
       "host=db password=*** dbname=app",
       R"(host=db password="'a b\'c'" dbname=app)"},
      {R"(host=db password=a\ b dbname=app)",
       {},
       "host=db password='a b' dbname=app",
       "host=db password=*** dbname=app",
       R"(host=db password="'a b'" dbname=app)"},
      {"host=db sslpassword=k3y", {}, "host=db sslpassword=k3y", "host=db sslpassword=***"},
      {"host=a dbname=app host=b", {}, "host=b dbname=app", "host=b dbname=app"},
      {"host=db application_name=''",
       {},
       "host=db application_name=''",
       "host=db application_name=''"},
      {"host=db options='-c search_path=x'",
       {},
       "host=db options='-c search_path=x'",
       "host=db options='-c search_path=x'",
       R"(host=db options="'-c search_path=x'")"},
  };
  for (const Row& row : rows) {
    const std::string input = row.url;
    CAPTURE(input);
    const auto url = parse_database_url(input, row.password, "/etc/maintd");
    REQUIRE_MESSAGE(url.has_value(), url.error());
    CHECK(url->backend == maintd::connection::DatabaseUrl::Backend::postgresql);
    CHECK(url->connect == std::string(row.connect != nullptr ? row.connect : row.libpq));
    CHECK(soci40_rewrite(url->connect) == std::string(row.libpq));
    CHECK(url->display == std::string(row.display));
  }
}

TEST_CASE("config: bad PostgreSQL locations are refused with the part and the reason") {
  const FailureRow rows[] = {
      {"mysql://u@db/app",
       {},
       "unsupported database scheme 'mysql' (maintd speaks sqlite3:// and postgresql://)",
       nullptr},
      {"db.internal/app",
       {},
       "'db.internal/app' is not a database URL (use sqlite3://PATH, postgresql://USER@HOST/DB "
       "or host=HOST dbname=DB)",
       nullptr},
      {"postgresql://u@db/a%zzb",
       {},
       "bad percent-encoding '%zz' in the database name 'a%zzb' (a '%' must be followed by two "
       "hex digits; write '%' as %25)",
       nullptr},
      {"postgresql://u@db/ab%4",
       {},
       "bad percent-encoding '%4' in the database name 'ab%4' (a '%' must be followed by two hex "
       "digits; write '%' as %25)",
       nullptr},
      {"postgresql://u:se%zzcret@db/app",
       {},
       "bad percent-encoding in the password (a '%' must be followed by two hex digits; write "
       "'%' as %25)",
       "zz"},
      {"postgresql://db/app?password=sec%2",
       {},
       "bad percent-encoding in the value of 'password' (a '%' must be followed by two hex "
       "digits; write '%' as %25)",
       "sec"},
      {"postgresql://u@db/a%00",
       {},
       "%00 (a NUL byte) is not allowed in the database name",
       nullptr},
      {"postgresql://[::1/app?password=secret",
       {},
       "an IPv6 address in brackets has no closing ']'",
       "secret"},
      {"postgresql://[]/app", {}, "an IPv6 address in brackets is empty: []", nullptr},
      {"postgresql://[::1]x/app",
       {},
       "unexpected 'x' after the IPv6 address [::1] (expected ':', '/', '?' or ',')",
       nullptr},
      {"postgresql://db:54x2/app",
       {},
       "the port of host 1 is not a number (if a password holding a '/' comes before it, write "
       "the '/' as %2F)",
       nullptr},
      // A raw '/' or '@' in a password: libpq would read parts of it as host, port or database.
      {"postgresql://u:pq/zz@db/app",
       {},
       "the port of host 1 is not a number (if a password holding a '/' comes before it, write "
       "the '/' as %2F)",
       "pq"},
      {"postgresql://u:12/secret@db/app",
       {},
       "an '@' in the database name: write it as %40, and any '/' in a user name or password as "
       "%2F (the name is not shown: it may hold part of a password)",
       "secret"},
      {"postgresql://u:p@secret@db/app",
       {},
       "an '@' in the host: write an '@' in a user name or password as %40 (the host is not "
       "shown: it may hold part of a password)",
       "secret"},
      {"postgresql://db/my app", {}, "a URI cannot hold spaces: write a space as %20", nullptr},
      {"postgresql://db/app?sslmode",
       {},
       "query parameter 1 ('sslmode') has no '=' (write keyword=value pairs separated by '&'; a "
       "'&' in a value as %26)",
       nullptr},
      {"postgresql://db/app?sslmode=disable&&port=1",
       {},
       "query parameter 2 has no '=' (write keyword=value pairs separated by '&'; a '&' in a "
       "value as %26)",
       nullptr},
      {"postgresql://db/app?password=abc&secret",
       {},
       "query parameter 2 has no '=' (write keyword=value pairs separated by '&'; a '&' in a "
       "value as %26)",
       "secret"},
      {"postgresql://db/app?sslmode=a=b",
       {},
       "query parameter 1 ('sslmode') has a second '=' (write an '=' in a value as %3D)",
       nullptr},
      {"postgresql://db/app?SSLMode=x",
       {},
       "'SSLMode' in query parameter 1 is not a connection parameter name (libpq's are lowercase "
       "words: sslmode, connect_timeout, application_name, ...)",
       nullptr},
      {"postgresql://u:pw@db/app", "other",
       "the URL holds a password and 'password' (or 'password_file') gives one too: give it in "
       "one place",
       "other"},
      {"postgresql://db/app?password=pw", "other",
       "the URL holds a password and 'password' (or 'password_file') gives one too: give it in "
       "one place",
       "other"},
      {"host=db dbname",
       {},
       "missing '=' after 'dbname' (write keyword=value pairs separated by spaces, e.g. host=db "
       "dbname=app)",
       nullptr},
      {"host=db password=my secret",
       {},
       "missing '=' after a word that follows the value of 'password' (a value holding spaces "
       "must be single-quoted: password='...')",
       "secret"},
      {"host=db password='abc", {}, "the quoted value of 'password' has no closing quote", "abc"},
      {"Host=db",
       {},
       "'Host' is not a connection parameter name (libpq's are lowercase words: host, port, "
       "dbname, user, sslmode, ...)",
       nullptr},
      {"=db",
       {},
       "an empty name before '=' is not a connection parameter name (libpq's are lowercase "
       "words: host, port, dbname, user, sslmode, ...)",
       nullptr},
      {"host=db password=x", "y",
       "the URL holds a password and 'password' (or 'password_file') gives one too: give it in "
       "one place",
       nullptr},
      // What SOCI 4.0 cannot pass on (connection/soci_connect.hpp), refused rather than changed.
      {"postgresql://db/app?application_name=say%20%22hi%22",
       {},
       "the value of 'application_name' holds both whitespace and a double quote, which the "
       "PostgreSQL backend of SOCI 4.0 (the database library maintd is built with) cannot pass "
       "on unchanged; change the value",
       nullptr},
      {"postgresql://u@db/app", R"(my "secret" pw)",
       "the value of 'password' holds both whitespace and a double quote, which the PostgreSQL "
       "backend of SOCI 4.0 (the database library maintd is built with) cannot pass on "
       "unchanged; change the value",
       "secret"},
      {"sqlite3://x.db", "pw", "a SQLite database takes no password", nullptr},
  };
  for (const FailureRow& row : rows) {
    const std::string input = row.url;
    CAPTURE(input);
    const auto url = parse_database_url(input, row.password, "/etc/maintd");
    REQUIRE_FALSE(url.has_value());
    CHECK(url.error() == std::string(row.error));
    if (row.secret != nullptr) CHECK(url.error().find(row.secret) == std::string::npos);
  }
}
