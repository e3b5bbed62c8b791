// The lease keeper: see lease_keeper.hpp.
#include "scheduler/lease_keeper.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "common/duration.hpp"
#include "store/store_error.hpp"

namespace maintd::scheduler {

LeaseKeeper::LeaseKeeper(std::shared_ptr<store::Database> database, store::RunStore& runs,
                         LocalRuns& local, Metrics& metrics, Alerts& alerts, store::Worker worker,
                         std::function<Instant()> now)
    : runs_(runs),
      local_(local),
      metrics_(metrics),
      alerts_(alerts),
      worker_(std::move(worker)),
      now_(std::move(now)),
      instances_(std::move(database)) {}

void LeaseKeeper::renew_waiting(const config::DaemonSettings& settings) {
  // Our own claimed runs still waiting for a worker keep their lease (running ones are renewed
  // by their executor); see the header for when.
  const auto now = local_.now();
  const auto half_lease = settings.lease / 2;
  std::vector<store::RunId> due;
  for (const auto& [id, written] : local_.lease_writes()) {
    if (now - written + settings.heartbeat_interval >= half_lease) due.push_back(id);
  }
  try {
    for (const auto id : due) {
      runs_.heartbeat(id);
      local_.lease_written(id, now);
    }
  } catch (const store::StoreError& e) {
    spdlog::error("renewing the leases of waiting runs: {}", e.what());
  }
}

void LeaseKeeper::abandon_expired(std::chrono::seconds lease) {
  try {
    for (const auto id : runs_.abandon_expired(lease)) {
      const auto run = runs_.get(id);
      const std::string task = run ? run->task_name : std::string("?");
      const std::string message =
          fmt::format("no heartbeat for more than {}", format_duration(lease));
      spdlog::warn("task {} run {}: abandoned: {}", task, id, message);
      metrics_.run_abandoned(task);
      alerts_.raise(Alert{.kind = Alert::Kind::abandoned,
                          .task = task,
                          .run = id,
                          .message = message,
                          .at = now_()});
    }
  } catch (const store::StoreError& e) {
    spdlog::error("looking for abandoned runs: {}", e.what());
  }
}

void LeaseKeeper::announce(bool first, const std::string& status) {
  try {
    first ? instances_.announce(worker_, status) : instances_.renew(worker_, status);
    const std::lock_guard lock(write_mutex_);
    write_problem_.clear();
  } catch (const store::StoreError& e) {
    spdlog::error("announcing this instance in the state database: {}", e.what());
    const std::lock_guard lock(write_mutex_);
    write_problem_ = e.what();
  }
}

void LeaseKeeper::withdraw() {
  try {
    instances_.withdraw(worker_.instance_id);
  } catch (const store::StoreError& e) {
    spdlog::warn("withdrawing this instance from the state database: {}", e.what());
  }
}

std::string LeaseKeeper::write_problem() const {
  const std::lock_guard lock(write_mutex_);
  return write_problem_;
}

}  // namespace maintd::scheduler
