// The admin API's pause (GET/POST /api/v1/pause, POST /api/v1/resume), manual runs while paused
// (409 unless forced), /metrics during a pause, and one-off runs (POST .../run with "at"):
// statuses, bodies, auth, and that bad input changes nothing.
#include <doctest/doctest.h>

#include "api_fixture.hpp"

using maintd::testing::ApiFixture;
using maintd::testing::bearer;
using maintd::testing::kReadOnlyToken;
using nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("POST pause: manual runs need force, metrics and GET show it, resume ends it") {
  ApiFixture f;
  CHECK(f.get("/api/v1/pause").json() == json{{"pause", {{"paused", false}}}});

  auto response =
      f.post("/api/v1/pause", R"({"for": "30m", "reason": "deploy 42", "by": "deploy-bot"})");
  REQUIRE(response.status == 200);
  const json pause = response.json().at("pause");
  CHECK(pause.at("paused") == true);
  CHECK(pause.at("paused_by") == "deploy-bot");
  CHECK(pause.at("reason") == "deploy 42");
  CHECK(pause.at("until").is_string());
  CHECK(pause.at("changed_current") == false);
  CHECK(f.get("/api/v1/pause").json().at("pause").at("paused_by") == "deploy-bot");

  response = f.post("/api/v1/scheduled-tasks/nightly/run");
  CHECK(response.status == 409);
  CHECK(response.json().at("paused") == true);
  CHECK_MESSAGE(contains(response.json().at("error"), "maintd is paused by deploy-bot since"),
                response.body);
  CHECK(f.all_runs().empty());
  response = f.post("/api/v1/scheduled-tasks/nightly/run", R"({"force": true})");
  REQUIRE(response.status == 202);
  CHECK(f.wait_finished(response.json().at("run_id").get<std::int64_t>()).at("status") ==
        "completed");

  const auto metrics = f.get("/metrics");
  CHECK(contains(metrics.body, "maintd_paused 1\n"));
  CHECK(contains(metrics.body, "maintd_pause_info{paused_by=\"deploy-bot\",since=\""));

  response = f.post("/api/v1/resume", R"({"by": "deploy-bot"})");
  REQUIRE(response.status == 200);
  CHECK(response.json().at("resumed") == true);
  CHECK(f.get("/api/v1/pause").json().at("pause").at("paused") == false);
  response = f.post("/api/v1/resume");
  CHECK(response.status == 409);
  CHECK(response.json().at("error") == "maintd is not paused: nothing to resume");
  CHECK(contains(f.get("/metrics").body, "maintd_paused 0\n"));
}

TEST_CASE("POST pause: read-only tokens are refused, bad bodies are a 400 and nothing is paused") {
  ApiFixture f;
  CHECK(f.call("POST", "/api/v1/pause", "{}", bearer(kReadOnlyToken)).status == 403);
  CHECK(f.call("POST", "/api/v1/resume", "{}", bearer(kReadOnlyToken)).status == 403);
  CHECK(f.call("GET", "/api/v1/pause", "", bearer(kReadOnlyToken)).status == 200);
  struct Case {
    std::string body;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{{R"({"for": "0s"})", "a pause lasts longer than 0 s"},
                                         {R"({"for": "soon"})", "for: bad duration 'soon'"},
                                         {R"({"for": 30})", "for must be a string, got number"},
                                         {R"({"reason": "a\nb"})", "the reason must be one line"},
                                         {R"({"until": "1h"})", "until"},
                                         {R"([1])", "object"}}) {
    CAPTURE(c.body);
    const auto response = f.post("/api/v1/pause", c.body);
    CHECK(response.status == 400);
    CHECK_MESSAGE(contains(response.json().at("error"), c.error), response.body);
  }
  CHECK(f.get("/api/v1/pause").json().at("pause").at("paused") == false);
}

TEST_CASE("POST run with at records a pending one-off run, cancel keeps it from starting") {
  ApiFixture f;
  auto response =
      f.post("/api/v1/scheduled-tasks/nightly/run", R"({"at": "+1h", "dry_run": true})");
  REQUIRE(response.status == 202);
  const json body = response.json();
  CHECK(body.at("status") == "pending");
  CHECK(body.at("trigger") == "once");
  CHECK(body.at("dry_run") == true);
  CHECK(body.at("due_at").is_string());
  const auto id = body.at("run_id").get<std::int64_t>();
  CHECK(response.header("location") == "/api/v1/runs/" + std::to_string(id));

  const auto waiting = f.get("/api/v1/runs?trigger=once&status=pending").json().at("runs");
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].at("due_at") == body.at("due_at"));

  response = f.post("/api/v1/runs/" + std::to_string(id) + "/cancel");
  CHECK(response.status == 202);
  CHECK(f.get("/api/v1/runs/" + std::to_string(id)).json().at("run").at("status") == "cancelled");
}

TEST_CASE("POST run with a bad at is refused and records nothing") {
  ApiFixture f;
  struct Case {
    std::string target;
    std::string body;
    unsigned status;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"nightly", R"({"at": "2020-01-01T00:00:00Z"})", 400, "is not in the future"},
           {"nightly", R"({"at": "tomorrow"})", 400, "'tomorrow' is not a time"},
           {"nightly", R"({"at": "2030-01-01T00:00:00"})", 400, "has no zone"},
           {"nightly", R"({"at": 5})", 400, "at must be a time"},
           {"nightly", R"({"at": "+1h", "config": {}})", 400, "config cannot be combined with at"},
           {"nightly", R"({"at": "+1h", "force": true})", 400, "force cannot be combined with at"},
           {"nosuch", R"({"at": "+1h"})", 404, "no task named 'nosuch'"},
           {"nightly", R"({"at": "+1h", "when": 1})", 400, "when"}}) {
    CAPTURE(c.body);
    const auto response = f.post("/api/v1/scheduled-tasks/" + c.target + "/run", c.body);
    CHECK(response.status == c.status);
    CHECK_MESSAGE(contains(response.json().at("error"), c.error), response.body);
  }
  CHECK(f.all_runs().empty());
  CHECK(f.get("/api/v1/runs?trigger=bogus").status == 400);
}
