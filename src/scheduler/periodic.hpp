#pragma once
// A step the loop runs every so often (the table poll, leases and this instance's row, the
// overdue check, the systemd watchdog ping): on a timer of the daemon's io_context, through
// guard_step (loop_guard.hpp: whatever it throws is logged and the loop goes on), with the loop's
// beat marked before and after (readiness sees a loop that turns), and re-armed whatever the step
// did, until the loop is stopping.
//
// Its own unit because the four periodic jobs share exactly this and nothing else; the daemon
// says what each does and how often.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace maintd::scheduler {

class Periodic {
 public:
  // `stopping`: the loop is stopping (no more steps); `beat`: the loop turned.
  Periodic(boost::asio::io_context& io, std::function<bool()> stopping, std::function<void()> beat);
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  // Runs `work` every `every`, the first time `every` from now; `what` names it in the log if
  // it throws. Called once, on the loop or before it runs.
  void start(std::string what, std::chrono::milliseconds every, std::function<void()> work);

 private:
  void arm();

  boost::asio::steady_timer timer_;
  std::function<bool()> stopping_;
  std::function<void()> beat_;
  std::string what_;
  std::chrono::milliseconds every_{0};
  std::function<void()> work_;
};

}  // namespace maintd::scheduler
