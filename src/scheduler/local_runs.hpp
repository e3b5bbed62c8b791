#pragma once
// The runs this instance executes, from their claim until their worker lets go of them: what a
// cancel or a `concurrency: replace` stops at once, what shutdown waits for and then cancels,
// what the lease keeper renews while they wait for a worker, and what the status line counts.
//
// A unit of its own because every part of the daemon reaches it from its own thread (the loop
// claims, the workers finish, the admin API cancels) and each needs only this: the set and its
// lock, which is never held while calling out. Its clock (steady, injectable) stamps when each
// run's lease was last written.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <utility>
#include <vector>

#include "store/run_store.hpp"

namespace maintd::scheduler {

class LocalRuns {
 public:
  using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

  explicit LocalRuns(SteadyClock clock = [] { return std::chrono::steady_clock::now(); });
  LocalRuns(const LocalRuns&) = delete;
  LocalRuns& operator=(const LocalRuns&) = delete;

  // A claimed run on its way to a worker. Its lease counts as written now (by its claim).
  // Returns what stops it.
  std::shared_ptr<std::stop_source> add(store::RunId id);
  // Its worker let go of it (its end is recorded, or could not be): wakes wait_idle().
  void remove(store::RunId id);
  // What stops run `id`; empty when it is not this instance's (or no longer).
  std::shared_ptr<std::stop_source> stop_source(store::RunId id) const;
  // Asks every run to stop (shutdown after its grace period, tests).
  void stop_all();
  std::size_t size() const;
  // Waits until no run is left, up to `limit`; true when none is.
  bool wait_idle(std::chrono::milliseconds limit);

  // For the lease keeper: now by this set's clock; when each run's lease was last written; and
  // that run `id`'s lease was written at `at`.
  std::chrono::steady_clock::time_point now() const { return clock_(); }
  std::vector<std::pair<store::RunId, std::chrono::steady_clock::time_point>> lease_writes() const;
  void lease_written(store::RunId id, std::chrono::steady_clock::time_point at);

 private:
  struct Run {
    std::shared_ptr<std::stop_source> stop;
    std::chrono::steady_clock::time_point lease_written;
  };

  SteadyClock clock_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::map<store::RunId, Run> runs_;
};

}  // namespace maintd::scheduler
