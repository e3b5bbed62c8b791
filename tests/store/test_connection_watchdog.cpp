// ConnectionWatchdog: a call blocked on a socket whose limit passes, or whose watch is cut,
// returns at once (store/connection_watchdog.hpp). A socketpair stands for libpq's connection:
// a peer that never writes is a server that stopped answering.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "store/connection_watchdog.hpp"

using maintd::store::ConnectionWatchdog;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == 0); }
  ~SocketPair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
};

// How long a recv on `fd` blocked (it returns when the watchdog shuts the socket down).
std::future<std::chrono::milliseconds> blocked_recv(int fd) {
  return std::async(std::launch::async, [fd] {
    const auto started = Steady::now();
    char byte = 0;
    (void)::recv(fd, &byte, 1, 0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started);
  });
}

}  // namespace

TEST_CASE("store: connection watchdog: a limit passing ends a blocked call") {
  // Twice: the second watch comes while the watchdog's thread sleeps with nothing to watch,
  // and must wake it (it slept for ever once).
  for (int round = 0; round < 2; ++round) {
    CAPTURE(round);
    SocketPair pair;
    auto waited = blocked_recv(pair.fd[0]);
    auto watch = ConnectionWatchdog::instance().watch(pair.fd[0], 200ms);
    REQUIRE(watch);
    REQUIRE(waited.wait_for(5s) == std::future_status::ready);
    CHECK(waited.get() < 2s);
    CHECK(watch.fired());
  }
}

TEST_CASE("store: connection watchdog: cut_by ends a wait long before its limit") {
  SocketPair pair;
  auto waited = blocked_recv(pair.fd[0]);
  auto watch = ConnectionWatchdog::instance().watch(pair.fd[0], std::chrono::minutes(10));
  watch.cut_by(Steady::now() + 100ms);
  REQUIRE(waited.wait_for(5s) == std::future_status::ready);
  CHECK(waited.get() < 2s);
  CHECK(watch.fired());

  // A watch that ends first leaves its socket alone.
  SocketPair other;
  { auto ended = ConnectionWatchdog::instance().watch(other.fd[0], 50ms); }
  CHECK(::send(other.fd[1], "x", 1, MSG_NOSIGNAL) == 1);
  char byte = 0;
  CHECK(::recv(other.fd[0], &byte, 1, 0) == 1);
}
