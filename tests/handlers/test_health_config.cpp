// health.report's `probes:` refused where they are written: each problem names the probe, the key
// and the value (never a password), and a configuration file reports it at its place.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "config/redact.hpp"
#include "handler_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

using namespace maintd;
using namespace maintd::testing;
using nlohmann::json;

namespace {

// The messages of the schema's check of `probes`, as validation reports them under the key.
std::vector<std::string> problems(const json& probes) {
  std::vector<std::string> out;
  for (const auto& issue :
       handler("health.report").schema.check({{"probes", probes}}, {"app", "legacy"})) {
    CHECK(issue.key == "probes");
    out.push_back(issue.message);
  }
  return out;
}

std::string one_problem(const json& probe) {
  const auto found = problems(json::array({probe}));
  REQUIRE_MESSAGE(found.size() == 1, json(found).dump());
  return found.front();
}

const json kRedis = {{"name", "redis"}, {"kind", "tcp"}, {"host", "redis"}, {"port", 6379}};
const json kApi = {{"name", "api"}, {"kind", "http"}, {"url", "https://api.example/healthz"}};
const json kQueue = {{"name", "queue"},
                     {"kind", "sql"},
                     {"database", "app"},
                     {"query", "SELECT count(*) FROM jobs"}};

json with(json probe, const json& changes) {
  for (const auto& [key, value] : changes.items()) {
    if (value.is_null()) {
      probe.erase(key);
    } else {
      probe[key] = value;
    }
  }
  return probe;
}

}  // namespace

TEST_CASE("handlers: health: probes: a valid list passes") {
  CHECK(problems(json::array()).empty());
  CHECK(problems({kRedis, kQueue, kApi,
                  with(kApi, {{"name", "api-2"},
                              {"url", "http://10.0.0.5:8080/health?token=x"},
                              {"timeout", "3s"},
                              {"expect_status", {200, 204}},
                              {"ca_file", "/etc/maintd/ca.pem"},
                              {"secret_query_params", {"token"}},
                              {"warn_above", 200},
                              {"fail_above", 1000}}),
                  with(kRedis, {{"name", "redis-ping"},
                                {"redis_ping", true},
                                {"redis_password", "x"},
                                {"timeout", "2s"},
                                {"warn_above", 100},
                                {"fail_above", 500.5}}),
                  with(kQueue, {{"name", "queue-2"},
                                {"fail_below", 0},
                                {"warn_below", 1},
                                {"warn_above", 1000},
                                {"fail_above", 5000}})})
            .empty());
}

TEST_CASE("handlers: health: probes: the list and its items") {
  const auto not_a_list = handler("health.report").schema.check({{"probes", {{"a", 1}}}}, {"app"});
  REQUIRE(not_a_list.size() == 1);
  CHECK(not_a_list[0].message == "expected a list of maps, got a map");
  CHECK(problems({"redis"}) ==
        std::vector<std::string>{"item 1: expected a map, got a string ('redis')"});
}

TEST_CASE("handlers: health: probes: name and kind") {
  CHECK(one_problem(with(kRedis, {{"name", nullptr}})) ==
        "probe 1: missing 'name' (each probe has one: its result and its alerts carry it)");
  CHECK(one_problem(with(kRedis, {{"name", ""}})) ==
        "probe 1: name: expected a name, got a string ('')");
  CHECK(problems({kRedis, kRedis}) ==
        std::vector<std::string>{"probe 2 ('redis'): name: probe 1 is named 'redis' too: each "
                                 "probe has a name of its own"});
  CHECK(one_problem(with(kRedis, {{"kind", nullptr}})) ==
        "probe 1 ('redis'): missing 'kind' (sql, tcp or http)");
  CHECK(one_problem(with(kRedis, {{"kind", "tpc"}})) ==
        "probe 1 ('redis'): kind: 'tpc' is not one of: sql, tcp, http (did you mean 'tcp'?)");
  CHECK(one_problem(with(kRedis, {{"kind", 7}})) ==
        "probe 1 ('redis'): kind: expected sql, tcp or http, got an integer ('7')");
}

