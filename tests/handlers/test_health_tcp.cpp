// health.report's tcp probes against services the tests run on 127.0.0.1 (fake_server.hpp): a
// listener, a closed port, a fake Redis with and without a password, one that never answers and
// one that hangs up. Deadlines are short but never decide a result on a slow machine: the checks
// are on the kind of error, not on how long anything took.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <stop_token>
#include <string>

#include "fake_server.hpp"
#include "handlers/health_tcp.hpp"
#include "health_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using handlers::TcpCheck;
using handlers::TcpError;
using nlohmann::json;

namespace {

// Long enough never to decide a test that expects an answer.
constexpr auto kAnswerTimeout = 10s;
// Short enough for a test that expects none.
constexpr auto kSilenceTimeout = 300ms;

TcpCheck check_of(std::uint16_t port, bool redis_ping = false, std::string password = {},
                  std::chrono::milliseconds timeout = kAnswerTimeout) {
  TcpCheck check;
  check.host = "127.0.0.1";
  check.port = port;
  check.timeout = timeout;
  check.redis_ping = redis_ping;
  check.redis_password = std::move(password);
  return check;
}

handlers::TcpResult check(const TcpCheck& check, std::stop_token stop = {}) {
  return handlers::check_tcp(check, std::move(stop));
}

}  // namespace

TEST_CASE("handlers: health: tcp: a listener answers, a closed port is refused by name") {
  FakeServer server(hold_silently());
  const auto open = check(check_of(server.port()));
  CHECK(open.error == TcpError::none);
  CHECK(open.address == fmt::format("127.0.0.1:{}", server.port()));
  CHECK(contains(open.reason, fmt::format("connected to 127.0.0.1:{} in ", server.port())));
  CHECK(open.total_ms >= open.connect_ms);

  const auto port = closed_port();
  const auto refused = check(check_of(port));
  CHECK(refused.error == TcpError::refused);
  CHECK(to_string(refused.error) == "refused");
  CHECK(refused.reason == fmt::format("connection refused by 127.0.0.1:{}", port));

  // A name goes through the resolver: localhost may be ::1 first, where nothing listens.
  auto by_name = check_of(server.port());
  by_name.host = "localhost";
  const auto resolved = check(by_name);
  CHECK_MESSAGE(resolved.error == TcpError::none, resolved.reason);
}

TEST_CASE("handlers: health: tcp: Redis answers PING, with AUTH when it wants a password") {
  FakeServer open_redis(fake_redis());
  const auto pong = check(check_of(open_redis.port(), true));
  CHECK_MESSAGE(pong.error == TcpError::none, pong.reason);
  CHECK(contains(pong.reason, "answered PONG in "));
  CHECK(pong.auth_ms == 0);

  FakeServer locked(fake_redis("s3cret pass"));
  const auto no_password = check(check_of(locked.port(), true));
  CHECK(no_password.error == TcpError::answer);
  CHECK(no_password.reason ==
        fmt::format("127.0.0.1:{} answered PING with '-NOAUTH Authentication required.', not "
                    "+PONG (the server wants a password: redis_password)",
                    locked.port()));

  const auto wrong = check(check_of(locked.port(), true, "not it"));
  CHECK(wrong.error == TcpError::answer);
  CHECK(contains(wrong.reason, "answered AUTH with '-WRONGPASS invalid username-password pair"));
  CHECK_FALSE(contains(wrong.reason, "not it"));

  // A password with a space travels whole: AUTH goes as an array of bulk strings.
  const auto right = check(check_of(locked.port(), true, "s3cret pass"));
  CHECK_MESSAGE(right.error == TcpError::none, right.reason);
  CHECK_FALSE(contains(right.reason, "s3cret"));
}

TEST_CASE("handlers: health: tcp: an answer that is not Redis's is named, never the password") {
  FakeServer echo(answering("-ERR 'hunter22' is not a command"));
  const auto quoted = check(check_of(echo.port(), true, "hunter22"));
  CHECK(quoted.error == TcpError::answer);
  CHECK(contains(quoted.reason, "answered AUTH with '-ERR '***' is not a command', not +OK"));
  CHECK_FALSE(contains(quoted.reason, "hunter22"));

  FakeServer chatty([](tcp::socket& socket) {
    asio::write(socket, asio::buffer(std::string(600, 'x')));
    hold_silently()(socket);
  });
  const auto endless = check(check_of(chatty.port(), true));
  CHECK(endless.error == TcpError::answer);
  CHECK(contains(endless.reason, "with no line end in its first 512 bytes"));

  FakeServer rude(hang_up());
  const auto closed = check(check_of(rude.port(), true));
  CHECK(closed.error == TcpError::closed);
  CHECK(contains(closed.reason, "closed the connection before answering PING"));
}

