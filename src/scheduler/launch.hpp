#pragma once
// A recorded run on its way to the workers: what the slot claimer and the manual runs hand to
// the run launcher (run_launcher.hpp). Its own header so that those units know the hand-over and
// not the worker pool behind it (their tests put a recorder there).
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "scheduler/planner.hpp"
#include "store/run_store.hpp"

namespace maintd::scheduler {

// A task that shares the lifetime of the task set it belongs to (an aliasing shared_ptr): a
// reload does not pull it from under a run.
using TaskPtr = std::shared_ptr<const config::Task>;

struct Launch {
  store::RunId id = 0;  // the run, recorded `pending`
  TaskPtr task;
  Firing firing;  // the slot (a manual run: its start, trigger manual)
  std::shared_ptr<const config::Config> config;
  nlohmann::json run_config;  // the task's config, a manual run's overrides applied
  bool dry_run = false;
  bool may_retry = true;  // false for manual and one-off runs
  // Already running: a one-off run is started (pending -> running) on the loop, the one
  // conditional UPDATE that decides which daemon runs it, before it goes to a worker.
  bool started = false;
};

using Launcher = std::function<void(Launch)>;

}  // namespace maintd::scheduler
