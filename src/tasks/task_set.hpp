#pragma once
// The effective task set: the schedule files' tasks and the scheduled_tasks table's own, as
// tasks::load_tasks and tasks::merge_tasks (tasks/task_load.hpp) merge them. Reads like a
// const std::vector<config::Task>: size(), operator[], iteration over `const config::Task&`,
// plus find() by name.
//
// A file task is not copied: the set points at it in the config::Config it was loaded with, so
// that Config must outlive the set (keep_alive() ties them together where the set is shared,
// as the daemon does). At 100,000 tasks the copy was about 700 bytes per task, half of what the
// daemon held. Only the tasks that differ from any Config are owned: table tasks, and file tasks
// whose `enabled` the table overrides (`maintd task disable`).
#include <boost/iterator/indirect_iterator.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"

namespace maintd::tasks {

class TaskSet {
 public:
  using const_iterator = boost::indirect_iterator<std::vector<const config::Task*>::const_iterator>;

  TaskSet() = default;
  // A set owning copies of `tasks` (tests, and callers that have no Config to point into).
  explicit TaskSet(std::vector<config::Task> tasks);
  // The schedule files' tasks of `config`, pointed at.
  static TaskSet files_of(const config::Config& config);

  // The pointers into `owned_` stay valid when the set moves (each owned task has its own
  // allocation); a copy would point into the original, so there is none.
  TaskSet(TaskSet&&) = default;
  TaskSet& operator=(TaskSet&&) = default;
  TaskSet(const TaskSet&) = delete;
  TaskSet& operator=(const TaskSet&) = delete;

  // Adds a task that lives elsewhere (in a Config) for as long as the set does.
  void add_pointed(const config::Task& task);
  // Adds a task the set owns.
  void add_owned(config::Task task);
  void reserve(std::size_t tasks);
  // Keeps what the pointed-at tasks live in alive as long as the set.
  void keep_alive(std::shared_ptr<const void> owner) { owner_ = std::move(owner); }

  std::size_t size() const { return tasks_.size(); }
  bool empty() const { return tasks_.empty(); }
  const config::Task& operator[](std::size_t index) const { return *tasks_[index]; }
  const_iterator begin() const { return const_iterator(tasks_.begin()); }
  const_iterator end() const { return const_iterator(tasks_.end()); }
  // The task of that name; null when there is none. Names are unique within a set; were one
  // added twice, the first is the one found.
  const config::Task* find(std::string_view name) const;
  // Its position: (*this)[*index_of(name)] is find(name).
  std::optional<std::size_t> index_of(std::string_view name) const;

  config::Diagnostics diagnostics;
  // task_table_version() as of the read (load_tasks only; empty from merge_tasks).
  std::string table_version;

 private:
  std::vector<const config::Task*> tasks_;  // in order: file tasks, then table tasks by name
  std::vector<std::unique_ptr<const config::Task>> owned_;
  std::unordered_map<std::string_view, std::size_t> by_name_;  // views of the names -> index
  std::shared_ptr<const void> owner_;
};

}  // namespace maintd::tasks
