// The one child-process runner (command.exec, alert commands): real, short-lived children. Their
// output as lines, stdin fed from a string, the exit status described, a stop by request or by
// deadline (SIGTERM then SIGKILL to the group, or SIGKILL at once), and a child reaped whatever
// happened. Times here are limits the child is killed at, never waits for a result.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/child_run.hpp"

using maintd::process::ChildExit;
using maintd::process::ChildSpec;
using maintd::process::run_child;
using namespace std::chrono_literals;
using Stop = ChildExit::Stop;

namespace {

// What the runner reported while `spec` ran.
struct Seen {
  std::vector<std::string> out;
  std::vector<std::string> err;
  std::vector<int> signals;
  pid_t started = 0;
  bool abandoned = false;
};

// A row of the table: a shell script and how it is run.
struct Row {
  const char* what;
  std::string script;  // for sh -c
  std::optional<std::string> input = std::nullopt;
  // Stop once stdout said this line (a request); or at this deadline from the start.
  std::string stop_on = {};
  std::optional<std::chrono::milliseconds> deadline = std::nullopt;
  std::optional<std::chrono::milliseconds> term_grace = std::nullopt;
  std::size_t max_line_length = 2000;
  // Expected.
  std::string outcome = "exited with status 0";
  std::vector<std::string> out = {};
  std::vector<std::string> err = {};
  Stop stop = Stop::none;
  std::vector<int> signals = {};
  bool abandoned = false;
};

ChildExit run_row(const Row& row, Seen& seen) {
  ChildSpec spec;
  spec.program = "/bin/sh";
  spec.argv = {"sh", "-c", row.script};
  spec.environment = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  spec.input = row.input;
  bool stop = false;
  spec.on_stdout = [&](std::string_view line, bool cut) {
    seen.out.push_back(std::string(line) + (cut ? " [cut]" : ""));
    if (!row.stop_on.empty() && line == row.stop_on) stop = true;
  };
  spec.on_stderr = [&](std::string_view line, bool) { seen.err.emplace_back(line); };
  spec.max_line_length = row.max_line_length;
  spec.stop_requested = [&] { return stop; };
  if (row.deadline) spec.deadline = std::chrono::steady_clock::now() + *row.deadline;
  spec.term_grace = row.term_grace;
  spec.on_started = [&](pid_t pid) { seen.started = pid; };
  spec.on_signal = [&](int signal) { seen.signals.push_back(signal); };
  spec.on_output_abandoned = [&] { seen.abandoned = true; };
  auto exit = run_child(spec);
  REQUIRE(exit.has_value());
  return exit.value();
}

}  // namespace

TEST_CASE("child run: output, input, exit status and stops, as the callers see them") {
  const Row rows[] = {
      {.what = "stdout and stderr lines, status 0",
       .script = "echo one; echo two >&2; printf 'three'",
       .out = {"one", "three"},
       .err = {"two"}},
      {.what = "a non-zero status",
       .script = "echo why >&2; exit 3",
       .outcome = "exited with status 3",
       .err = {"why"}},
      {.what = "killed by a signal",
       .script = "kill -USR1 $$",
       .outcome = "killed by signal 10 (SIGUSR1)"},
      {.what = "stdin from a string", .script = "cat", .input = "a\nb\n", .out = {"a", "b"}},
      {.what = "an empty stdin", .script = "cat; echo end", .input = "", .out = {"end"}},
      {.what = "a megabyte of stdin the child never reads (no SIGPIPE)",
       .script = "exit 0",
       .input = std::string(1 << 20, 'x')},
      {.what = "a long line is cut at max_line_length",
       .script = "head -c 5000 /dev/zero | tr '\\0' x; echo; echo short",
       .max_line_length = 100,
       .out = {std::string(100, 'x') + " [cut]", "short"}},
      {.what = "a stop request: SIGTERM, which it honours",
       .script = "echo ready; exec sleep 30",
       .stop_on = "ready",
       .term_grace = 10s,
       .outcome = "killed by signal 15 (SIGTERM)",
       .out = {"ready"},
       .stop = Stop::requested,
       .signals = {SIGTERM}},
      {.what = "a stop request: SIGTERM ignored, SIGKILL after the grace",
       .script = "trap '' TERM; echo ready; sleep 30",
       .stop_on = "ready",
       .term_grace = 100ms,
       .outcome = "killed by signal 9 (SIGKILL)",
       .out = {"ready"},
       .stop = Stop::requested,
       .signals = {SIGTERM, SIGKILL}},
      {.what = "a deadline without a grace: SIGKILL at once",
       .script = "trap '' TERM; exec sleep 30",
       .deadline = 100ms,
       .outcome = "killed by signal 9 (SIGKILL)",
       .stop = Stop::deadline,
       .signals = {SIGKILL}},
      {.what = "a deadline that does not come",
       .script = "echo quick",
       .deadline = 30s,
       .out = {"quick"}},
      {.what = "output held open by a process left behind is given up on",
       .script = "sleep 3 & echo left",
       .out = {"left"},
       .abandoned = true},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.what));
    Seen seen;
    const auto exit = run_row(row, seen);
    CHECK(exit.outcome() == row.outcome);
    CHECK(exit.succeeded() == (row.outcome == "exited with status 0"));
    CHECK(seen.out == row.out);
    CHECK(seen.err == row.err);
    CHECK(exit.stop == row.stop);
    CHECK(seen.signals == row.signals);
    CHECK(exit.killed == (!row.signals.empty() && row.signals.back() == SIGKILL));
    CHECK(seen.abandoned == row.abandoned);
    CHECK(exit.pid == seen.started);
    // Reaped: waiting for it again finds no such child.
    errno = 0;
    CHECK(::waitpid(exit.pid, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
  }
}

TEST_CASE("child run: a program that cannot be started is a failure with its errno") {
  ChildSpec spec;
  spec.program = "/nonexistent/maintd-program";
  spec.argv = {"maintd-program"};
  spec.on_stdout = [](std::string_view, bool) {};
  bool started = false;
  spec.on_started = [&](pid_t) { started = true; };
  const auto exit = run_child(spec);
  REQUIRE_FALSE(exit.has_value());
  CHECK(exit.error().step == "spawn");
  CHECK(exit.error().error == ENOENT);
  CHECK(exit.error().message(spec.program) ==
        "cannot run '/nonexistent/maintd-program': No such file or directory");
  CHECK_FALSE(started);
}

TEST_CASE("child run: the environment and working directory are the child's") {
  ChildSpec spec;
  spec.program = "/bin/sh";
  spec.argv = {"sh", "-c", "pwd; echo \"$ONLY\"; echo \"${HOME-unset}\""};
  spec.environment = {"ONLY=1"};
  spec.working_directory = "/";
  std::vector<std::string> out;
  spec.on_stdout = [&](std::string_view line, bool) { out.emplace_back(line); };
  const auto exit = run_child(spec);
  REQUIRE(exit.has_value());
  CHECK(exit->succeeded());
  CHECK(out == std::vector<std::string>{"/", "1", "unset"});
}

TEST_CASE("child run: signal names") {
  CHECK(maintd::process::signal_name(SIGTERM) == "SIGTERM");
  CHECK(maintd::process::signal_name(SIGKILL) == "SIGKILL");
}
