#pragma once
// Helpers for the end-to-end tests of the real `maintd` binary: start `maintd serve` as a child
// process (stdout and stderr to a file), signal it, wait for it with a deadline, and read what it
// recorded through maintd's own store API.
//
// Every wait has a deadline, and a child never outlives its test: the destructor SIGKILLs a
// daemon still running, and PR_SET_PDEATHSIG kills it when the test process itself dies (a CTest
// timeout, an abort), so a failed test cannot leave a daemon behind.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "connection/database_url.hpp"
#include "store/database.hpp"
#include "store/run_store.hpp"
#include "support/files.hpp"

extern char** environ;

namespace maintd::e2e {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using store::RunRecord;
using store::RunStatus;
using store::Trigger;

using ::maintd::testing::eventually;
using ::maintd::testing::read_text;
using ::maintd::testing::write_atomically;

// The environment for a child: ours, without what would make maintd talk to systemd or read
// another configuration.
inline std::vector<std::string> child_environment() {
  static constexpr std::string_view kDropped[] = {
      "NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=", "JOURNAL_STREAM=",
      "MAINTD_CONFIG=", "LISTEN_FDS=",    "LISTEN_PID="};
  std::vector<std::string> out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    bool dropped = false;
    for (const auto prefix : kDropped) dropped = dropped || text.starts_with(prefix);
    if (!dropped) out.emplace_back(text);
  }
  return out;
}

// A `maintd` child process. Everything it prints goes to `output`.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::filesystem::path& output)
      : output_(output) {
    // Everything the child needs is prepared before fork(): after it, only async-signal-safe
    // calls until exec.
    std::vector<std::string> argv_text{MAINTD_BINARY};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    auto env_text = child_environment();
    std::vector<char*> envp;
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    const std::string output_path = output.string();
    const pid_t parent = ::getpid();

    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);  // the test died before prctl took effect
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      const int fd = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd < 0) ::_exit(125);
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      const int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, STDIN_FILENO);
      ::close_range(3, ~0U, 0);  // no database connection of the test leaks into the child
      ::execve(MAINTD_BINARY, argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ~Process() {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signal) const {
    if (!status_) REQUIRE(::kill(pid_, signal) == 0);
  }

  // Whether it is still running (reaps it when it is not).
  bool alive() {
    poll();
    return !status_.has_value();
  }
  // The raw wait status once it has exited, waiting up to `limit`.
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    eventually(limit, [&] { return !alive(); });
    return status_;
  }
  // SIGKILL, and reap it.
  void kill() {
    signal(SIGKILL);
    REQUIRE(wait_exit(10s).has_value());
  }

  std::string output() const { return read_text(output_); }
  // Waits until the output contains `text` (or the process exits without printing it).
  bool wait_output(std::string_view text, std::chrono::milliseconds limit) {
    return eventually(limit,
                      [&] {
                        const bool exited = !alive();
                        return output().find(text) != std::string::npos || exited;
                      }) &&
           output().find(text) != std::string::npos;
  }

 private:
  void poll() {
    if (status_) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
  }

  std::filesystem::path output_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// "exit 0", "killed by signal 9": for messages.
inline std::string describe_status(std::optional<int> status) {
  if (!status) return "still running";
  if (WIFEXITED(*status)) return "exit " + std::to_string(WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) return "killed by signal " + std::to_string(WTERMSIG(*status));
  return "status " + std::to_string(*status);
}

// `maintd serve --config CONFIG`, its output in `log`; returns once it says it started.
inline std::unique_ptr<Process> start_daemon(const std::filesystem::path& config,
                                             const std::filesystem::path& log) {
  auto daemon = std::make_unique<Process>(
      std::vector<std::string>{"serve", "--config", config.string()}, log);
  INFO("maintd serve output:\n" << daemon->output());
  REQUIRE(daemon->wait_output("maintd started", 30s));
  return daemon;
}

