#include "tasks/task_set.hpp"

namespace maintd::tasks {

TaskSet::TaskSet(std::vector<config::Task> tasks) {
  reserve(tasks.size());
  for (auto& task : tasks) add_owned(std::move(task));
}

TaskSet TaskSet::files_of(const config::Config& config) {
  TaskSet set;
  set.reserve(config.tasks.size());
  for (const config::Task& task : config.tasks) set.add_pointed(task);
  return set;
}

void TaskSet::reserve(std::size_t tasks) {
  tasks_.reserve(tasks);
  by_name_.reserve(tasks);
}

void TaskSet::add_pointed(const config::Task& task) {
  by_name_.emplace(task.name, tasks_.size());
  tasks_.push_back(&task);
}

void TaskSet::add_owned(config::Task task) {
  owned_.push_back(std::make_unique<const config::Task>(std::move(task)));
  add_pointed(*owned_.back());
}

const config::Task* TaskSet::find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : tasks_[it->second];
}

std::optional<std::size_t> TaskSet::index_of(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
}

}  // namespace maintd::tasks
