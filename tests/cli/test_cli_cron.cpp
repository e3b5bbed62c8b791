// `maintd cron next|explain` through the real argument parser, in-process.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_driver.hpp"

namespace {

maintd::testing::CliOutcome run(std::vector<std::string> args) {
  return maintd::testing::run_cli(std::move(args));
}

}  // namespace

TEST_CASE("cron next prints N slots in UTC, strictly after --from") {
  const auto r =
      run({"cron", "next", "*/15 * * * *", "--from", "2026-01-01T00:00:00Z", "--count", "3"});
  CHECK(r.code == 0);
  CHECK(r.out == "2026-01-01T00:15:00Z\n2026-01-01T00:30:00Z\n2026-01-01T00:45:00Z\n");
  CHECK(r.err.empty());
}

TEST_CASE("cron next prints five slots by default") {
  const auto r = run({"cron", "next", "@daily", "--from", "2026-01-01T12:00:00Z"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "2026-01-02T00:00:00Z\n2026-01-03T00:00:00Z\n2026-01-04T00:00:00Z\n"
        "2026-01-05T00:00:00Z\n2026-01-06T00:00:00Z\n");
}

TEST_CASE("cron next reads the expression in --tz and accepts offsets in --from") {
  // 02:30 in Berlin on the spring-forward day does not exist: it fires once at the change.
  const auto r = run({"cron", "next", "30 2 * * *", "--tz", "Europe/Berlin", "--from",
                      "2026-03-28T03:00:00+01:00", "-n", "2"});
  CHECK(r.code == 0);
  CHECK(r.out == "2026-03-29T01:00:00Z\n2026-03-30T00:30:00Z\n");
}

TEST_CASE("cron next without an offset in --from reads it in --tz") {
  const auto r = run({"cron", "next", "0 * * * *", "--tz", "America/New_York", "--from",
                      "2026-07-01T09:30", "-n", "1"});
  CHECK(r.code == 0);
  CHECK(r.out == "2026-07-01T14:00:00Z\n");  // 10:00 EDT
}

TEST_CASE("cron next rejects an invalid expression with the position and exit code 2") {
  const auto r = run({"cron", "next", "0 25 * * *"});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("column 3: hour: value 25 is out of range 0-23") != std::string::npos);
  CHECK(r.err.find("  0 25 * * *\n    ^^") != std::string::npos);
}

TEST_CASE("cron next explains an expression that never fires") {
  const auto r = run({"cron", "next", "0 0 31 4,6,9,11 *"});
  CHECK(r.code == 2);
  CHECK(r.err.find(
            "never fires: day 31 never occurs in April, June, September or November (30 days)") !=
        std::string::npos);
}

TEST_CASE("cron next rejects an unknown time zone with a suggestion and exit code 2") {
  const auto r = run({"cron", "next", "@hourly", "--tz", "Europe/Berln"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "maintd: --tz: unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)\n");
}

TEST_CASE("cron next rejects a malformed --from with exit code 2") {
  const auto r = run({"cron", "next", "@hourly", "--from", "yesterday"});
  CHECK(r.code == 2);
  CHECK(r.err.find("--from: 'yesterday' is not an ISO-8601 time") != std::string::npos);
}

TEST_CASE("cron next rejects a count out of range and a missing expression with exit code 2") {
  CHECK(run({"cron", "next", "@hourly", "--count", "0"}).code == 2);
  CHECK(run({"cron", "next"}).code == 2);
  CHECK(run({"cron", "bogus"}).code == 2);
  CHECK(run({}).code == 2);
}

TEST_CASE("cron explain describes the schedule") {
  const auto r = run({"cron", "explain", "30 2 * * 1-5"});
  CHECK(r.code == 0);
  CHECK(r.out == "At 02:30, Monday through Friday\n");
}

TEST_CASE("cron explain rejects an invalid expression with exit code 2") {
  const auto r = run({"cron", "explain", "0 0 * * MOM"});
  CHECK(r.code == 2);
  CHECK(r.err.find("column 9: day-of-week: unknown name 'MOM' (hint: did you mean 'MON'?)") !=
        std::string::npos);
}

TEST_CASE("--help works on every command and exits 0") {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"},
                                                                {"cron", "--help"},
                                                                {"cron", "next", "--help"},
                                                                {"cron", "explain", "--help"}}) {
    const auto r = run(args);
    CAPTURE(args.size());
    CHECK(r.code == 0);
    CHECK(r.out.find("Usage:") != std::string::npos);
  }
}

TEST_CASE("--version prints the version and exits 0") {
  const auto r = run({"--version"});
  CHECK(r.code == 0);
  CHECK(r.out.rfind("maintd ", 0) == 0);
}
