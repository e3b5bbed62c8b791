// Serialized task JSON, per task set (see task_list_cache.hpp).
#include "http/task_list_cache.hpp"

#include "common/json_text.hpp"
#include "service/json_views.hpp"

namespace maintd::http {

std::shared_ptr<const std::vector<std::string>> TaskListCache::fragments(
    const std::shared_ptr<const tasks::TaskSet>& tasks) {
  const std::lock_guard lock(mutex_);
  if (tasks_ != tasks || !fragments_) {
    auto built = std::make_shared<std::vector<std::string>>();
    built->reserve(tasks->size());
    for (const auto& task : *tasks) {
      nlohmann::json entry = service::task_to_json(task, std::nullopt);
      entry.erase("next");
      std::string text = json_text(entry);
      text.pop_back();  // the closing brace: the request's own members follow
      built->push_back(std::move(text));
    }
    tasks_ = tasks;
    fragments_ = std::move(built);
  }
  return fragments_;
}

}  // namespace maintd::http
