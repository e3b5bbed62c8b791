#include "scheduler/systemd_notifier.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

namespace maintd::scheduler {

namespace {

// A notification is newline-separated VARIABLE=value assignments, so a newline in a status
// would start a new assignment (a task name could otherwise send "READY=1"); a NUL would cut
// the message short.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (auto& c : line) {
    if (c == '\n' || c == '\r' || c == '\0') c = ' ';
  }
  return line;
}

std::string error_text(int negative_errno) {
  return std::error_code(-negative_errno, std::generic_category()).message();
}

}  // namespace

bool SystemdNotifier::active() const {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && *socket != '\0';
}

void SystemdNotifier::ready(std::string_view status) const {
  notify("READY=1\nSTATUS=" + one_line(status));
}

void SystemdNotifier::status(std::string_view text) const {
  notify("STATUS=" + one_line(text));
}

void SystemdNotifier::watchdog() const {
  notify("WATCHDOG=1");
}

void SystemdNotifier::stopping() const {
  notify("STOPPING=1");
}

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() const {
  std::uint64_t usec = 0;
  const int enabled = ::sd_watchdog_enabled(0, &usec);
  if (enabled < 0) {
    // systemd never sets these wrongly; someone did by hand. Run without pinging rather than fail.
    spdlog::warn("systemd watchdog: WATCHDOG_USEC/WATCHDOG_PID are invalid ({}); not pinging",
                 error_text(enabled));
    return std::nullopt;
  }
  if (enabled == 0) return std::nullopt;
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(usec));
}

void SystemdNotifier::notify(const std::string& state) const {
  if (!active()) return;
  const int sent = ::sd_notify(0, state.c_str());
  // A lost notification is not fatal to the daemon, but a lost READY=1 or WATCHDOG=1 makes
  // systemd kill it, so the reason has to be in the log.
  if (sent < 0) {
    spdlog::warn("systemd notification '{}' failed: {}", state.substr(0, state.find('\n')),
                 error_text(sent));
  }
}

}  // namespace maintd::scheduler
