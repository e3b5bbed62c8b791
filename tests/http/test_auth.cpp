// Who may call what: bearer tokens (read-write, read-only), the dashboard's cookie with its
// CSRF token, no token on a loopback listener, and the open endpoints.
#include <doctest/doctest.h>

#include "api_fixture.hpp"
#include "http/auth.hpp"

using maintd::testing::ApiFixture;
using maintd::testing::bearer;
using maintd::testing::Headers;
using maintd::testing::kReadOnlyToken;
using maintd::testing::kToken;
using nlohmann::json;

TEST_CASE("no token or a wrong one is a 401 with WWW-Authenticate, and nothing runs") {
  ApiFixture f;
  for (const Headers& headers :
       {Headers{}, bearer("wrong"), bearer(std::string(kToken) + "x"), bearer(""),
        Headers{{"Authorization", std::string("Basic ") + kToken}}}) {
    for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/api/v1/scheduled-tasks"},
             {"GET", "/api/v1/runs"},
             {"POST", "/api/v1/scheduled-tasks/nightly/run"}}) {
      const auto response = f.call(method, target, {}, headers);
      CHECK(response.status == 401);
      CHECK(response.header("www-authenticate") == "Bearer");
      CHECK(response.json().contains("error"));
    }
  }
  CHECK(f.all_runs().empty());
}

TEST_CASE("the read-only token reads, and gets 403 on every write") {
  ApiFixture f;
  const auto ro = bearer(kReadOnlyToken);
  CHECK(f.call("GET", "/api/v1/scheduled-tasks", {}, ro).status == 200);
  CHECK(f.call("GET", "/api/v1/runs", {}, ro).status == 200);
  const auto before = f.row("db-task");
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/v1/scheduled-tasks/nightly/run"},
           {"POST", "/api/v1/scheduled-tasks/nightly/disable"},
           {"PATCH", "/api/v1/scheduled-tasks/db-task"},
           {"POST", "/api/v1/runs/1/cancel"}}) {
    const auto response = f.call(method, target, R"({"retries": 2})", ro);
    CHECK(response.status == 403);
    CHECK(response.json().at("error") == "the read-only token cannot change anything");
  }
  CHECK(f.all_runs().empty());
  CHECK(f.row("nightly")->enabled);
  CHECK(f.row("db-task")->updated_at == before->updated_at);
}

TEST_CASE("/healthz, /readyz and (by default) /metrics need no token, even with tokens set") {
  ApiFixture f;  // http.token and http.read_only_token are set
  const auto health = f.call("GET", "/healthz", {}, {});
  CHECK(health.status == 200);
  CHECK(health.json() == json{{"status", "ok"}});
  // Probes carry no token (systemd, Kubernetes, load balancers), and learn a status word only.
  const auto ready = f.call("GET", "/readyz", {}, {});
  CHECK(ready.status == 200);
  CHECK(ready.json() == json{{"status", "ready"}});
  const auto metrics = f.call("GET", "/metrics", {}, {});
  CHECK(metrics.status == 200);
  CHECK(metrics.header("content-type").find("text/plain; version=0.0.4") == 0);
}

TEST_CASE("with metrics_public false, /metrics needs a token") {
  auto http = ApiFixture::default_http();
  http.metrics_public = false;
  ApiFixture f(http);
  CHECK(f.call("GET", "/metrics", {}, {}).status == 401);
  CHECK(f.call("GET", "/metrics", {}, bearer(kReadOnlyToken)).status == 200);
}

TEST_CASE("with probes_public false, /healthz and /readyz need a token") {
  auto http = ApiFixture::default_http();
  http.probes_public = false;
  ApiFixture f(http);
  for (const std::string target : {"/healthz", "/readyz"}) {
    CAPTURE(target);
    const auto refused = f.call("GET", target, {}, {});
    CHECK(refused.status == 401);
    CHECK(refused.json().at("error") ==
          "authentication required: send Authorization: Bearer <token>");
    CHECK(f.call("GET", target, {}, bearer(kReadOnlyToken)).status == 200);
  }
}

TEST_CASE("the token cookie authenticates, a write by cookie needs the CSRF token") {
  ApiFixture f;
  const std::string csrf = maintd::http::random_token();
  const std::string cookies = std::string("maintd_token=") + kToken + "; maintd_csrf=" + csrf;
  CHECK(f.call("GET", "/api/v1/scheduled-tasks", {}, {{"Cookie", cookies}}).status == 200);

  // No CSRF header, a wrong one, or one from another site: refused, nothing runs.
  for (const Headers& headers :
       {Headers{{"Cookie", cookies}}, Headers{{"Cookie", cookies}, {"X-CSRF-Token", "guess"}},
        Headers{{"Cookie", cookies}, {"X-CSRF-Token", csrf}, {"Origin", "https://evil.example"}}}) {
    const auto response = f.call("POST", "/api/v1/scheduled-tasks/nightly/run", {}, headers);
    CHECK(response.status == 403);
    CHECK(response.json().at("error").get<std::string>().find("CSRF check failed") == 0);
  }
  CHECK(f.all_runs().empty());

  const auto ok =
      f.call("POST", "/api/v1/scheduled-tasks/nightly/run", {},
             {{"Cookie", cookies}, {"X-CSRF-Token", csrf}, {"Origin", "http://127.0.0.1"}});
  CHECK(ok.status == 202);
  CHECK(f.all_runs().size() == 1);

  // A read-only token in the cookie reads only; a wrong one is a 401.
  const std::string ro = std::string("maintd_token=") + kReadOnlyToken + "; maintd_csrf=" + csrf;
  CHECK(f.call("POST", "/api/v1/scheduled-tasks/slow/run", {},
               {{"Cookie", ro}, {"X-CSRF-Token", csrf}})
            .status == 403);
  CHECK(f.call("GET", "/api/v1/runs", {}, {{"Cookie", "maintd_token=nope"}}).status == 401);
}

