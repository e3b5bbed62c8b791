// command.exec: a real child process, its output as events, its exit status as the outcome, and
// the stop token as SIGTERM then SIGKILL. No database.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "handler_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace maintd;
using namespace maintd::testing;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

// A context for command.exec with `config` (schema-checked, defaults filled in). `stop_on`:
// the run is cancelled as soon as the command prints this line.
std::unique_ptr<HandlerRun> command_run(const json& config, bool dry_run = false,
                                        const std::string& stop_on = "") {
  const auto& info = handler("command.exec");
  for (const auto& issue : info.schema.check(config, {})) {
    FAIL_CHECK("config." << issue.key << ": " << issue.message);
  }
  auto run = std::make_unique<HandlerRun>();
  run->context.task_name = "command-test";
  run->context.type = "command.exec";
  run->context.config = info.schema.with_defaults(config);
  run->context.dry_run = dry_run;
  run->context.cancelled = run->stop.get_token();
  run->context.on_event = [events = run->events, stop = &run->stop, stop_on](
                              registry::EventLevel level, std::string_view event,
                              std::string_view message) {
    events->push_back({level, std::string(event), std::string(message)});
    if (!stop_on.empty() && event == "stdout" && message == stop_on) stop->request_stop();
  };
  return run;
}

std::vector<std::string> lines(const HandlerRun& run, const std::string& event) {
  std::vector<std::string> out;
  for (const auto& e : *run.events)
    if (e.event == event) out.push_back(e.message);
  return out;
}

// The child's pid, from the "spawn" event ("pid 123: ...").
pid_t spawned_pid(const HandlerRun& run) {
  const auto spawn = lines(run, "spawn");
  REQUIRE(spawn.size() == 1);
  return static_cast<pid_t>(std::stol(spawn[0].substr(4)));
}

// Reaped by the handler: waiting for it again finds no such child.
void check_reaped(pid_t pid) {
  errno = 0;
  CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}

bool any_event_contains(const HandlerRun& run, const std::string& part) {
  for (const auto& e : *run.events)
    if (contains(e.message, part)) return true;
  return false;
}

}  // namespace

TEST_CASE("handlers: command: stdout and stderr lines become events, status 0 completes") {
  auto run = command_run({{"argv", {"sh", "-c", "echo hello; echo oops >&2; echo bye"}}});
  const json result = handler("command.exec").run(run->context);
  CHECK(result["exit_status"] == 0);
  CHECK(result["stdout_lines"] == 2);
  CHECK(result["stderr_lines"] == 1);
  CHECK(result["output_lines_dropped"] == 0);
  CHECK(lines(*run, "stdout") == std::vector<std::string>{"hello", "bye"});
  CHECK(lines(*run, "stderr") == std::vector<std::string>{"oops"});
  CHECK(run->logged("exit"));
  check_reaped(spawned_pid(*run));
}

TEST_CASE("handlers: command: a non-zero exit or a signal fails the run, saying which") {
  auto failing = command_run({{"argv",
                               {"sh", "-c",
                                "echo first >&2; echo last words >&2; "
                                "exit 3"}}});
  CHECK(thrown_message<std::runtime_error>([&] {
          handler("command.exec").run(failing->context);
        }) == "command.exec: 'sh' exited with status 3: last words");
  check_reaped(spawned_pid(*failing));

  auto killed = command_run({{"argv", {"sh", "-c", "kill -USR1 $$"}}});
  CHECK(thrown_message<std::runtime_error>([&] { handler("command.exec").run(killed->context); }) ==
        "command.exec: 'sh' killed by signal 10 (SIGUSR1)");
}

TEST_CASE("handlers: command: output is bounded in lines and in line length") {
  auto run = command_run(
      {{"argv",
        {"sh", "-c", "i=0; while [ $i -lt 50 ]; do echo line $i; i=$((i+1)); done; echo done >&2"}},
       {"max_output_lines", 10}});
  const json result = handler("command.exec").run(run->context);
  CHECK(result["stdout_lines"] == 50);
  CHECK(result["stderr_lines"] == 1);
  CHECK(result["output_lines_dropped"] == 41);
  CHECK(lines(*run, "stdout").size() == 10);
  CHECK(lines(*run, "stdout").back() == "line 9");
  CHECK(lines(*run, "output_truncated").size() == 1);

  auto wide = command_run({{"argv",
                            {"sh", "-c",
                             "head -c 5000 /dev/zero | tr '\\0' x; echo; printf 'short\\r\\n'; "
                             "printf '\\377ok'"}},
                           {"max_line_length", 100}});
  handler("command.exec").run(wide->context);
  const auto out = lines(*wide, "stdout");
  REQUIRE(out.size() == 3);
  CHECK(out[0] == std::string(100, 'x') + " [line cut]");
  CHECK(out[1] == "short");
  // Invalid UTF-8 would be refused by PostgreSQL's text columns: replaced, not dropped.
  CHECK(out[2] == "\xEF\xBF\xBDok");
}

TEST_CASE("handlers: command: a stop sends SIGTERM, then SIGKILL to a child that ignores it") {
  auto run = command_run(
      {{"command", "trap '' TERM; echo ready; sleep 30"}, {"shell", true}, {"kill_after", "1s"}},
      false, "ready");
  const auto started = Steady::now();
  const auto message =
      thrown_message<std::runtime_error>([&] { handler("command.exec").run(run->context); });
  const auto took = Steady::now() - started;
  CHECK(message ==
        "command.exec: 'sh' stopped on request: killed by signal 9 (SIGKILL) (SIGTERM ignored "
        "for 1s)");
  CHECK(took >= std::chrono::seconds(1));
  CHECK(took < std::chrono::milliseconds(2500));
  const auto signals = lines(*run, "signal");
  REQUIRE(signals.size() == 2);
  CHECK(contains(signals[0], "SIGTERM sent to process group"));
  CHECK(contains(signals[1], "SIGKILL sent to process group"));
  check_reaped(spawned_pid(*run));
}

