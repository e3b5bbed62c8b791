// sd_notify messages as systemd receives them: a unix datagram socket in a temp dir stands in for
// the service manager's NOTIFY_SOCKET, and each call's datagram is read back whole.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "scheduler/systemd_notifier.hpp"
#include "support/temp_dir.hpp"

using maintd::scheduler::SystemdNotifier;
using maintd::testing::TempDir;
using namespace std::chrono_literals;

namespace {

// Sets (or unsets, with nullopt) an environment variable for one test and restores it after, so
// that tests do not leak state into each other when doctest runs them in one process.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) previous_ = old;
    set(value);
  }
  ~ScopedEnv() { set(previous_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void set(const std::optional<std::string>& value) const {
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  std::string name_;
  std::optional<std::string> previous_;
};

// The service manager's end: a bound unix datagram socket.
class NotifySocket {
 public:
  NotifySocket() : path_(dir_.path() / "notify.sock") {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const auto text = path_.string();
    if (text.size() >= sizeof(address.sun_path)) throw std::runtime_error("socket path too long");
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      throw std::runtime_error(std::string("bind failed: ") + std::strerror(errno));
    }
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  std::string path() const { return path_.string(); }

  // The next datagram, or nullopt when none is queued. sd_notify() has sent the datagram by the
  // time it returns, so there is nothing to wait for.
  std::optional<std::string> receive() const {
    std::array<char, 4096> buffer{};
    const auto size = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (size < 0) return std::nullopt;
    return std::string(buffer.data(), static_cast<std::size_t>(size));
  }

 private:
  TempDir dir_;
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("systemd_notifier: each call sends its exact message to NOTIFY_SOCKET") {
  NotifySocket manager;
  ScopedEnv socket("NOTIFY_SOCKET", manager.path());
  const SystemdNotifier notifier;
  CHECK(notifier.active());

  notifier.ready("12 tasks, next slot 2026-11-24T20:00:00Z");
  CHECK(manager.receive() == "READY=1\nSTATUS=12 tasks, next slot 2026-11-24T20:00:00Z");
  notifier.status("12 tasks, 1 running");
  CHECK(manager.receive() == "STATUS=12 tasks, 1 running");
  notifier.watchdog();
  CHECK(manager.receive() == "WATCHDOG=1");
  notifier.stopping();
  CHECK(manager.receive() == "STOPPING=1");
  CHECK(manager.receive() == std::nullopt);

  // The environment is left alone: the next notification still finds the socket.
  const char* still_set = std::getenv("NOTIFY_SOCKET");
  REQUIRE(still_set != nullptr);
  CHECK(std::string(still_set) == manager.path());
}

TEST_CASE("systemd_notifier: a status cannot smuggle in another assignment") {
  NotifySocket manager;
  ScopedEnv socket("NOTIFY_SOCKET", manager.path());
  SystemdNotifier{}.status("task a\nREADY=1\r");
  CHECK(manager.receive() == "STATUS=task a READY=1 ");
}

TEST_CASE("systemd_notifier: without NOTIFY_SOCKET every call is a no-op") {
  NotifySocket manager;
  ScopedEnv socket("NOTIFY_SOCKET", std::nullopt);
  const SystemdNotifier notifier;
  CHECK_FALSE(notifier.active());
  notifier.ready("ready");
  notifier.status("status");
  notifier.watchdog();
  notifier.stopping();
  CHECK(manager.receive() == std::nullopt);
}

TEST_CASE("systemd_notifier: an unreachable socket is logged, not thrown") {
  TempDir dir;
  ScopedEnv socket("NOTIFY_SOCKET", (dir.path() / "missing.sock").string());
  const SystemdNotifier notifier;
  CHECK(notifier.active());
  CHECK_NOTHROW(notifier.watchdog());
}

TEST_CASE("systemd_notifier: the watchdog interval comes from WATCHDOG_USEC and WATCHDOG_PID") {
  const SystemdNotifier notifier;
  const auto ours = std::to_string(::getpid());

  SUBCASE("unset: no watchdog") {
    ScopedEnv usec("WATCHDOG_USEC", std::nullopt);
    ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    CHECK(notifier.watchdog_interval() == std::nullopt);
  }
  SUBCASE("WATCHDOG_USEC alone") {
    ScopedEnv usec("WATCHDOG_USEC", "30000000");
    ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    CHECK(notifier.watchdog_interval() == 30s);
  }
  SUBCASE("WATCHDOG_PID is this process") {
    ScopedEnv usec("WATCHDOG_USEC", "1500000");
    ScopedEnv pid("WATCHDOG_PID", ours);
    CHECK(notifier.watchdog_interval() == 1500ms);
  }
  SUBCASE("WATCHDOG_PID is another process: its watchdog, not ours") {
    ScopedEnv usec("WATCHDOG_USEC", "30000000");
    ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
    CHECK(notifier.watchdog_interval() == std::nullopt);
  }
  SUBCASE("malformed WATCHDOG_USEC") {
    ScopedEnv usec("WATCHDOG_USEC", "soon");
    ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    CHECK(notifier.watchdog_interval() == std::nullopt);
  }
  // sd_watchdog_enabled(0, ...) reads the variables without unsetting them.
  {
    ScopedEnv usec("WATCHDOG_USEC", "2000000");
    ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    CHECK(notifier.watchdog_interval() == 2s);
    CHECK(notifier.watchdog_interval() == 2s);
  }
}
