// Ctrl-C during `maintd run`, on the real binary: the handler is cancelled cleanly, the run is
// recorded as cancelled, and the exit status is 130.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "store/run_store.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono_literals;

namespace {

// The status of run `id`, once the state database exists and holds it.
std::optional<maintd::store::RunStatus> run_status(const maintd::connection::DatabaseUrl& url,
                                                   maintd::store::RunId id) {
  try {
    maintd::store::RunStore runs(maintd::store::Database::open(url, 1),
                                 maintd::store::system_clock());
    if (auto run = runs.get(id)) return run->status;
  } catch (const std::exception&) {
    // Not created or not migrated yet.
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("Ctrl-C during maintd run cancels the handler and records cancelled, exit 130") {
  maintd::testing::TempDir dir;
  dir.write("var/.keep", "");
  const auto config = dir.write("maintd.yaml", R"(
state_database: sqlite3://var/state.db
schedules: [tasks.yaml]
)");
  dir.write("tasks.yaml", R"(
tasks:
  - {name: slow, type: debug.noop, schedule: "@daily", config: {sleep: 1m}}
)");
  const auto err_path = dir.path() / "stderr.txt";

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(err, STDERR_FILENO);
    ::dup2(err, STDOUT_FILENO);
    ::execl(MAINTD_BINARY, MAINTD_BINARY, "run", "slow", "--config", config.c_str(), nullptr);
    ::_exit(127);
  }

  const auto url =
      *maintd::connection::parse_database_url("sqlite3://var/state.db", std::nullopt, dir.path());
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (run_status(url, 1) != maintd::store::RunStatus::running &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(run_status(url, 1) == maintd::store::RunStatus::running);
  REQUIRE(::kill(child, SIGINT) == 0);

  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(run_status(url, 1) == maintd::store::RunStatus::cancelled);
  const std::string err = maintd::testing::read_text(err_path);
  CHECK(err.find("interrupted: cancelling run 1") != std::string::npos);
  CHECK(err.find("cancelled before the handler finished") != std::string::npos);
}
