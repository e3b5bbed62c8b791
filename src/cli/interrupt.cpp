#include "cli/interrupt.hpp"

#include <csignal>

namespace maintd::cli {

InterruptWatcher::InterruptWatcher(std::function<void(int, int)> on_signal)
    : on_signal_(std::move(on_signal)), signals_(io_, SIGINT, SIGTERM) {
  wait();
  thread_ = std::thread([this] { io_.run(); });
}

InterruptWatcher::~InterruptWatcher() {
  io_.stop();
  thread_.join();
}

void InterruptWatcher::wait() {
  signals_.async_wait([this](const boost::system::error_code& error, int signal) {
    if (error) return;  // cancelled: we are shutting down
    on_signal_(signal, ++count_);
    wait();
  });
}

}  // namespace maintd::cli
