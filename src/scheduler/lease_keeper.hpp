#pragma once
// The lease keeper: the daemon's writes that say "still here" (DESIGN.md: leases), every
// heartbeat_interval on the loop.
//   - Leases of this instance's runs that wait for a worker (a running run's executor renews
//     its own): renewed when, by the next round, the last write would be older than half the
//     lease. A burst of runs claimed just now (10,000 due in the same second) does not cost as
//     many single-row commits on the loop while the workers are recording those very runs.
//   - Runs whose lease expired, on any instance (the process died or hung): marked abandoned,
//     each logged, counted and alerted.
//   - This instance's row (maintd_instances): announced at start, renewed with the status line,
//     withdrawn at a clean stop. Whether the last of these writes failed, and why, is kept for
//     readiness: a database that answers but refuses writes cannot record runs.
//
// A unit of its own because it is what other instances rely on to tell a live run from a dead
// one; its timing is by LocalRuns' clock, so tests drive it without waiting.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/instant.hpp"
#include "config/config.hpp"
#include "scheduler/alerts.hpp"
#include "scheduler/local_runs.hpp"
#include "scheduler/metrics.hpp"
#include "store/instance_store.hpp"
#include "store/run_store.hpp"

namespace maintd::scheduler {

class LeaseKeeper {
 public:
  // `now`: the wall clock (the time of an abandoned run's alert).
  LeaseKeeper(std::shared_ptr<store::Database> database, store::RunStore& runs, LocalRuns& local,
              Metrics& metrics, Alerts& alerts, store::Worker worker, std::function<Instant()> now);
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Renews the leases of this instance's runs waiting for a worker that are due (see above).
  void renew_waiting(const config::DaemonSettings& settings);
  // Marks every run whose heartbeat is older than `lease` abandoned.
  void abandon_expired(std::chrono::seconds lease);

  // This instance's row: `first` announces it, later calls renew it; with the status line.
  void announce(bool first, const std::string& status);
  // A clean stop: the row goes (a failure is logged).
  void withdraw();
  // Why the last announce() failed; empty when it succeeded. Any thread.
  std::string write_problem() const;

 private:
  store::RunStore& runs_;
  LocalRuns& local_;
  Metrics& metrics_;
  Alerts& alerts_;
  store::Worker worker_;
  std::function<Instant()> now_;
  store::InstanceStore instances_;
  mutable std::mutex write_mutex_;
  std::string write_problem_;
};

}  // namespace maintd::scheduler
