// A step the loop runs periodically: see periodic.hpp.
#include "scheduler/periodic.hpp"

#include "scheduler/loop_guard.hpp"

namespace maintd::scheduler {

Periodic::Periodic(boost::asio::io_context& io, std::function<bool()> stopping,
                   std::function<void()> beat)
    : timer_(io), stopping_(std::move(stopping)), beat_(std::move(beat)) {}

void Periodic::start(std::string what, std::chrono::milliseconds every,
                     std::function<void()> work) {
  what_ = std::move(what);
  every_ = every;
  work_ = std::move(work);
  arm();
}

void Periodic::arm() {
  timer_.expires_after(every_);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopping_()) return;
    beat_();
    guard_step(what_, work_);
    beat_();
    arm();
  });
}

}  // namespace maintd::scheduler
