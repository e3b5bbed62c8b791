#pragma once
// The one place maintd runs a child process to its end (the command.exec handler, alert
// commands): spawned in a process group of its own (process.hpp), its stdin fed from a string,
// its stdout and stderr read as bounded lines (output_lines.hpp), stopped on request or at a
// deadline by signalling the whole group, reaped, and its exit status described. Callers say
// what a stop means for them and what to do with each line; the loop, the signals and the
// bookkeeping of pipes are here once.
//
// A stop (the caller's stop_requested() turned true, or the deadline passed) sends SIGTERM to
// the group and SIGKILL `term_grace` later, or SIGKILL at once without a term_grace. After the
// child exited, output is read until every writer closed it; a process the child left behind
// that keeps a pipe open gets kDrainAfterExit, then the pipes are closed on it.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace maintd::process {

// How often stop_requested() is asked while the child runs.
inline constexpr std::chrono::milliseconds kPollInterval{50};
// After the child exits, how long output is still read that a process it started may write.
inline constexpr std::chrono::milliseconds kDrainAfterExit{500};

struct ChildSpec {
  std::string program;                   // the file executed (find_program's answer)
  std::vector<std::string> argv;         // argv[0] included
  std::vector<std::string> environment;  // NAME=value: the whole environment
  std::string working_directory;         // empty: this process's
  // Written to the child's stdin, which is then closed; empty: stdin is /dev/null. A child
  // that exits without reading it is no error (SIGPIPE is held off this thread meanwhile).
  std::optional<std::string> input;
  // Each line of stdout or stderr (see LineSplitter); an empty sink sends the stream to
  // /dev/null.
  std::function<void(std::string_view line, bool cut)> on_stdout;
  std::function<void(std::string_view line, bool cut)> on_stderr;
  std::size_t max_line_length = 2000;
  // When to stop it: either may be empty.
  std::function<bool()> stop_requested;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // With a value: a stop sends SIGTERM, then SIGKILL this long after. Without: SIGKILL at once.
  std::optional<std::chrono::milliseconds> term_grace;
  // Told as it happens, for callers that record it: the child started; a signal was sent to
  // its group; output was given up on (held open past kDrainAfterExit).
  std::function<void(pid_t pid)> on_started;
  std::function<void(int signal)> on_signal;
  std::function<void()> on_output_abandoned;
};

struct ChildExit {
  enum class Stop { none, requested, deadline };
  pid_t pid = 0;
  int wait_status = 0;     // as waitpid() gave it
  Stop stop = Stop::none;  // what stopped it, if anything did
  bool killed = false;     // SIGKILL was sent (a term_grace ran out, or none was given)
  std::chrono::milliseconds took{0};

  bool succeeded() const;  // exited with status 0
  // "exited with status 3", "killed by signal 9 (SIGKILL)".
  std::string outcome() const;
};

// What kept the child from running, and the errno value: "pipe", "spawn" or "poll". (For a
// failure of poll the child was started: it is killed and reaped before this returns.)
struct ChildFailure {
  std::string step;
  int error = 0;

  // "cannot run '/usr/bin/x': Permission denied", "pipe: Too many open files".
  std::string message(const std::string& program) const;
};

// Runs the child to its end in this thread.
Expected<ChildExit, ChildFailure> run_child(const ChildSpec& spec);

// "SIGTERM", or "signal 77" for one without a name.
std::string signal_name(int signal);

}  // namespace maintd::process
