// database_timeouts: the bounds on every wait for a PostgreSQL server reach libpq through the
// canonical connect string (connect_timeout, keepalives, tcp_user_timeout), without duplicating
// a keyword the URL gives (the user's own value wins), and the statement timeout is maintd's
// to set on its state database only (issue 24, item 3).
#include <doctest/doctest.h>

#include <string>

#include "connection/database_url.hpp"
#include "load_helper.hpp"

using maintd::connection::apply_database_timeouts;
using maintd::connection::DatabaseRole;
using maintd::connection::DatabaseTimeouts;
using maintd::connection::DatabaseUrl;
using maintd::connection::parse_database_url;
using maintd::connection::parse_pg_duration;
using namespace std::chrono_literals;

namespace {

DatabaseUrl with_timeouts(const std::string& text, DatabaseRole role,
                          const DatabaseTimeouts& timeouts = {}) {
  auto url = parse_database_url(text, std::nullopt, "/etc/maintd");
  REQUIRE(url.has_value());
  apply_database_timeouts(*url, timeouts, role);
  return *url;
}

std::size_t occurrences(const std::string& text, const std::string& word) {
  std::size_t n = 0;
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("config: the canonical connect string gets the default timeouts and keepalives") {
  const auto url = with_timeouts("postgresql://maintd@db.internal/state", DatabaseRole::state);
  CHECK(url.connect ==
        "user=maintd host=db.internal dbname=state connect_timeout=5 keepalives=1 "
        "keepalives_idle=10 keepalives_interval=5 keepalives_count=3 tcp_user_timeout=30000");
  CHECK(url.connect_timeout == 5s);
  CHECK(url.statement_timeout == 30s);
  CHECK_FALSE(url.statement_timeout_in_url);
}

TEST_CASE("config: a timeout or keepalive the URL gives wins over database_timeouts") {
  DatabaseTimeouts timeouts;
  timeouts.connect = 7s;
  const auto url = with_timeouts(
      "postgresql://maintd@db.internal/state?connect_timeout=12&keepalives_idle=60"
      "&tcp_user_timeout=0&options=-c%20statement_timeout%3D2min",
      DatabaseRole::state, timeouts);
  CHECK(occurrences(url.connect, "connect_timeout=") == 1);
  CHECK(url.connect.find("connect_timeout=12") != std::string::npos);
  CHECK(occurrences(url.connect, "keepalives_idle=") == 1);
  CHECK(url.connect.find("keepalives_idle=60") != std::string::npos);
  CHECK(url.connect.find("tcp_user_timeout=0") != std::string::npos);
  CHECK(url.connect.find("keepalives_interval=5") != std::string::npos);
  CHECK(url.connect_timeout == 12s);
  // maintd does not set it again, and bounds its own waits by it.
  CHECK(url.statement_timeout_in_url);
  CHECK(url.statement_timeout == 120s);

  // keepalives=0 turns them off: none of their settings is added.
  const auto off = with_timeouts("host=db dbname=app keepalives=0", DatabaseRole::target);
  CHECK(off.connect.find("keepalives_idle") == std::string::npos);
  CHECK(off.connect.find("keepalives=0") != std::string::npos);
  CHECK(occurrences(off.connect, "keepalives=") == 1);
}

TEST_CASE("config: target databases get the connect timeout and keepalives, no statement timeout") {
  const auto url = with_timeouts("postgresql://app@db/app", DatabaseRole::target);
  CHECK(url.connect.find("connect_timeout=5") != std::string::npos);
  CHECK(url.connect.find("keepalives=1") != std::string::npos);
  CHECK(url.statement_timeout == 0ms);
  // SQLite files are left as they are.
  const auto lite = with_timeouts("sqlite3:///var/lib/maintd/maintd.db", DatabaseRole::state);
  CHECK(lite.connect == "db=/var/lib/maintd/maintd.db");
}

TEST_CASE("config: PostgreSQL durations as statement_timeout reads them") {
  CHECK(parse_pg_duration("1500") == 1500ms);
  CHECK(parse_pg_duration("30s") == 30s);
  CHECK(parse_pg_duration("'2min'") == 120s);
  CHECK(parse_pg_duration("250 ms") == 250ms);
  CHECK_FALSE(parse_pg_duration("soon").has_value());
  CHECK_FALSE(parse_pg_duration("-1").has_value());
}

TEST_CASE("config: database_timeouts in maintd.yaml, and values refused with the reason") {
  maintd::testing::TempDir dir;
  dir.write("maintd.yaml", R"(state_database: "postgresql://maintd@db/state"
database_timeouts:
  connect: 3s
  statement: 10s
  keepalives_idle: 20s
  keepalives_interval: 2s
  keepalives_count: 4
  tcp_user_timeout: 15s
schedules: []
)");
  auto loaded = maintd::testing::load(dir);
  INFO(loaded.printed);
  REQUIRE(loaded.result.config.has_value());
  const auto& config = *loaded.result.config;
  CHECK(config.database_timeouts.connect == 3s);
  CHECK(config.state_database.statement_timeout == 10s);
  CHECK(config.state_database.connect ==
        "user=maintd host=db dbname=state connect_timeout=3 keepalives=1 keepalives_idle=20 "
        "keepalives_interval=2 keepalives_count=4 tcp_user_timeout=15000");

  dir.write("maintd.yaml", R"(state_database: "postgresql://maintd@db/state"
database_timeouts: {connect: 1s, statement: 0s, retries: 2}
schedules: []
)");
  loaded = maintd::testing::load(dir);
  CHECK_FALSE(loaded.result.config.has_value());
  CHECK(loaded.printed.find("database_timeouts.connect") != std::string::npos);
  CHECK(loaded.printed.find("at least 2s") != std::string::npos);
  CHECK(loaded.printed.find("database_timeouts.statement") != std::string::npos);
  CHECK(loaded.printed.find("retries") != std::string::npos);
}
