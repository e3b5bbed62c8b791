// Configuration warnings are said where the configuration is reviewed, once each (validate,
// reload, serve at start: cli/loading.hpp), and not by every other command: on the real binary, a
// schedule file whose task is written with a legacy alias.
#include <doctest/doctest.h>

#include "binary_driver.hpp"
#include "support/temp_dir.hpp"

using maintd::testing::run_binary;

namespace {

constexpr std::string_view kAliasWarning =
    "tasks.yaml:3:11: warning: type 'stale_run.cleanup' is a legacy alias of "
    "'runs.cleanup_stale'; runs are recorded as 'runs.cleanup_stale' (write "
    "'runs.cleanup_stale' to silence this)\n";

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

struct Workspace {
  maintd::testing::TempDir dir;
  std::string config = dir.write("maintd.yaml", R"(state_database: sqlite3://state.db
databases:
  app: sqlite3://app.db
schedules: [tasks.yaml]
)")
                           .string();
  Workspace() {
    dir.write("tasks.yaml", R"(tasks:
  - name: stale-runs
    type: stale_run.cleanup
    schedule: "*/15 * * * *"
)");
  }
  maintd::testing::BinaryOutcome maintd(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config});
    return run_binary(args, dir.path());
  }
};

}  // namespace

TEST_CASE("binary: validate prints a legacy alias warning once, list, task add and others do not") {
  Workspace ws;
  const auto validated = ws.maintd({"validate"});
  CHECK(validated.code == 0);
  CHECK(validated.out == "1 task in 1 file, OK\n");
  CHECK(count(validated.err, kAliasWarning) == 1);
  CHECK(validated.err.ends_with(kAliasWarning));  // and nothing else

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"list"}, std::vector<std::string>{"next"},
        std::vector<std::string>{"task", "add", "unrelated", "--type", "debug.noop", "--schedule",
                                 "@daily"},
        std::vector<std::string>{"history"}, std::vector<std::string>{"handlers"}}) {
    CAPTURE(args);
    const auto outcome = ws.maintd(args);
    CHECK(outcome.code == 0);
    CHECK(outcome.err.find("legacy alias") == std::string::npos);
  }
  // The task added is in the table, and its own type is no alias: still nothing to say.
  CHECK(ws.maintd({"list"}).out.find("unrelated") != std::string::npos);
}

TEST_CASE("binary: an invalid configuration is still reported by every command") {
  Workspace ws;
  ws.dir.write("tasks.yaml", R"(tasks:
  - name: stale-runs
    type: stale_run.cleanup
    schedule: "*/15 * * * *"
    timout: 5m
)");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"validate"}, std::vector<std::string>{"list"}}) {
    CAPTURE(args);
    const auto outcome = ws.maintd(args);
    CHECK(outcome.code == 2);
    CHECK(outcome.err.find("tasks.yaml:5:5: unknown key 'timout' (did you mean 'timeout'?)") !=
          std::string::npos);
  }
}