TEST_CASE("handlers: command: a child that honours SIGTERM stops at once") {
  auto run = command_run({{"argv", {"sh", "-c", "echo ready; exec sleep 30"}}}, false, "ready");
  const auto started = Steady::now();
  const auto message =
      thrown_message<std::runtime_error>([&] { handler("command.exec").run(run->context); });
  CHECK(Steady::now() - started < std::chrono::seconds(1));
  CHECK(message == "command.exec: 'sh' stopped on request: killed by signal 15 (SIGTERM)");
  CHECK(lines(*run, "signal").size() == 1);
  check_reaped(spawned_pid(*run));
}

TEST_CASE("handlers: command: environment and working directory are applied, values unlogged") {
  TempDir dir;
  ::setenv("MAINTD_TEST_REMOVED", "inherited", 1);
  ::setenv("MAINTD_TEST_KEPT", "inherited", 1);
  auto run = command_run({{"argv",
                           {"sh", "-c",
                            "echo \"$GREETING\"; pwd; echo \"${MAINTD_TEST_REMOVED-unset}\"; "
                            "echo \"$MAINTD_TEST_KEPT\"; echo \"$COUNT\"",
                            "sh", "--password=hunter2"}},
                          {"env",
                           {{"GREETING", "hi there"},
                            {"MAINTD_TEST_REMOVED", nullptr},
                            {"COUNT", 3},
                            {"API_TOKEN", "s3cr3t-value"}}},
                          {"working_directory", dir.path().string()}});
  const json result = handler("command.exec").run(run->context);
  CHECK(lines(*run, "stdout") ==
        std::vector<std::string>{"hi there", std::filesystem::canonical(dir.path()).string(),
                                 "unset", "inherited", "3"});
  CHECK_FALSE(any_event_contains(*run, "s3cr3t-value"));
  CHECK_FALSE(any_event_contains(*run, "hunter2"));
  CHECK(any_event_contains(*run, "--password=***"));
  CHECK_FALSE(contains(result.dump(), "hunter2"));
  ::unsetenv("MAINTD_TEST_REMOVED");
  ::unsetenv("MAINTD_TEST_KEPT");

  auto bare = command_run({{"argv", {"env"}}, {"inherit_env", false}, {"env", {{"ONLY", "1"}}}});
  handler("command.exec").run(bare->context);
  CHECK(lines(*bare, "stdout") == std::vector<std::string>{"ONLY=1"});
}

TEST_CASE("handlers: command: a program that cannot run is a clear error") {
  TempDir dir;
  auto missing = command_run({{"argv", {"maintd-no-such-program", "--help"}}});
  CHECK(contains(
      thrown_message<std::runtime_error>([&] { handler("command.exec").run(missing->context); }),
      "command.exec: program 'maintd-no-such-program' not found in PATH ("));

  auto path = command_run({{"argv", {"./nothing.sh"}}, {"working_directory", dir.path().string()}});
  CHECK(thrown_message<std::runtime_error>([&] { handler("command.exec").run(path->context); }) ==
        "command.exec: program './nothing.sh' does not exist");

  const auto script = dir.write("script.sh", "#!/bin/sh\necho hi\n");
  auto not_executable = command_run({{"argv", {script.string()}}});
  CHECK(contains(thrown_message<std::runtime_error>(
                     [&] { handler("command.exec").run(not_executable->context); }),
                 "is not an executable file"));

  auto no_dir = command_run({{"argv", {"true"}}, {"working_directory", "/nonexistent/maintd"}});
  CHECK(thrown_message<std::runtime_error>([&] { handler("command.exec").run(no_dir->context); }) ==
        "command.exec: working_directory '/nonexistent/maintd' does not exist or is not a "
        "directory");

  // A shell only when asked for: a command line needs shell: true, argv never goes to a shell.
  const auto refused = [](const json& config) {
    auto run = command_run(config);
    const auto message =
        thrown_message<std::invalid_argument>([&] { handler("command.exec").run(run->context); });
    CHECK(lines(*run, "spawn").empty());
    return message;
  };
  CHECK(contains(refused({{"command", "echo a | wc -l"}}), "set shell: true, or give 'argv'"));
  CHECK(
      contains(refused({{"argv", {"echo", "a"}}, {"shell", true}}), "shell: true runs 'command'"));
  CHECK(contains(refused({{"argv", {"echo"}}, {"command", "echo"}, {"shell", true}}), "not both"));
  CHECK(contains(refused(json::object()), "nothing to run"));
}

TEST_CASE("handlers: command: a dry run reports the command and runs nothing") {
  TempDir dir;
  auto run = command_run({{"argv", {"sh", "-c", "touch marker", "--token", "abc123"}},
                          {"working_directory", dir.path().string()},
                          {"env", {{"DB_PASSWORD", "pw"}}}},
                         true);
  const json result = handler("command.exec").run(run->context);
  CHECK(result["dry_run"] == true);
  CHECK(result["would_run"] == json{"sh", "-c", "touch marker", "--token", "***"});
  CHECK(std::filesystem::path(result["program"].get<std::string>()).is_absolute());
  CHECK(result["env"] == json{"DB_PASSWORD"});
  CHECK_FALSE(std::filesystem::exists(dir.path() / "marker"));
  CHECK(lines(*run, "spawn").empty());
  CHECK(contains(lines(*run, "dry_run").at(0), "would run: sh -c 'touch marker' --token '***'"));
}
