// `@every` intervals and pause_after_failures through the real argument parser, in-process:
// `maintd cron explain|next`, `maintd validate` naming file:line:col for each class of bad
// input, `maintd next` and `maintd list` for an interval task.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_driver.hpp"
#include "support/temp_dir.hpp"

using maintd::testing::TempDir;

namespace {

maintd::testing::CliOutcome run(std::vector<std::string> args) {
  return maintd::testing::run_cli(std::move(args));
}

}  // namespace

TEST_CASE("cron explain describes an interval") {
  const auto r = run({"cron", "explain", "@every 90s"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "Every 1 minute 30 seconds (90 seconds), at whole multiples of the interval since "
        "1970-01-01T00:00:00Z\n");
  CHECK(r.err.empty());
  const auto cron = run({"cron", "explain", "30 2 * * 1-5"});
  CHECK(cron.out == "At 02:30, Monday through Friday\n");
}

TEST_CASE("cron next lists an interval's slots on its grid, the same in every zone") {
  const auto r = run({"cron", "next", "@every 90s", "--from", "2026-01-01T00:00:07Z", "-n", "3"});
  CHECK(r.code == 0);
  CHECK(r.out == "2026-01-01T00:01:30Z\n2026-01-01T00:03:00Z\n2026-01-01T00:04:30Z\n");
  const auto berlin = run({"cron", "next", "@every 1h", "--tz", "Europe/Berlin", "--from",
                           "2026-03-29T00:30:00Z", "-n", "3"});
  CHECK(berlin.out == "2026-03-29T01:00:00Z\n2026-03-29T02:00:00Z\n2026-03-29T03:00:00Z\n");
}

TEST_CASE("cron next and explain refuse a bad interval with its column and exit code 2") {
  const auto r = run({"cron", "next", "@every 0s"});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "maintd: invalid interval: column 8: interval: the interval '0s' is zero (hint: the "
        "shortest interval is 1s; e.g. '@every 90s', '@every 15m' or '@every 1h30m')\n"
        "  @every 0s\n"
        "         ^^\n");
  const auto e = run({"cron", "explain", "@every 5min"});
  CHECK(e.code == 2);
  CHECK(e.err.find("maintd: invalid interval: column 9: interval: unknown unit 'min' (hint: did "
                   "you mean 'm'?") == 0);
}

namespace {

struct BadSchedule {
  const char* value;  // as written in the file, quoted
  int column;         // of the offending token in the line `    schedule: "..."`
  const char* message;
};

// The value's content starts at column 16 of `    schedule: "`; an error at column c of the
// text is at 15 + c.
// clang-format off
constexpr BadSchedule kBadSchedules[] = {
    {"@every", 16, "invalid interval '@every': interval: '@every' needs an interval after it"},
    {"@every 0s", 23, "invalid interval '@every 0s': interval: the interval '0s' is zero"},
    {"@every -5m", 23, "the interval '-5m' is negative"},
    {"@every 90", 23, "the number 90 has no unit"},
    {"@every 5min", 24, "unknown unit 'min' (hint: did you mean 'm'?"},
    {"@every 1.5h", 24, "fractions are not allowed"},
    {"@every 30m1h", 27, "the unit 'h' comes after 'm'"},
    {"@every 99999999999999999999s", 23, "the number 99999999999999999999 is too large"},
    {"@every 367d", 23, "is longer than the longest allowed, 366d"},
    {"@every 1h 30m", 26, "unexpected '30m' after the interval"},
};
// clang-format on

}  // namespace

TEST_CASE("validate refuses each class of bad interval at file:line:col, loading nothing") {
  for (const auto& bad : kBadSchedules) {
    CAPTURE(bad.value);
    TempDir dir;
    dir.write("maintd.yaml", "state_database: sqlite3://state.db\nschedules: [s.yaml]\n");
    dir.write("s.yaml", std::string("tasks:\n  - name: a\n    type: debug.noop\n    schedule: \"") +
                            bad.value + "\"\n");
    const auto r = run({"validate", "-c", (dir.path() / "maintd.yaml").string()});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    const std::string place =
        (dir.path() / "s.yaml").string() + ":4:" + std::to_string(bad.column) + ": schedule: ";
    CHECK(r.err.find(place) == 0);
    CHECK(r.err.find(bad.message) != std::string::npos);
    CHECK(r.err.find("nothing was loaded") != std::string::npos);
    // `db seed` refuses the same file before it opens the state database: nothing written.
    const auto seed = run({"db", "seed", "-c", (dir.path() / "maintd.yaml").string()});
    CHECK(seed.code == 2);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "state.db"));
  }
}

