// The runs this instance executes: see local_runs.hpp.
#include "scheduler/local_runs.hpp"

namespace maintd::scheduler {

LocalRuns::LocalRuns(SteadyClock clock) : clock_(std::move(clock)) {}

std::shared_ptr<std::stop_source> LocalRuns::add(store::RunId id) {
  auto stop = std::make_shared<std::stop_source>();
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  runs_[id] = Run{stop, now};
  return stop;
}

void LocalRuns::remove(store::RunId id) {
  {
    std::lock_guard lock(mutex_);
    runs_.erase(id);
  }
  idle_.notify_all();
}

std::shared_ptr<std::stop_source> LocalRuns::stop_source(store::RunId id) const {
  std::lock_guard lock(mutex_);
  const auto it = runs_.find(id);
  return it != runs_.end() ? it->second.stop : nullptr;
}

void LocalRuns::stop_all() {
  std::lock_guard lock(mutex_);
  for (auto& [id, run] : runs_) run.stop->request_stop();
}

std::size_t LocalRuns::size() const {
  std::lock_guard lock(mutex_);
  return runs_.size();
}

bool LocalRuns::wait_idle(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, limit, [this] { return runs_.empty(); });
}

std::vector<std::pair<store::RunId, std::chrono::steady_clock::time_point>>
LocalRuns::lease_writes() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<store::RunId, std::chrono::steady_clock::time_point>> out;
  out.reserve(runs_.size());
  for (const auto& [id, run] : runs_) out.emplace_back(id, run.lease_written);
  return out;
}

void LocalRuns::lease_written(store::RunId id, std::chrono::steady_clock::time_point at) {
  std::lock_guard lock(mutex_);
  if (const auto it = runs_.find(id); it != runs_.end()) it->second.lease_written = at;
}

}  // namespace maintd::scheduler