// A command run to its end (at most `limit`): its exit status and output.
struct Outcome {
  std::optional<int> status;
  std::string output;
  int code() const { return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1; }
};
inline Outcome run_maintd(const std::vector<std::string>& args, const std::filesystem::path& output,
                          std::chrono::milliseconds limit = 30s) {
  Process process(args, output);
  Outcome out;
  out.status = process.wait_exit(limit);
  out.output = process.output();
  return out;
}

// Reads the state database the daemon writes, through maintd's own store API. Connects on first
// use and again after a failure, so it can be used before the daemon created the database and
// while PostgreSQL is down; reads then return nothing.
class StateReader {
 public:
  explicit StateReader(connection::DatabaseUrl url) : url_(std::move(url)) {}

  // Every run (oldest first); empty when the database cannot be read now.
  std::vector<RunRecord> runs() {
    try {
      auto& store = connect();
      auto newest_first = store.history({.limit = 1000000});
      return {newest_first.rbegin(), newest_first.rend()};
    } catch (const std::exception&) {
      store_.reset();
      return {};
    }
  }
  std::vector<RunRecord> runs(const std::string& task) {
    std::vector<RunRecord> out;
    for (auto& run : runs()) {
      if (run.task_name == task) out.push_back(std::move(run));
    }
    return out;
  }
  std::optional<RunRecord> get(store::RunId id) {
    try {
      return connect().get(id);
    } catch (const std::exception&) {
      store_.reset();
      return std::nullopt;
    }
  }
  std::vector<store::RunEvent> events(store::RunId id) {
    try {
      return connect().events(id);
    } catch (const std::exception&) {
      store_.reset();
      return {};
    }
  }

 private:
  store::RunStore& connect() {
    if (!store_) {
      store_ =
          std::make_unique<store::RunStore>(store::Database::open(url_, 1), store::system_clock());
    }
    return *store_;
  }

  connection::DatabaseUrl url_;
  std::unique_ptr<store::RunStore> store_;
};

inline connection::DatabaseUrl state_url(const std::string& text,
                                         const std::filesystem::path& base) {
  auto url = connection::parse_database_url(text, std::nullopt, base);
  REQUIRE(url.has_value());
  return *url;
}

// Runs of a schedule (trigger schedule or catchup, i.e. with a slot of the schedule).
inline std::vector<RunRecord> slot_runs(const std::vector<RunRecord>& runs) {
  std::vector<RunRecord> out;
  for (const auto& run : runs) {
    if (run.scheduled_for &&
        (run.trigger == Trigger::schedule || run.trigger == Trigger::catchup)) {
      out.push_back(run);
    }
  }
  return out;
}

inline std::size_t count_status(const std::vector<RunRecord>& runs, RunStatus status) {
  std::size_t n = 0;
  for (const auto& run : runs) n += run.status == status ? 1 : 0;
  return n;
}

inline std::string describe_runs(const std::vector<RunRecord>& runs) {
  std::ostringstream out;
  for (const auto& run : runs) {
    out << "  run " << run.id << " " << run.task_name << " " << to_string(run.trigger) << " "
        << to_string(run.status) << " slot "
        << (run.scheduled_for ? format_utc(*run.scheduled_for) : "-") << " started "
        << (run.started_at ? store::format_timestamp(*run.started_at) : "-") << " pid " << run.pid
        << (run.error.empty() ? "" : " error: " + run.error) << '\n';
  }
  return out.str();
}

// The port a daemon logged ("HTTP API listening on 127.0.0.1:PORT"), once it has.
inline unsigned short listening_port(Process& daemon) {
  static constexpr std::string_view kListening = "HTTP API listening on 127.0.0.1:";
  REQUIRE(daemon.wait_output(kListening, std::chrono::seconds(30)));
  const std::string output = daemon.output();
  std::size_t at = output.find(kListening) + kListening.size();
  unsigned port = 0;
  while (at < output.size() && output[at] >= '0' && output[at] <= '9') {
    port = port * 10 + static_cast<unsigned>(output[at++] - '0');
  }
  REQUIRE(port > 0);
  REQUIRE(port <= 65535);
  return static_cast<unsigned short>(port);
}

}  // namespace maintd::e2e
