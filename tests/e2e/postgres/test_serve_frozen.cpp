// A PostgreSQL state database that stops answering (every server process stopped with SIGSTOP:
// a hung host, a network partition) must not freeze maintd (issue 24, item 3): CLI commands
// exit 3 within the connect timeout naming the database, `maintd serve` logs a warning naming
// it, keeps answering /healthz, turns /readyz to 503 with the reason, and stops on SIGTERM
// within shutdown_grace. Short timeouts (connect 2 s, libpq's least; statement 1 s) keep the
// cases fast; every wait is for a condition, with a deadline.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"
#include "support/postgres_cluster.hpp"
#include "support/postgres_freeze.hpp"

using namespace maintd::e2e;
using maintd::testing::PostgresCluster;
using maintd::testing::PostgresFreeze;

namespace {

constexpr const char* kToken = "e2e-frozen-token-5678";
// Given in the URL; trust authentication never asks for it, so it only has to stay unseen.
constexpr const char* kPassword = "frozen-secret-pw";

constexpr const char* kTimeouts =
    "database_timeouts: {connect: 2s, statement: 1s, keepalives_idle: 1s, "
    "keepalives_interval: 1s, keepalives_count: 2, tcp_user_timeout: 2s}\n";

struct Answer {
  int status = 0;  // 0: no answer within the limit
  std::string body;
  std::chrono::milliseconds took{0};
};

// GET on a connection of its own, giving up after `limit` (the test's HTTP client would wait for
// ever on a server that does not answer, which is what is tested here).
Answer get(unsigned short port, const std::string& target, std::chrono::seconds limit = 3s) {
  const auto started = Steady::now();
  Answer answer;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  timeval timeout{static_cast<time_t>(limit.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET " + target +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                "Authorization: Bearer " +
                                kToken + "\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      std::string response;
      char buffer[4096];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, n);
      std::smatch match;
      if (std::regex_search(response, match, std::regex(R"(^HTTP/1\.1 (\d{3}))"))) {
        answer.status = std::stoi(match[1].str());
        const auto body = response.find("\r\n\r\n");
        if (body != std::string::npos) answer.body = response.substr(body + 4);
      }
    }
  }
  ::close(fd);
  answer.took = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started);
  return answer;
}

std::string with_password(const std::string& uri) {
  return uri + "&password=" + kPassword;
}

}  // namespace

TEST_CASE("a frozen PostgreSQL: maintd status and history exit 3 within the connect timeout") {
  PostgresCluster pg;
  pg.create_database("e2e_frozen_cli");
  Settings settings;
  settings.state_database = with_password(pg.uri("e2e_frozen_cli"));
  settings.extra = kTimeouts;
  Workspace ws("tasks:\n  - {name: nightly, type: debug.noop, schedule: \"0 3 * * *\"}\n",
               settings);
  // Answering, the state database is created and read.
  const auto before = run_maintd({"history", "--config", ws.config.string()}, ws.log("ok.log"));
  INFO("history before the freeze:\n" << before.output);
  REQUIRE(before.code() == 0);

  const PostgresFreeze freeze(pg);
  for (const std::string command : {"status", "history"}) {
    CAPTURE(command);
    const auto started = Steady::now();
    const auto outcome =
        run_maintd({command, "--config", ws.config.string()}, ws.log(command + ".log"), 20s);
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started);
    MESSAGE("maintd " << command << " against a frozen server: " << describe_status(outcome.status)
                      << " after " << took.count() << " ms");
    INFO("output:\n" << outcome.output);
    CHECK(outcome.code() == 3);
    // The connect timeout (2 s) and the start of a process; never the minutes of a hang.
    CHECK(took < 6s);
    CHECK(outcome.output.find("connect timed out after 2 s") != std::string::npos);
    CHECK(outcome.output.find("postgresql://maintd@/e2e_frozen_cli?") != std::string::npos);
    CHECK(outcome.output.find(kPassword) == std::string::npos);
  }
}

TEST_CASE("a frozen PostgreSQL under maintd serve: a warning, /healthz answers, SIGTERM honoured") {
  PostgresCluster pg;
  pg.create_database("e2e_frozen_serve");
  Settings settings;  // heartbeat 1s, lease 3s, shutdown_grace 3s
  settings.state_database = with_password(pg.uri("e2e_frozen_serve"));
  settings.shutdown_grace = "2s";
  settings.extra =
      std::string(kTimeouts) + "http:\n  listen: 127.0.0.1:0\n  token: " + kToken + "\n";
  Workspace ws(
      "tasks:\n  - {name: every-second, type: debug.noop, schedule: \"* * * * * *\", "
      "concurrency: allow}\n",
      settings);
  StateReader state(ws.url(settings.state_database));
  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  INFO("daemon output:\n" << daemon->output());
  const auto port = listening_port(*daemon);
  REQUIRE(eventually(
      15s, [&] { return count_status(state.runs("every-second"), RunStatus::completed) >= 2; }));
  REQUIRE(get(port, "/readyz").status == 200);

  const PostgresFreeze freeze(pg);
  const auto frozen_at = Steady::now();
  // Database calls of API requests wait on the blocking threads; the probes never do.
  std::vector<std::thread> busy;
  for (int i = 0; i < 4; ++i) {
    busy.emplace_back([port] { get(port, "/api/v1/runs", 10s); });
  }

  // The probes answer at once, also while every database call waits.
  const auto health = get(port, "/healthz");
  MESSAGE("/healthz with the server frozen: " << health.status << " in " << health.took.count()
                                              << " ms");
  CHECK(health.status == 200);
  CHECK(health.took < 1s);

  // Within the statement timeout and its margin (1 s + 1 s) of a call, the daemon says so.
  CHECK(daemon->wait_output("the state database is not answering", 10s));
  const auto warned =
      std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - frozen_at);
  MESSAGE("warning logged " << warned.count() << " ms after the freeze");
  const std::string log = daemon->output();
  const auto line_at = log.find("the state database is not answering");
  REQUIRE(line_at != std::string::npos);
  const std::string line = log.substr(line_at, log.find('\n', line_at) - line_at);
  CHECK(log.substr(log.rfind('\n', line_at) + 1, 40).find("warn") != std::string::npos);
  CHECK(line.find("postgresql://maintd@/e2e_frozen_serve?") != std::string::npos);
  CHECK(log.find(kPassword) == std::string::npos);

  Answer ready;
  CHECK(eventually(10s, [&] {
    ready = get(port, "/readyz");
    return ready.status == 503;
  }));
  CHECK(ready.took < 1s);
  // A fixed sentence for anonymous probes; the reason, naming the database, went to the log.
  CHECK(ready.body.find("\"status\":\"unavailable\"") != std::string::npos);
  CHECK(ready.body.find("e2e_frozen_serve") == std::string::npos);
  CHECK(ready.body.find(kPassword) == std::string::npos);
  CHECK(get(port, "/healthz").status == 200);

  // SIGTERM: out within shutdown_grace (2 s) and a small margin, the server still frozen.
  const auto signalled = Steady::now();
  daemon->signal(SIGTERM);
  const auto status = daemon->wait_exit(15s);
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - signalled);
  MESSAGE("SIGTERM to exit with the server frozen: " << took.count() << " ms ("
                                                     << describe_status(status) << ")");
  for (auto& thread : busy) thread.join();
  REQUIRE(status.has_value());
  CHECK(describe_status(status) == "exit 0");
  CHECK(took < 4s);
  CHECK(daemon->output().find(kPassword) == std::string::npos);
}
