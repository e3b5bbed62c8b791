// `maintd reload` finds the daemon of this host through the state database and sends it SIGHUP.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/cli_driver.hpp"
#include "store/instance_store.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono_literals;

TEST_CASE("reload sends SIGHUP to the daemon of this host, and says so when there is none") {
  maintd::testing::TempDir dir;
  const auto config = dir.write("maintd.yaml", R"(
state_database: sqlite3://state.db
schedules: [tasks.yaml]
)")
                          .string();
  dir.write("tasks.yaml", "tasks:\n  - {name: a, type: debug.noop, schedule: '@hourly'}\n");

  const auto none = maintd::testing::run_cli({"reload", "--config", config});
  CHECK(none.code == 1);
  CHECK(none.err.find("no running maintd daemon on") != std::string::npos);

  const auto log = dir.path() / "serve.log";
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::dup2(fd, STDOUT_FILENO);
    ::execl(MAINTD_BINARY, MAINTD_BINARY, "serve", "--config", config.c_str(), nullptr);
    ::_exit(127);
  }
  const bool started = maintd::testing::eventually(20s, [&] {
    return maintd::testing::read_text(log).find("maintd started") != std::string::npos;
  });
  CHECK(started);

  const auto sent = maintd::testing::run_cli({"reload", "--config", config});
  CHECK(sent.code == 0);
  CHECK(sent.out.find("sent SIGHUP to maintd pid " + std::to_string(child)) == 0);
  CHECK(maintd::testing::eventually(20s, [&] {
    return maintd::testing::read_text(log).find("reloaded: 1 task") != std::string::npos;
  }));

  REQUIRE(::kill(child, SIGTERM) == 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // A clean stop withdraws the instance: reload finds nobody again.
  CHECK(maintd::testing::run_cli({"reload", "--config", config}).code == 1);
}
