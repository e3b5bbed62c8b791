#pragma once
// The last word on how long `maintd serve` takes to stop. Shutdown is meant to end by itself
// within shutdown_grace (the waits on the state database are cut short at its end, running
// handlers are cancelled), but a call that no limit covers (a libpq connect in progress, a
// handler stuck in a system call) could still hold the process. Once armed, this ends the
// process at its deadline, whatever it is waiting for, with a line in the log saying so.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace maintd::scheduler {

class ShutdownDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  ShutdownDeadline() = default;
  ~ShutdownDeadline();  // disarms
  ShutdownDeadline(const ShutdownDeadline&) = delete;
  ShutdownDeadline& operator=(const ShutdownDeadline&) = delete;

  // Exits the process (status `code`) at `at` unless disarm() or the destructor comes first.
  // Only the first call arms it.
  void arm(Clock::time_point at, int code);
  void disarm();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool armed_ = false;
  bool disarmed_ = false;
  std::thread thread_;
};

}  // namespace maintd::scheduler
