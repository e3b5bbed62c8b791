// Every form of PostgreSQL location maintd accepts in config, connected for real to the harness's
// server: what the parser hands to SOCI must reach libpq meaning exactly what the user wrote.
#include <soci/soci.h>

#include <string>

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

std::string current_database(soci::session& sql) {
  std::string name;
  sql << "SELECT current_database()", soci::into(name);
  return name;
}

}  // namespace

// Regression: SOCI 4.0.3's postgresql backend re-tokenised the URI as "key=value" words and
// handed libpq "postgresql://.../app=", so the database "app=" was not found.
TEST_CASE("store: a PostgreSQL URI without a query string connects (postgresql)") {
  auto& pg = PostgresCluster::shared();
  pg.create_database("uri_no_query");
  const std::string uri = std::string("postgresql://") + PostgresCluster::kSuperuser + "@" +
                          encode(pg.dir().string()) + ":" + std::to_string(pg.port()) +
                          "/uri_no_query";
  auto target = store::open_target_session(parse_url(uri));
  CHECK(current_database(*target) == "uri_no_query");
  auto state = store::Database::open(parse_url(uri), 1);
  CHECK(state->with_session("test", [](soci::session& sql) { return current_database(sql); }) ==
        "uri_no_query");
}
