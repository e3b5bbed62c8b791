// Where the daemon's tasks come from: see task_source.hpp.
#include "scheduler/task_source.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <vector>

#include "config/loader.hpp"
#include "store/store_error.hpp"
#include "store/task_table.hpp"
#include "tasks/task_load.hpp"
#include "tasks/task_table_open.hpp"

namespace maintd::scheduler {
namespace {

// tasks::load_tasks, logging its diagnostics (invalid table rows are reported and never run;
// the daemon goes on with the rest) when they appear, not again at every poll while they last.
// `*version` is set to the table's version as of the read (store::task_table_version).
TaskSource::Loader logging_loader(std::string* version) {
  auto reported = std::make_shared<std::set<std::string>>();
  return [reported, version](store::TaskTable& table, const config::Config& config) {
    auto set = tasks::load_tasks(table, config);
    *version = set.table_version;
    std::set<std::string> current;
    for (const auto& diagnostic : set.diagnostics.errors()) current.insert(diagnostic.to_string());
    for (const auto& diagnostic : set.diagnostics.warnings()) {
      current.insert(diagnostic.to_string());
    }
    for (const auto& diagnostic : set.diagnostics.errors()) {
      if (!reported->count(diagnostic.to_string())) spdlog::error("{}", diagnostic.to_string());
    }
    for (const auto& diagnostic : set.diagnostics.warnings()) {
      if (!reported->count(diagnostic.to_string())) spdlog::warn("{}", diagnostic.to_string());
    }
    *reported = std::move(current);
    return set;
  };
}

}  // namespace

TaskSource::TaskSource(std::shared_ptr<store::TaskTable> table, Options options)
    : table_(std::move(table)), options_(std::move(options)) {
  if (!options_.load_tasks) options_.load_tasks = logging_loader(&table_version_);
}

tasks::TaskSet TaskSource::load(const config::Config& config) {
  current_task_table_ = config.task_table;
  return options_.load_tasks(*table(), config);
}

std::shared_ptr<store::TaskTable> TaskSource::table() const {
  const std::lock_guard lock(table_mutex_);
  return table_;
}

std::optional<TaskSource::Reloaded> TaskSource::reload(const tasks::TaskSet& current) {
  config::LoadOptions options;
  options.config_path = options_.config_path;
  options.handlers = options_.handlers;
  options.env = options_.env;
  auto result = config::load_config(options);
  if (!result.config) {
    for (const auto& error : result.diagnostics.errors()) spdlog::error("{}", error.to_string());
    spdlog::error("reload: {} error(s) in the configuration; the previous tasks keep running",
                  result.diagnostics.error_count());
    return std::nullopt;
  }
  for (const auto& warning : result.diagnostics.warnings()) spdlog::warn("{}", warning.to_string());
  auto config = std::make_shared<const config::Config>(std::move(*result.config));
  tasks::TaskSet tasks;
  std::shared_ptr<store::TaskTable> table = this->table();
  try {
    if (config->task_table.database != current_task_table_.database ||
        config->task_table.spec.table != current_task_table_.spec.table ||
        config->task_table.spec.columns != current_task_table_.spec.columns) {
      table = tasks::open_task_table(table->state_pointer(), *config);
      spdlog::info("reload: tasks are now read from {}", table->where());
    }
    tasks = options_.load_tasks(*table, *config);
  } catch (const std::exception& e) {
    // A StoreError (the state database), or anything a row nobody foresaw made the loader throw.
    spdlog::error("reload: {}; the previous tasks keep running", e.what());
    return std::nullopt;
  }
  std::vector<std::string> gone;
  for (const auto& task : current) {
    if (tasks.find(task.name) == nullptr) gone.push_back(task.name);
  }
  if (!gone.empty()) {
    // A schedule file emptied by mistake (a bad deploy, a truncated write) drops every task in
    // it: said loudly, with the names, not as an info line with a smaller count.
    constexpr std::size_t kNamed = 20;
    std::string names;
    for (std::size_t i = 0; i < std::min(gone.size(), kNamed); ++i) {
      names += (i == 0 ? "" : ", ") + gone[i];
    }
    if (gone.size() > kNamed) names += fmt::format(" and {} more", gone.size() - kNamed);
    spdlog::warn("reload: {} task{} gone from the configuration and no longer scheduled: {}",
                 gone.size(), gone.size() == 1 ? " is" : "s are", names);
  }
  {
    const std::lock_guard lock(table_mutex_);
    table_ = std::move(table);
  }
  current_task_table_ = config->task_table;
  return Reloaded{std::move(config), std::move(tasks)};
}

std::optional<tasks::TaskSet> TaskSource::refresh(const config::Config& config) {
  try {
    // Nothing changed since the last read: keep the tasks and their plan. Reading and planning
    // every task again is what a poll would otherwise cost (seconds of CPU for 100,000 tasks).
    // The deep version (a hash of every row) every kDeepPollEvery polls; the shallow one, which
    // sees every change that moves updated_at, at the others.
    const bool deep = ++polls_ % kDeepPollEvery == 0;
    if (!table_version_.empty() &&
        store::same_task_table_version(store::task_table_version(*table(), deep), table_version_)) {
      return std::nullopt;
    }
  } catch (const store::StoreError& e) {
    spdlog::debug("reading the version of scheduled_tasks: {}; reading the table", e.what());
  }
  try {
    table_version_.clear();  // unknown until a load succeeds
    return options_.load_tasks(*table(), config);
  } catch (const std::exception& e) {
    spdlog::error("re-reading scheduled_tasks: {}; the previous tasks keep running", e.what());
    return std::nullopt;
  }
}

}  // namespace maintd::scheduler
