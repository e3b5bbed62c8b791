#pragma once
// Type=notify (sd_notify(3)): the daemon tells systemd that it is ready, what it is doing, that
// its event loop is alive, and that it is stopping. Outside systemd (NOTIFY_SOCKET unset) every
// call does nothing, so the daemon calls these unconditionally.
//
// The notifier reads the real process environment, as libsystemd does, and never unsets
// NOTIFY_SOCKET: the daemon notifies many times over its life (STATUS=, WATCHDOG=1, STOPPING=1),
// which unsetting after the first message would prevent.
#include <chrono>
#include <optional>
#include <string_view>

namespace maintd::scheduler {

class SystemdNotifier {
 public:
  // Whether a service manager listens (NOTIFY_SOCKET is set).
  bool active() const;

  // READY=1 with STATUS=<status>: configuration, migrations and the first schedule are in place.
  void ready(std::string_view status) const;
  // STATUS=<status>: the one-line summary `systemctl status` shows.
  void status(std::string_view text) const;
  // WATCHDOG=1: the event loop is alive. Send it every watchdog_interval() / 2.
  void watchdog() const;
  // STOPPING=1: shutdown has begun.
  void stopping() const;

  // The WatchdogSec= of the unit when the watchdog is meant for this process (WATCHDOG_USEC set,
  // WATCHDOG_PID unset or ours); nullopt otherwise, or when the variables are malformed.
  std::optional<std::chrono::microseconds> watchdog_interval() const;

 private:
  void notify(const std::string& state) const;
};

}  // namespace maintd::scheduler
