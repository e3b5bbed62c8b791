#pragma once
// The daemon's rule for failures nobody planned for: nothing that a config file, a table row, a
// database answer or an API client does may end the daemon.
//
// Every step the loop runs (the wake timer's tick, the periodic polls, a signal's reload, work
// posted from other threads) and every worker's run goes through guard_step(). An exception
// that escapes a step is logged with what the step was (naming the task, where there is one),
// and the loop goes on with its next step. Without it, an exception escaping an asio handler
// leaves io_context::run() or a thread_pool thread, and the process aborts (std::terminate).
//
// Steps still catch the failures they expect where they can do better than log (a StoreError
// keeps a slot for later, or keeps the previous tasks); this is the net under them.
#include <spdlog/spdlog.h>

#include <exception>
#include <string_view>

namespace maintd::scheduler {

template <class Step>
void guard_step(std::string_view what, Step&& step) noexcept {
  try {
    step();
  } catch (const std::exception& e) {
    spdlog::error("{}: {}; maintd goes on", what, e.what());
  } catch (...) {
    spdlog::error("{}: an unknown exception; maintd goes on", what);
  }
}

}  // namespace maintd::scheduler
