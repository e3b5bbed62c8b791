#pragma once
// Where the daemon's tasks come from: loaded at start, read again with the configuration on
// SIGHUP (reload), and the scheduled_tasks table re-read at each poll_interval and after a
// change through the API (refresh). A refresh first compares the table's version, so an
// unchanged table costs one query instead of reading and planning every task again. Each
// diagnostic of a load is logged once, when it appears, not at every poll while it lasts.
// A reload or refresh that fails is logged and leaves the previous tasks in place; a reload
// that drops tasks names them in a warning (an emptied schedule file is a mistake more often
// than not).
//
// A unit of its own because it is the daemon's one way in for configuration: the rest of the
// daemon gets a task set (and, from a reload, the configuration it came with) or nothing.
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/environment.hpp"
#include "store/task_table.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

class TaskSource {
 public:
  using Loader = std::function<tasks::TaskSet(store::TaskTable&, const config::Config&)>;
  struct Options {
    std::filesystem::path config_path;  // re-read by reload()
    const registry::Registry* handlers = nullptr;
    config::Environment env;
    // Empty: tasks::load_tasks, its diagnostics logged, the table's version kept for refresh().
    Loader load_tasks;
  };
  struct Reloaded {
    std::shared_ptr<const config::Config> config;
    tasks::TaskSet tasks;  // may point into `config`
  };

  // `table`: the task table of the configuration it starts with. A reload whose `task_table:` or
  // `state_schema:` differs opens the new table (on the same state database).
  TaskSource(std::shared_ptr<store::TaskTable> table, Options options);
  TaskSource(const TaskSource&) = delete;
  TaskSource& operator=(const TaskSource&) = delete;

  // The tasks `config` gives (start). Throws what the loader throws.
  tasks::TaskSet load(const config::Config& config);
  // The configuration read again and its tasks; empty (logged) when either cannot be read.
  // `current`: the tasks the daemon has, to name those that go.
  std::optional<Reloaded> reload(const tasks::TaskSet& current);
  // The tasks read again with the table; empty when the table did not change since the last
  // load, or could not be read (logged). Loop thread only.
  std::optional<tasks::TaskSet> refresh(const config::Config& config);
  // The task table tasks are read from now (workers write runs back to it).
  std::shared_ptr<store::TaskTable> table() const;

 private:
  std::shared_ptr<store::TaskTable> table_;
  Options options_;
  // scheduled_tasks' version as of the last load, set by the default loader: a refresh that
  // finds the same version reads nothing more. Empty (a loader from the options, or a failed
  // load): every refresh reads the table.
  std::string table_version_;
  // Every this many polls the version read is the deep one (store::task_table_version): an
  // application's UPDATE that leaves updated_at alone is seen within this many poll_intervals,
  // every other change at the next poll. 10 x 30 s: five minutes by default.
  static constexpr unsigned kDeepPollEvery = 10;
  unsigned polls_ = 0;
  mutable std::mutex table_mutex_;
  config::TaskTableSettings current_task_table_;  // what table_ was opened for  // table_ is
                                                  // replaced by a reload, read by workers
};

}  // namespace maintd::scheduler
