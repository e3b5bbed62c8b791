// `maintd pause`, `resume`, `run --at`, `cancel`, and what `status` and `next` say of them,
// in-process on a SQLite state database in a temp dir: exit codes, messages, and that bad input
// writes nothing.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_driver.hpp"
#include "support/temp_dir.hpp"

using maintd::testing::run_cli;
using maintd::testing::TempDir;
using nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct PauseFixture {
  TempDir dir;
  std::string config;

  PauseFixture() {
    dir.write("var/.keep", "");
    config = dir.write("maintd.yaml", R"(
state_database: sqlite3://var/state.db
schedules: [schedules/]
)")
                 .string();
    dir.write("schedules/tasks.yaml", R"(
tasks:
  - {name: quick, type: debug.noop, schedule: "*/5 * * * *"}
)");
  }

  maintd::testing::CliOutcome run(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config});
    return run_cli(std::move(args), {{"USER", "alice"}});
  }

  json history() {
    auto r = run({"history", "--json"});
    REQUIRE(r.code == 0);
    return json::parse(r.out)["runs"];
  }
  json pause_json() {
    auto r = run({"status", "--json"});
    return json::parse(r.out)["pause"];
  }
};

}  // namespace

TEST_CASE("pause: status shows it, a run needs --force, resume ends it") {
  PauseFixture f;
  auto r = f.run({"pause", "--for", "30m", "--reason", "deploy 42"});
  CHECK(r.code == 0);
  CHECK_MESSAGE(contains(r.out, "maintd is paused: paused by alice@"), r.out);
  CHECK_MESSAGE(
      contains(r.out, " since 2026-03-28T12:00:00Z until 2026-03-28T12:30:00Z: deploy 42"), r.out);

  r = f.run({"status"});
  CHECK_MESSAGE(contains(r.out, "PAUSED: paused by alice@"), r.out);
  const json pause = f.pause_json();
  CHECK(pause["paused"] == true);
  CHECK(pause["until"] == "2026-03-28T12:30:00Z");
  CHECK(pause["paused_at"] == "2026-03-28T12:00:00Z");
  CHECK(pause["reason"] == "deploy 42");

  r = f.run({"run", "quick"});
  CHECK(r.code == 1);
  CHECK_MESSAGE(contains(r.err, "maintd: maintd is paused by alice@"), r.err);
  CHECK(contains(r.err, "pass --force to run 'quick' anyway"));
  CHECK(f.history().empty());  // nothing recorded
  r = f.run({"run", "quick", "--force"});
  CHECK(r.code == 0);
  CHECK(f.history().size() == 1);

  // A second pause changes the current one.
  r = f.run({"pause", "--reason", "longer"});
  CHECK(r.code == 0);
  CHECK_MESSAGE(contains(r.out, "the current pause was changed"), r.out);
  CHECK(f.pause_json()["until"].is_null());

  r = f.run({"resume"});
  CHECK(r.code == 0);
  CHECK_MESSAGE(contains(r.out, "resumed: the pause paused by alice@"), r.out);
  CHECK(f.pause_json()["paused"] == false);
  r = f.run({"resume"});
  CHECK(r.code == 0);
  CHECK(r.out == "maintd was not paused: nothing to resume\n");
  r = f.run({"run", "quick"});
  CHECK(r.code == 0);
}

TEST_CASE("pause: a bad duration or reason is refused and nothing is paused") {
  PauseFixture f;
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"pause", "--for", "0s"}, 2, "a pause lasts longer than 0 s"},
           {{"pause", "--for", "banana"}, 2, "maintd: --for: bad duration 'banana'"},
           {{"pause", "--for", "400d"}, 2, "is longer than a year"},
           {{"pause", "--reason", "two\nlines"}, 2, "the reason must be one line"},
           {{"pause", "--reason", std::string(501, 'x')}, 2, "at most 500 are kept"}}) {
    CAPTURE(c.args[2]);
    const auto r = f.run(c.args);
    CHECK(r.code == c.code);
    CHECK_MESSAGE(contains(r.err, c.message), r.err);
    CHECK(f.pause_json()["paused"] == false);
  }
}

TEST_CASE("run --at: a one-off run is recorded pending, shown by next and status, cancelled") {
  PauseFixture f;
  auto r = f.run({"run", "quick", "--at", "+10m"});
  CHECK(r.code == 0);
  CHECK_MESSAGE(r.out ==
                    "run 1: one-off run of quick due at 2026-03-28T12:10:00Z (in 10m), pending\n"
                    "the daemon that is up then starts it; 'maintd cancel 1' cancels it\n",
                r.out);
  r = f.run({"run", "quick", "--at", "2026-03-28T13:05:00+01:00", "--dry-run", "--json"});
  CHECK(r.code == 0);
  const json second = json::parse(r.out)["run"];
  CHECK(second["trigger"] == "once");
  CHECK(second["status"] == "pending");
  CHECK(second["due_at"] == "2026-03-28T12:05:00Z");
  CHECK(second["dry_run"] == true);

  r = f.run({"next"});
  CHECK_MESSAGE(contains(r.out, "one-off runs waiting:"), r.out);
  CHECK(contains(r.out, "maintd cancel 1"));
  r = f.run({"next", "--json"});
  const json next = json::parse(r.out);
  REQUIRE(next["one_off"].size() == 2);
  CHECK(next["one_off"][0]["id"] == 2);  // the earliest first
  r = f.run({"status", "--json"});
  CHECK(json::parse(r.out)["one_off"].size() == 2);

  r = f.run({"cancel", "1"});
  CHECK(r.code == 0);
  CHECK(r.out == "run 1 of quick cancelled: it will not start\n");
  r = f.run({"cancel", "1"});
  CHECK(r.code == 1);
  CHECK_MESSAGE(contains(r.err, "run 1 has already ended (cancelled)"), r.err);
  r = f.run({"cancel", "99"});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "there is no run 99"));
  r = f.run({"next", "--json"});
  CHECK(json::parse(r.out)["one_off"].size() == 1);
}

TEST_CASE("run --at: a time in the past, nonsense or an unknown task is refused, nothing written") {
  PauseFixture f;
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"run", "quick", "--at", "2026-03-28T11:00:00Z"},
            "2026-03-28T11:00:00Z is not in the future (it is 2026-03-28T12:00:00Z now)"},
           {{"run", "quick", "--at", "+0s"}, "is not in the future"},
           {{"run", "quick", "--at", "tomorrow"}, "'tomorrow' is not a time"},
           {{"run", "quick", "--at", "+soon"}, "bad duration 'soon'"},
           {{"run", "quick", "--at", "2026-03-29T12:00:00"},
            "'2026-03-29T12:00:00' has no zone: add Z for UTC or an offset such as +01:00"},
           {{"run", "quick", "--at", "2030-01-01T00:00:00Z"}, "is more than a year ahead"},
           {{"run", "quikc", "--at", "+1m"}, "no task named 'quikc' (did you mean 'quick'?)"},
           {{"run", "claims.release_expired", "--at", "+1m"},
            "no task named 'claims.release_expired'"},
           {{"run", "quick", "--at", "+1m", "--set", "fail=true"},
            "--set cannot be combined with --at"},
           {{"run", "quick", "--at", "+1m", "--force"}, "--force cannot be combined with --at"}}) {
    CAPTURE(c.args[3]);
    const auto r = f.run(c.args);
    CHECK(r.code == 2);
    CHECK_MESSAGE(contains(r.err, c.message), r.err);
  }
  CHECK(f.history().empty());
}