TEST_CASE("handlers: health: probes: keys of the wrong kind, and typos") {
  CHECK(one_problem(with(kRedis, {{"query", "SELECT 1"}})) ==
        "probe 1 ('redis'): unknown key 'query' for a tcp probe (only sql probes take it; a tcp "
        "probe takes: name, kind, host, port, timeout, redis_ping, redis_password, warn_above, "
        "fail_above)");
  CHECK(one_problem(with(kRedis, {{"redis_pasword", "x"}})) ==
        "probe 1 ('redis'): unknown key 'redis_pasword' for a tcp probe (did you mean "
        "'redis_password'?)");
  CHECK(one_problem(with(kRedis, {{"warn_below", 1}})) ==
        "probe 1 ('redis'): unknown key 'warn_below' for a tcp probe (only sql probes take it; a "
        "tcp probe takes: name, kind, host, port, timeout, redis_ping, redis_password, "
        "warn_above, fail_above)");
  CHECK(
      one_problem(with(kApi, {{"host", "api"}})) ==
      "probe 1 ('api'): unknown key 'host' for an http probe (only tcp probes take it; an "
      "http probe takes: name, kind, url, timeout, ca_file, expect_status, warn_above, fail_above, "
      "secret_query_params)");
  CHECK(one_problem(with(kRedis, {{"timeout", "1s"}, {"url", "https://x/"}})) ==
        "probe 1 ('redis'): unknown key 'url' for a tcp probe (only http probes take it; a tcp "
        "probe takes: name, kind, host, port, timeout, redis_ping, redis_password, warn_above, "
        "fail_above)");
  CHECK(one_problem(with(kQueue, {{"colour", "red"}})) ==
        "probe 1 ('queue'): unknown key 'colour' for a sql probe (it takes: name, kind, "
        "database, query, warn_above, fail_above, warn_below, fail_below)");
}

TEST_CASE("handlers: health: probes: tcp's host, port and timeout") {
  CHECK(one_problem(with(kRedis, {{"host", nullptr}})) ==
        "probe 1 ('redis'): missing 'host' (a host name or address)");
  CHECK(one_problem(with(kRedis, {{"port", nullptr}})) ==
        "probe 1 ('redis'): missing 'port' (1 to 65535)");
  CHECK(one_problem(with(kRedis, {{"port", 0}})) ==
        "probe 1 ('redis'): port: expected an integer from 1 to 65535, got an integer ('0')");
  CHECK(one_problem(with(kRedis, {{"port", 70000}})) ==
        "probe 1 ('redis'): port: expected an integer from 1 to 65535, got an integer ('70000')");
  CHECK(one_problem(with(kRedis, {{"port", "6379"}})) ==
        "probe 1 ('redis'): port: expected an integer from 1 to 65535, got a string ('6379')");
  CHECK(one_problem(with(kRedis, {{"timeout", 5}})) ==
        "probe 1 ('redis'): timeout: expected a duration such as 5s or 1m, got an integer ('5')");
  CHECK(one_problem(with(kRedis, {{"timeout", "10m"}})) ==
        "probe 1 ('redis'): timeout: '10m' is outside 1s to 5m");
  CHECK(
      one_problem(with(kRedis, {{"timeout", "soon"}})).starts_with("probe 1 ('redis'): timeout: "));
}

