// Every form of PostgreSQL location maintd accepts in config, connected for real: what the
// config parser hands to SOCI must reach libpq meaning exactly what the user wrote. The parser's
// own table is tests/config/test_database_url.cpp.
#include <libpq-fe.h>
#include <soci/soci.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connection/pg_conninfo.hpp"
#include "connection/pg_uri.hpp"
#include "store/target_session.hpp"
#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;

namespace {

std::string encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// A value in a libpq keyword/value string, always quoted.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

struct Seen {
  std::string database;
  std::string user;
  std::string application_name;
};

Seen seen_by(soci::session& sql) {
  Seen seen;
  sql << "SELECT current_database(), current_user, current_setting('application_name')",
      soci::into(seen.database), soci::into(seen.user), soci::into(seen.application_name);
  return seen;
}

// What libpq itself reads from a connect string: keyword -> value, for the keywords it sets.
std::map<std::string, std::string> libpq_reads(const std::string& text) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
  if (options == nullptr) {
    const std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    throw std::runtime_error("libpq cannot read '" + text + "': " + message);
  }
  std::map<std::string, std::string> out;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val != nullptr) out[option->keyword] = option->val;
  }
  PQconninfoFree(options);
  return out;
}

constexpr const char* kRole = "maintd_pw";
// What a URI reserves, and what libpq's keyword/value syntax quotes or escapes.
const std::string kPassword = R"(p@ss:w/rd% 'q\?&=)";

}  // namespace

// Regression: SOCI 4.0's postgresql backend re-read the URI as "key=value" words and handed
// libpq "postgresql://.../app=", so the database "app=" was not found.
TEST_CASE("store: a PostgreSQL URI without a query string connects<postgresql>") {
  auto& pg = PostgresCluster::shared();
  pg.create_database("uri_no_query");
  const std::string uri = std::string("postgresql://") + PostgresCluster::kSuperuser + "@" +
                          encode(pg.dir().string()) + ":" + std::to_string(pg.port()) +
                          "/uri_no_query";
  auto target = store::open_target_session(parse_url(uri));
  CHECK(seen_by(*target).database == "uri_no_query");
  auto state = store::Database::open(parse_url(uri), 1);
  CHECK(state->with_session("test", [](soci::session& sql) { return seen_by(sql).database; }) ==
        "uri_no_query");
}