namespace {

struct BadSetting {
  const char* where;  // "task" or "defaults"
  const char* value;
  const char* message;
};

constexpr BadSetting kBadSettings[] = {
    {"task", "-1", "pause_after_failures: -1 is out of range 0-1000"},
    {"task", "1001", "pause_after_failures: 1001 is out of range 0-1000"},
    {"task", "three",
     "pause_after_failures: expected a whole number 0-1000, got a string ('three')"},
    {"task", "2.5", "pause_after_failures: expected a whole number 0-1000, got"},
    {"task", "true", "pause_after_failures: expected a whole number 0-1000, got"},
    {"defaults", "-3", "pause_after_failures: -3 is out of range 0-1000"},
    {"defaults", "[3]", "pause_after_failures: expected a whole number 0-1000, got a list"},
};

}  // namespace

TEST_CASE("validate refuses a bad pause_after_failures, in a task or in defaults, with its place") {
  for (const auto& bad : kBadSettings) {
    CAPTURE(bad.where);
    CAPTURE(bad.value);
    TempDir dir;
    const bool in_defaults = std::string(bad.where) == "defaults";
    dir.write("maintd.yaml", std::string("schedules: [s.yaml]\n") +
                                 (in_defaults ? std::string("defaults:\n  pause_after_failures: ") +
                                                    bad.value + "\n"
                                              : ""));
    dir.write(
        "s.yaml",
        std::string("tasks:\n  - name: a\n    type: debug.noop\n"
                    "    schedule: \"@every 1m\"\n") +
            (in_defaults ? "" : std::string("    pause_after_failures: ") + bad.value + "\n"));
    const auto r = run({"validate", "-c", (dir.path() / "maintd.yaml").string()});
    CHECK(r.code == 2);
    // maintd.yaml:3:25 (`  pause_after_failures: ` is 24 characters) or s.yaml:5:27.
    const std::string place = in_defaults ? (dir.path() / "maintd.yaml").string() + ":3:25: "
                                          : (dir.path() / "s.yaml").string() + ":5:27: ";
    CHECK(r.err.find(place) == 0);
    CHECK(r.err.find(bad.message) != std::string::npos);
  }
}

TEST_CASE("validate accepts pause_after_failures, and 0 switches a default off for one task") {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [s.yaml]\ndefaults: {pause_after_failures: 5}\n");
  dir.write("s.yaml",
            "tasks:\n"
            "  - {name: a, type: debug.noop, schedule: '@every 1m'}\n"
            "  - {name: b, type: debug.noop, schedule: '@every 1m', pause_after_failures: 2}\n"
            "  - {name: c, type: debug.noop, schedule: '@every 1m', pause_after_failures: 0}\n");
  const std::string config = (dir.path() / "maintd.yaml").string();
  const auto r = run({"validate", "-c", config});
  CHECK(r.code == 0);
  const auto list = run({"list", "--json", "-c", config});
  REQUIRE(list.code == 0);
  const auto tasks = nlohmann::json::parse(list.out)["tasks"];
  REQUIRE(tasks.size() == 3);
  CHECK(tasks[0]["policies"]["pause_after_failures"] == 5);
  CHECK(tasks[1]["policies"]["pause_after_failures"] == 2);
  CHECK(tasks[2]["policies"]["pause_after_failures"].is_null());
}

TEST_CASE("next and list show an interval task's slots on its grid") {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [s.yaml]\ndefaults: {timezone: Europe/Berlin}\n");
  dir.write("s.yaml",
            "tasks:\n"
            "  - {name: often, type: debug.noop, schedule: '@every 90s'}\n"
            "  - {name: hourly, type: debug.noop, schedule: '@hourly'}\n");
  const std::string config = (dir.path() / "maintd.yaml").string();
  const auto one =
      run({"next", "often", "-n", "3", "-c", config, "--from", "2026-03-29T00:58:00Z"});
  REQUIRE(one.code == 0);
  CHECK(one.out.find("SLOT (UTC)            LOCAL                     TASK\n"
                     "2026-03-29T00:58:30Z  2026-03-29 01:58:30 CET   often\n"
                     "2026-03-29T01:00:00Z  2026-03-29 03:00:00 CEST  often\n"
                     "2026-03-29T01:01:30Z  2026-03-29 03:01:30 CEST  often\n") == 0);
  const auto list = run({"list", "-c", config, "--from", "2026-03-29T00:58:00Z"});
  REQUIRE(list.code == 0);
  CHECK(list.out.find("often   debug.noop  @every 90s") != std::string::npos);
}
