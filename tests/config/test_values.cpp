// The small value readers config is built on: ${VAR} expansion, durations, secret masking.
#include <doctest/doctest.h>

#include <map>

#include "common/duration.hpp"
#include "config/environment.hpp"
#include "config/redact.hpp"
#include "connection/database_url.hpp"

using maintd::config::expand_variables;

namespace {
maintd::config::Environment env_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("config: ${VAR} expansion") {
  const auto env = env_of({{"HOST", "db.internal"}, {"EMPTY", ""}, {"PORT", "5432"}});
  struct Row {
    const char* input;
    const char* output;
  };
  const Row rows[] = {
      {"plain text", "plain text"},
      {"${HOST}", "db.internal"},
      {"postgresql://${HOST}:${PORT}/app", "postgresql://db.internal:5432/app"},
      {"${MISSING:-fallback}", "fallback"},
      {"${EMPTY:-fallback}", "fallback"},
      {"${HOST:-fallback}", "db.internal"},
      {"${MISSING:-}", ""},
      {"cost: $$5", "cost: $5"},
      {"$HOME stays", "$HOME stays"},
      {"trailing $", "trailing $"},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.input));
    auto result = expand_variables(row.input, env);
    REQUIRE(result.has_value());
    CHECK(*result == row.output);
  }
}

TEST_CASE("config: ${VAR} expansion errors name the variable and the fix") {
  const auto env = env_of({});
  CHECK(expand_variables("${MISSING}", env).error() ==
        "environment variable MISSING is not set (give a default with ${MISSING:-value})");
  CHECK(expand_variables("${HOST", env).error().find("unterminated '${'") == 0);
  CHECK(expand_variables("${1BAD}", env).error().find("'${1BAD}' is not a variable reference") ==
        0);
  CHECK(expand_variables("${}", env).error().find("is not a variable reference") !=
        std::string::npos);
}

TEST_CASE("config: durations") {
  using std::chrono::seconds;
  struct Row {
    const char* text;
    long long seconds;
    const char* canonical;
  };
  const Row rows[] = {{"90s", 90, "1m30s"},
                      {"15m", 900, "15m"},
                      {"2h", 7200, "2h"},
                      {"1d", 86400, "1d"},
                      {"1h30m", 5400, "1h30m"},
                      {"0s", 0, "0s"},
                      {"1d2h3m4s", 93784, "1d2h3m4s"}};
  for (const auto& row : rows) {
    CAPTURE(std::string(row.text));
    auto parsed = maintd::parse_duration(row.text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->count() == row.seconds);
    CHECK(maintd::format_duration(*parsed) == row.canonical);
  }
  for (const char* bad : {"", "15", "m", "15 m", "1w", "-5s", "1.5h", "15mins"}) {
    CAPTURE(std::string(bad));
    auto parsed = maintd::parse_duration(bad);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().find("90s, 15m, 2h, 1d") != std::string::npos);
  }
  CHECK(maintd::parse_duration("99999999999999d").error().find("too long") != std::string::npos);
}

TEST_CASE("config: passwords are masked in every form of connection string") {
  using maintd::connection::mask_secrets;
  CHECK(mask_secrets("postgresql://maintd:hunter2@db/app") == "postgresql://maintd:***@db/app");
  CHECK(mask_secrets("postgresql://maintd@db/app?password=hunter2&sslmode=require") ==
        "postgresql://maintd@db/app?password=***&sslmode=require");
  CHECK(mask_secrets("host=db user=maintd password=hunter2 dbname=app") ==
        "host=db user=maintd password=*** dbname=app");
  CHECK(mask_secrets("host=db password='hunter 2' dbname=app") ==
        "host=db password=*** dbname=app");
  CHECK(mask_secrets("postgresql://maintd@db/app") == "postgresql://maintd@db/app");
  // Escaped quotes and spaces: the whole value is hidden, not just its head.
  CHECK(mask_secrets(R"(host=db password='it\'s a secret' dbname=app)") ==
        "host=db password=*** dbname=app");
  CHECK(mask_secrets(R"(host=db password=a\ secret dbname=app)") ==
        "host=db password=*** dbname=app");
  CHECK(mask_secrets("host=db password='never closed") == "host=db password=***");
}

TEST_CASE("config: SQLite paths resolve against the config directory") {
  auto relative = maintd::connection::parse_database_url("sqlite3://var/maintd.db", std::nullopt,
                                                         "/etc/maintd");
  REQUIRE(relative.has_value());
  CHECK(relative->connect == "db=/etc/maintd/var/maintd.db");
  auto absolute = maintd::connection::parse_database_url("sqlite3:///var/lib/maintd/maintd.db",
                                                         std::nullopt, "/etc/maintd");
  CHECK(absolute->connect == "db=/var/lib/maintd/maintd.db");
  CHECK(maintd::connection::parse_database_url("sqlite3://x.db", std::string("pw"), "/").error() ==
        "a SQLite database takes no password");
}

TEST_CASE("config: redact hides secrets by key name and inside strings") {
  const nlohmann::json input = {
      {"url", "postgresql://u:pw@h/d"},
      {"api_token", "abc"},
      {"nested", {{"password", "x"}, {"list", {"postgresql://u:pw2@h/d"}}}},
      {"limit", 5}};
  const auto out = maintd::config::redact(input);
  const std::string text = out.dump();
  CHECK(text.find("pw") == std::string::npos);
  CHECK(text.find("abc") == std::string::npos);
  CHECK(out["limit"] == 5);
  CHECK(out["api_token"] == "***");
  CHECK(out["nested"]["password"] == "***");
}