TEST_CASE(
    "store: every form of PostgreSQL location connects, with and without a password "
    "<postgresql>") {
  PostgresCluster pg({.tcp_loopback = true, .password_roles = {kRole}});
  const std::string db = "live_forms";
  pg.create_database(db);
  {
    soci::session admin(soci::postgresql, pg.soci_connect());
    std::string literal;  // an SQL string literal: quotes doubled
    for (char c : kPassword) literal += c == '\'' ? std::string("''") : std::string(1, c);
    admin << "CREATE ROLE " << kRole << " LOGIN PASSWORD '" << literal << "'";
  }
  const std::string port = std::to_string(pg.port());
  const std::string dir = pg.dir().string();
  const std::string su = PostgresCluster::kSuperuser;
  const std::string pw_user = std::string(kRole) + ":" + encode(kPassword);

  struct Row {
    std::string name;
    std::string url;
    std::optional<std::string> password;  // given apart
    std::string user;
    bool ipv6 = false;
    std::string application_name = {};  // expected, when the row sets it
  };
  const std::vector<Row> rows = {
      {"URI without a query, TCP", "postgresql://" + su + "@127.0.0.1:" + port + "/" + db, {}, su},
      {"postgres:// with a query, TCP",
       "postgres://" + su + "@127.0.0.1:" + port + "/" + db +
           "?sslmode=disable&application_name=" + encode("maintd live 'test'"),
       {},
       su,
       false,
       "maintd live 'test'"},
      {"IPv6 in brackets", "postgresql://" + su + "@[::1]:" + port + "/" + db, {}, su, true},
      {"socket directory in the query",
       "postgresql://" + su + "@/" + db + "?host=" + encode(dir) + "&port=" + port,
       {},
       su},
      {"socket directory as a percent-encoded host",
       "postgresql://" + su + "@" + encode(dir) + ":" + port + "/" + db,
       {},
       su},
      {"keyword/value, socket",
       "host=" + dir + " port=" + port + " dbname=" + db + " user=" + su,
       {},
       su},
      {"keyword/value, TCP, quoted values",
       "host = '127.0.0.1' port=" + port + " dbname=" + quoted(db) + " user=" + su +
           " application_name='it\\'s live'",
       {},
       su,
       false,
       "it's live"},
      {"password in the URI, TCP",
       "postgresql://" + pw_user + "@127.0.0.1:" + port + "/" + db,
       {},
       kRole},
      {"password in the URI, socket",
       "postgresql://" + pw_user + "@" + encode(dir) + ":" + port + "/" + db,
       {},
       kRole},
      {"password in the URI, IPv6",
       "postgresql://" + pw_user + "@[::1]:" + port + "/" + db,
       {},
       kRole,
       true},
      {"password in the query",
       "postgresql://" + std::string(kRole) + "@127.0.0.1:" + port + "/" + db +
           "?password=" + encode(kPassword),
       {},
       kRole},
      {"password apart, URI without a query",
       "postgresql://" + std::string(kRole) + "@127.0.0.1:" + port + "/" + db, kPassword, kRole},
      {"password apart, URI with a query",
       "postgresql://" + std::string(kRole) + "@127.0.0.1:" + port + "/" + db + "?sslmode=disable",
       kPassword, kRole},
      {"password apart, socket directory in the query",
       "postgresql://" + std::string(kRole) + "@/" + db + "?host=" + encode(dir) + "&port=" + port,
       kPassword, kRole},
      {"password apart, keyword/value",
       "host=127.0.0.1 port=" + port + " dbname=" + db + " user=" + kRole, kPassword, kRole},
      {"password in keyword/value",
       "host=" + dir + " port=" + port + " dbname=" + db + " user=" + kRole +
           " password=" + quoted(kPassword),
       {},
       kRole},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    if (row.ipv6 && !pg.listens_on_ipv6()) {
      MESSAGE("skipped '" << row.name << "': this machine has no IPv6 loopback (::1)");
      continue;
    }
    const connection::DatabaseUrl url = parse_url(row.url, row.password);
    CHECK(url.display.find(kPassword) == std::string::npos);
    CHECK(url.display.find(encode(kPassword)) == std::string::npos);
    try {
      auto target = store::open_target_session(url);  // how handlers reach `databases:`
      const Seen seen = seen_by(*target);
      CHECK(seen.database == db);
      CHECK(seen.user == row.user);
      if (!row.application_name.empty()) CHECK(seen.application_name == row.application_name);
      auto state = store::Database::open(url, 1);  // how the state database is opened
      CHECK(state->with_session("test", [](soci::session& sql) { return seen_by(sql).user; }) ==
            row.user);
    } catch (const std::exception& e) {
      FAIL_CHECK(row.name << ": " << e.what());
    }
  }

  // The password rows above passed because the password reached the server intact: this role
  // gets nowhere without it, or with another.
  const std::string tcp = "@127.0.0.1:" + port + "/" + db;
  const std::string wrong = thrown_message<std::runtime_error>([&] {
    store::open_target_session(parse_url("postgresql://" + std::string(kRole) + tcp, "wr0ng-pw"));
  });
  CHECK_MESSAGE(contains(wrong, "password authentication failed"), wrong);
  CHECK_MESSAGE(!contains(wrong, "wr0ng-pw"), wrong);
  const std::string none = thrown_message<std::runtime_error>(
      [&] { store::open_target_session(parse_url("postgresql://" + std::string(kRole) + tcp)); });
  CHECK_MESSAGE(contains(none, "no password supplied"), none);
}

// Without a server: libpq reads the canonical string maintd writes exactly as it reads the URI
// the user wrote (the parser follows libpq's, and this holds it to it).
TEST_CASE("store: libpq reads maintd's canonical string as it reads the URI") {
  const char* const uris[] = {
      "postgresql://postgres@127.0.0.1:5432/app",
      "postgres://postgres@127.0.0.1:5432/app?sslmode=disable",
      "postgresql://",
      "postgresql:///app",
      "postgresql://@db:/app?",
      "postgresql://u%40x:p%40ss%3Aw%2Frd%25@db/app",
      "postgresql://u:a:b?c@db/app",
      "postgresql://u:p%20w%27d%5C@db/app",
      "postgresql://[::1]:5432/app",
      "postgresql://[fe80::1%25eth0]",
      "postgresql://u@[2001:db8::7],db:5433/app",
      "postgresql://h1,h2/app",
      "postgresql://maintd@/app?host=%2Frun%2Fpostgresql&port=5433",
      "postgresql://%2Frun%2Fpostgresql/app",
      "postgresql://%2Fsrv%2Fmy%20sockets:5433/app",
      "postgresql://db:5432/app?host=%2Fvar%2Frun%2Fpostgresql&dbname=other",
      "postgresql://h1:5432,h2:5433/app?target_session_attrs=read-write",
      "postgresql://db/app?options=-c%20statement_timeout%3D5000&application_name=it%27s",
      "postgresql://db/a%5Cb?application_name=",
      "postgresql://db?ssl=true",
      "postgresql://db/app?password=p%26w&sslmode=disable",
  };
  for (const char* uri : uris) {
    const std::string text = uri;
    CAPTURE(text);
    const auto location = connection::parse_pg_uri(text);
    REQUIRE_MESSAGE(location.has_value(), location.error());
    const std::string canonical = connection::to_conninfo(location->parameters, false);
    CHECK(libpq_reads(canonical) == libpq_reads(text));
  }
}