TEST_CASE("handlers: health: probes: http's url, timeout, statuses and files") {
  CHECK(one_problem(with(kApi, {{"url", nullptr}})) ==
        "probe 1 ('api'): missing 'url' (http:// or https://, the endpoint to call)");
  CHECK(one_problem(with(kApi, {{"url", "ftp://x/y"}})) ==
        "probe 1 ('api'): url: 'ftp://x/y': the scheme 'ftp' is not http or https "
        "(http://host[:port]/path or https://host[:port]/path)");
  CHECK(one_problem(
            with(kApi, {{"url", "https://u:pw@h:0x/?k=v"}, {"secret_query_params", {"k"}}})) ==
        "probe 1 ('api'): url: 'https://***@h:0x/?k=***' is not a valid URL: Port number was not "
        "a decimal number between 0 and 65535 (http://host[:port]/path or "
        "https://host[:port]/path)");
  CHECK(one_problem(with(kApi, {{"url", 5}})) ==
        "probe 1 ('api'): url: expected a URL, got an integer");
  CHECK(one_problem(with(kApi, {{"timeout", "6m"}})) ==
        "probe 1 ('api'): timeout: '6m' is outside 1s to 5m");
  CHECK(one_problem(with(kApi, {{"expect_status", {200, 99}}})) ==
        "probe 1 ('api'): expect_status: expected a list of statuses from 100 to 599, got a list");
  CHECK(one_problem(with(kApi, {{"expect_status", 200}})) ==
        "probe 1 ('api'): expect_status: expected a list of statuses from 100 to 599, got an "
        "integer ('200')");
  CHECK(one_problem(with(kApi, {{"ca_file", "certs/ca.pem"}})) ==
        "probe 1 ('api'): ca_file: 'certs/ca.pem' is not an absolute path (the file is read when "
        "the request is made, not beside the configuration)");
  CHECK(one_problem(with(kApi, {{"ca_file", 1}})) ==
        "probe 1 ('api'): ca_file: expected a file path, got an integer");
  CHECK(one_problem(with(kApi, {{"secret_query_params", "token"}})) ==
        "probe 1 ('api'): secret_query_params: expected a list of parameter names, got a string "
        "('token')");
  CHECK(one_problem(with(kApi, {{"warn_below", 5}}))
            .starts_with("probe 1 ('api'): unknown key 'warn_below' for an http probe (only sql "
                         "probes take it"));
}

TEST_CASE("handlers: health: probes: redis_password is checked and never shown") {
  CHECK(one_problem(with(kRedis, {{"redis_password", "hunter22"}})) ==
        "probe 1 ('redis'): redis_password: is sent only with redis_ping: true");
  CHECK(one_problem(with(kRedis, {{"redis_ping", true}, {"redis_password", 12345678}})) ==
        "probe 1 ('redis'): redis_password: expected a string, got an integer");
  CHECK(one_problem(with(kRedis, {{"redis_ping", "yes"}})) ==
        "probe 1 ('redis'): redis_ping: expected true or false, got a string ('yes')");
}

TEST_CASE("handlers: health: probes: sql's database, query and thresholds") {
  CHECK(one_problem(with(kQueue, {{"database", nullptr}})) ==
        "probe 1 ('queue'): missing 'database' (the name of a database under 'databases:')");
  CHECK(one_problem(with(kQueue, {{"database", "ap"}})) ==
        "probe 1 ('queue'): database: unknown database 'ap' (did you mean 'app'?) (declared: "
        "app, legacy)");
  CHECK(one_problem(with(kQueue, {{"query", nullptr}})) ==
        "probe 1 ('queue'): missing 'query' (an SQL query returning one number)");
  CHECK(one_problem(with(kQueue, {{"query", "-- nothing"}})) ==
        "probe 1 ('queue'): query: is only comments: give a query returning one number");
  CHECK(one_problem(with(kQueue, {{"query", "SELECT count(*) FROM jobs WHERE status = :s"}})) ==
        "probe 1 ('queue'): query: uses :s, but a probe's query takes no parameters (write the "
        "value in the query)");
  CHECK(one_problem(with(kQueue, {{"warn_above", "lots"}})) ==
        "probe 1 ('queue'): warn_above: expected a number, got a string ('lots')");
  CHECK(one_problem(with(kQueue, {{"fail_above", true}})) ==
        "probe 1 ('queue'): fail_above: expected a number, got a boolean ('true')");
  CHECK(one_problem(with(kQueue, {{"warn_above", 5000}, {"fail_above", 1000}})) ==
        "probe 1 ('queue'): warn_above (5000) must be below fail_above (1000): the thresholds "
        "rise in the order fail_below, warn_below, warn_above, fail_above");
  CHECK(one_problem(with(kQueue, {{"warn_below", 10}, {"warn_above", 10}})) ==
        "probe 1 ('queue'): warn_below (10) must be below warn_above (10): the thresholds rise "
        "in the order fail_below, warn_below, warn_above, fail_above");
  // Every probe's problems, in order.
  CHECK(problems({with(kQueue, {{"database", "nope"}}), with(kRedis, {{"port", -1}})}).size() == 2);
}

