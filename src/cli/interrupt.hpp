#pragma once
// Ctrl-C (SIGINT) and SIGTERM while a command works in the foreground, through Boost.Asio's
// signal_set on a thread of its own, so the handler runs in a normal thread and no code runs
// in signal context. The callback gets how many signals have arrived so far.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <thread>

namespace maintd::cli {

class InterruptWatcher {
 public:
  explicit InterruptWatcher(std::function<void(int signal, int count)> on_signal);
  ~InterruptWatcher();  // stops watching; default signal handling is restored
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

 private:
  void wait();

  std::function<void(int, int)> on_signal_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  int count_ = 0;
  std::thread thread_;
};

}  // namespace maintd::cli
