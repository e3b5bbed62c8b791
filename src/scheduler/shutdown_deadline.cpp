#include "scheduler/shutdown_deadline.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace maintd::scheduler {

ShutdownDeadline::~ShutdownDeadline() {
  disarm();
}

void ShutdownDeadline::arm(Clock::time_point at, int code) {
  const std::lock_guard lock(mutex_);
  if (armed_ || disarmed_) return;
  armed_ = true;
  thread_ = std::thread([this, at, code] {
    std::unique_lock wait(mutex_);
    if (changed_.wait_until(wait, at, [this] { return disarmed_; })) return;
    spdlog::error(
        "shutdown: still not stopped at the end of shutdown_grace and its margin (waiting on the "
        "state database or a handler); exiting now");
    spdlog::shutdown();
    // Not exit(): static destructors would wait for what is stuck.
    std::_Exit(code);
  });
}

void ShutdownDeadline::disarm() {
  {
    const std::lock_guard lock(mutex_);
    disarmed_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

}  // namespace maintd::scheduler