TEST_CASE("handlers: health: tcp: no answer before the deadline is a timeout") {
  FakeServer silent(hold_silently());
  const auto result = check(check_of(silent.port(), true, {}, kSilenceTimeout));
  CHECK(result.error == TcpError::timeout);
  CHECK(to_string(result.error) == "timeout");
  // Waiting for PING's answer, or, on a machine too busy to connect in time, connecting: both
  // are the timeout.
  CHECK(result.reason.ends_with(" took longer than the timeout (300ms)"));
}

TEST_CASE("handlers: health: tcp: stopping the run ends a probe at once") {
  // Stopped once the server has the connection: the probe is waiting for PING's answer, with a
  // deadline far away.
  std::stop_source stop;
  FakeServer silent(hold_silently([&] { stop.request_stop(); }));
  const auto waiting = check(check_of(silent.port(), true, {}, 600s), stop.get_token());
  CHECK(waiting.error == TcpError::cancelled);
  CHECK(contains(waiting.reason, "stopped while "));

  // Stopped before it started: nothing is tried.
  const auto before = check(check_of(silent.port(), true, {}, 600s), stop.get_token());
  CHECK(before.error == TcpError::cancelled);
}

TEST_CASE("handlers: health: tcp probes in the report: statuses, errors, metrics<sqlite>") {
  Target<SqliteBackend> target;
  open_migrated(target.backend);
  FakeServer redis(fake_redis("s3cret"));
  FakeServer silent(hold_silently());
  FakeServer slow(fake_redis({}, 50ms));
  const auto refused_port = closed_port();
  const json probes = {
      {{"name", "redis"},
       {"kind", "tcp"},
       {"host", "127.0.0.1"},
       {"port", redis.port()},
       {"redis_ping", true},
       {"redis_password", "s3cret"}},
      {{"name", "gone"}, {"kind", "tcp"}, {"host", "127.0.0.1"}, {"port", refused_port}},
      {{"name", "stuck"},
       {"kind", "tcp"},
       {"host", "127.0.0.1"},
       {"port", silent.port()},
       {"redis_ping", true},
       {"timeout", "1s"}},
      // Its answer comes 50 ms late at the earliest: always above 10 ms.
      {{"name", "slow"},
       {"kind", "tcp"},
       {"host", "127.0.0.1"},
       {"port", slow.port()},
       {"redis_ping", true},
       {"warn_above", 10}},
  };
  auto run = health_run(target, {{"databases", json::array()},
                                 {"peer_dry_runs", false},
                                 {"include_metrics", true},
                                 {"probes", probes}});
  const auto message =
      thrown_message<std::runtime_error>([&] { handler("health.report").run(run->context); });
  CHECK(message.starts_with("health.report: 2 alerts: probe 'gone': connection refused by "));
  CHECK(contains(message, "; probe 'stuck': "));
  CHECK(contains(message, " took longer than the timeout (1s)"));
  const auto report = json::parse(event_message(*run, "report"));
  CHECK(report["status"] == "fail");
  const auto& entries = report["probes"];
  REQUIRE(entries.size() == 4);

  CHECK(entries[0]["status"] == "ok");
  CHECK(entries[0]["latency_ms"].is_number());
  CHECK(entries[0]["port"] == redis.port());
  const auto& metrics = entries[0]["metrics"];
  CHECK(metrics["address"] == fmt::format("127.0.0.1:{}", redis.port()));
  for (const auto* key : {"connect_ms", "auth_ms", "ping_ms"}) CHECK(metrics.contains(key));

  CHECK(entries[1]["error"] == "refused");
  CHECK(entries[1]["latency_ms"].is_null());
  CHECK_FALSE(entries[1]["metrics"].contains("address"));
  CHECK(entries[2]["error"] == "timeout");
  CHECK(entries[3]["status"] == "warn");
  CHECK(contains(entries[3]["reason"].get<std::string>(), " is above warn_above 10 ("));
  CHECK(report["warnings"].size() == 1);

  // The password is in nothing the run said.
  CHECK_FALSE(contains(message, "s3cret"));
  for (const auto& event : *run->events) CHECK_FALSE(contains(event.message, "s3cret"));
}