TEST_CASE("handlers: health: probes: a configuration file reports a probe at its place") {
  TempDir dir;
  const auto maintd_yaml =
      dir.write("maintd.yaml", fmt::format("state_database: sqlite3://{0}/state.db\n"
                                           "databases:\n  app: sqlite3://{0}/app.db\n"
                                           "schedules: [s.yaml]\n",
                                           dir.path().string()));
  dir.write("s.yaml", R"(tasks:
  - name: health
    type: health.report
    schedule: "*/15 * * * *"
    config:
      include_metrics: true
      probes:
        - name: api
          kind: http
          url: https://example.com:99999/healthz
        - name: redis
          kind: tcp
          host: redis
          port: 6379
          redis_ping: true
          redis_password: hunter22-secret
          timeout: 5s
          warn_above: lots
)");
  const auto registry = handlers::builtin_registry();
  const auto loaded = config::load_config({maintd_yaml, &registry, config::process_environment()});
  CHECK_FALSE(loaded.config.has_value());
  std::vector<std::string> printed;
  for (const auto& diagnostic : loaded.diagnostics.errors()) {
    printed.push_back(diagnostic.to_string());
  }
  const auto at = (dir.path() / "s.yaml").string() + ":8:9: config.probes: ";
  CHECK(printed ==
        std::vector<std::string>{
            at + "probe 1 ('api'): url: 'https://example.com:99999/healthz' is not a valid URL: "
                 "Port number was not a decimal number between 0 and 65535 "
                 "(http://host[:port]/path or https://host[:port]/path)",
            at + "probe 2 ('redis'): warn_above: expected a number, got a string ('lots')"});
  for (const auto& line : printed) CHECK_FALSE(contains(line, "hunter22"));
}

TEST_CASE("handlers: health: probes: redis_password from a file, and hidden where a config shows") {
  TempDir dir;
  const auto maintd_yaml =
      dir.write("maintd.yaml", fmt::format("state_database: sqlite3://{0}/state.db\n"
                                           "schedules: [s.yaml]\n",
                                           dir.path().string()));
  dir.write("redis_password", "hunter22-secret\n");
  dir.write("s.yaml", R"(tasks:
  - name: health
    type: health.report
    schedule: "*/15 * * * *"
    config:
      databases: []
      probes:
        - {name: redis, kind: tcp, host: redis, port: 6379, redis_ping: true,
           redis_password_file: redis_password}
)");
  const auto registry = handlers::builtin_registry();
  const auto loaded = config::load_config({maintd_yaml, &registry, config::process_environment()});
  for (const auto& diagnostic : loaded.diagnostics.errors()) FAIL_CHECK(diagnostic.to_string());
  REQUIRE(loaded.config.has_value());
  const json& task_config = loaded.config->tasks.at(0).config.get();
  CHECK(task_config["probes"][0]["redis_password"] == "hunter22-secret");
  const auto shown = config::redact(task_config);
  CHECK(shown["probes"][0]["redis_password"] == "***");
  CHECK_FALSE(contains(shown.dump(), "hunter22"));
}
