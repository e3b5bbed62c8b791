#pragma once
// GET /api/v1/scheduled-tasks with 1,000 tasks is ~600 KB of JSON, and building and serializing
// nlohmann objects was 80% of its cost. What a task says about itself only changes when the
// daemon's task set does (a reload or a table change gives a new set), so each task's JSON is
// serialized once per task set and requests add only what changes: next fire, last run, overdue.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "tasks/task_set.hpp"

namespace maintd::http {

class TaskListCache {
 public:
  // Per task of `tasks`, in order: its JSON object (task_to_json without "next") without the
  // closing brace, ready for more members. Rebuilt when `tasks` is another set than last time.
  std::shared_ptr<const std::vector<std::string>> fragments(
      const std::shared_ptr<const tasks::TaskSet>& tasks);

 private:
  std::mutex mutex_;
  std::shared_ptr<const tasks::TaskSet> tasks_;  // the set the fragments describe
  std::shared_ptr<const std::vector<std::string>> fragments_;
};

}  // namespace maintd::http
