#include "handlers/debug.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "common/duration.hpp"

namespace maintd::handlers {
namespace {

using registry::KeySpec;
using registry::ValueType;

nlohmann::json run_noop(registry::HandlerContext& context) {
  const auto sleep = parse_duration(context.config.value("sleep", "0s")).value();
  if (sleep.count() > 0) {
    // Sleep, but wake at once when the run is cancelled (timeout, shutdown, Ctrl-C).
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    wake.wait_for(lock, context.cancelled, sleep, [] { return false; });
    if (context.cancelled.stop_requested()) throw std::runtime_error("debug.noop: cancelled");
  }
  if (context.config.value("fail", false)) {
    throw std::runtime_error(context.config.value("message", "debug.noop: failing as configured"));
  }
  return {{"noop", true}, {"dry_run", context.dry_run}, {"slept_seconds", sleep.count()}};
}

}  // namespace

void register_debug_handlers(registry::Registry& registry) {
  registry.add_handler({
      "debug.noop",
      "Does nothing: for tests, demos and checking a schedule before the real handler exists",
      registry::ConfigSchema({
          KeySpec{"sleep",
                  ValueType::duration,
                  "how long to pretend to work",
                  false,
                  "0s",
                  0,
                  86400,
                  {}},
          KeySpec{"fail",
                  ValueType::boolean,
                  "fail the run instead of completing it",
                  false,
                  false,
                  {},
                  {},
                  {}},
          KeySpec{"message",
                  ValueType::string,
                  "the error message when fail is true",
                  false,
                  {},
                  {},
                  {},
                  {}},
      }),
      run_noop,
      /*check_database=*/{},
      registry::Headline{.key = "slept_seconds",
                         .label = "seconds slept",
                         .words = {{"slept_seconds", "slept {} second", "slept {} seconds"}},
                         .none = "did nothing",
                         .dry_run_words = {},
                         .dry_run_key = "slept_seconds"},
  });
}

}  // namespace maintd::handlers