TEST_CASE("with no token configured, a loopback listener serves local requests only") {
  ApiFixture f(maintd::config::HttpSettings{});
  CHECK_FALSE(f.server->auth().tokens_configured());
  CHECK(f.call("GET", "/api/v1/scheduled-tasks", {}, {}).status == 200);
  CHECK(f.call("POST", "/api/v1/scheduled-tasks/nightly/run", {}, {}).status == 202);
  // DNS rebinding: another site's name in Host.
  const auto rebound = f.call("GET", "/api/v1/runs", {}, {{"Host", "evil.example"}});
  CHECK(rebound.status == 403);
  // A cross-site form post.
  const auto cross =
      f.call("POST", "/api/v1/scheduled-tasks/slow/run", {}, {{"Origin", "https://evil.example"}});
  CHECK(cross.status == 403);
  CHECK(f.all_runs().size() == 1);
}

TEST_CASE("constant_time_equal compares whole strings, never matching an empty secret") {
  using maintd::http::constant_time_equal;
  CHECK(constant_time_equal("secret-token", "secret-token"));
  CHECK_FALSE(constant_time_equal("secret-tokeN", "secret-token"));
  CHECK_FALSE(constant_time_equal("secret-token-longer", "secret-token"));
  CHECK_FALSE(constant_time_equal("secret", "secret-token"));
  CHECK_FALSE(constant_time_equal("", "secret-token"));
  CHECK_FALSE(constant_time_equal("", ""));
  const auto a = maintd::http::random_token();
  CHECK(a.size() == 64);
  CHECK(a != maintd::http::random_token());
}

namespace {

// Loads maintd.yaml with `http` as its http: block; the errors as text.
std::string http_config_errors(const std::string& http, maintd::config::HttpSettings* out) {
  maintd::testing::TempDir dir;
  dir.write("maintd.yaml", "state_database: sqlite3://state.db\nhttp:\n" + http);
  maintd::config::LoadOptions load;
  load.config_path = dir.path() / "maintd.yaml";
  const auto registry = maintd::handlers::builtin_registry();
  load.handlers = &registry;
  const auto result = maintd::config::load_config(load);
  std::string errors;
  for (const auto& error : result.diagnostics.errors()) errors += error.message + "\n";
  if (result.config && out != nullptr) *out = result.config->http;
  return errors;
}

}  // namespace

TEST_CASE(
    "validation refuses a non-loopback listen without a token, reads metrics_public, "
    "probes_public") {
  const std::string errors = http_config_errors("  listen: 0.0.0.0:8089\n", nullptr);
  CHECK(errors.find("'0.0.0.0:8089' is not a loopback address and http.token is not set") !=
        std::string::npos);
  maintd::config::HttpSettings http;
  CHECK(http_config_errors("  listen: 0.0.0.0:8089\n  token: abc\n", &http).empty());
  CHECK(http.metrics_public);
  CHECK(http.probes_public);
  CHECK(http_config_errors("  listen: 127.0.0.1:8089\n  metrics_public: false\n", &http).empty());
  CHECK_FALSE(http.metrics_public);
  CHECK(http_config_errors("  listen: 127.0.0.1:8089\n  probes_public: false\n", &http).empty());
  CHECK_FALSE(http.probes_public);
  CHECK(http_config_errors("  listen: '[::1]:8089'\n", &http).empty());
  CHECK(http_config_errors("  listen: localhost:8089\n", &http).empty());
  CHECK(http_config_errors("  listen: 127.0.0.1:8089\n  metrics_public: maybe\n", nullptr)
            .find("metrics_public") != std::string::npos);
}

TEST_CASE("an http: section without listen serves 127.0.0.1:8089, port 0 is accepted") {
  maintd::config::HttpSettings http;
  CHECK(http_config_errors("  token: abc\n", &http).empty());
  CHECK(http.listen == "127.0.0.1:8089");
  CHECK(http_config_errors("  listen: 127.0.0.1:0\n", &http).empty());
  CHECK(http.listen == "127.0.0.1:0");
  CHECK(http_config_errors("  listen: 127.0.0.1:65536\n", nullptr)
            .find("'127.0.0.1:65536' is not HOST:PORT with a port from 0 to 65535") !=
        std::string::npos);
}
