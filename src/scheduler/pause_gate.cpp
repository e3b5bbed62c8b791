// The pause gate: see pause_gate.hpp.
#include "scheduler/pause_gate.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "store/store_error.hpp"

namespace maintd::scheduler {
namespace {

using store::PauseRecord;
using store::Timestamp;

Timestamp stamp(Instant at) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(at);
}

Instant to_instant(Timestamp at) {
  return std::chrono::floor<std::chrono::seconds>(at);
}

std::string pause_words(const PauseRecord& pause) {
  std::string out = fmt::format("paused by {} since {}", pause.paused_by,
                                format_utc(to_instant(pause.paused_at)));
  if (pause.until) out += fmt::format(" until {}", format_utc(to_instant(*pause.until)));
  if (!pause.reason.empty()) out += ": " + pause.reason;
  return out;
}

}  // namespace

std::string paused_reason(const PauseRecord& pause, int slots, Instant first, Instant last) {
  const std::string count = slots > kMissedCountLimit
                                ? fmt::format("more than {}", kMissedCountLimit)
                                : std::to_string(slots);
  if (first == last) {
    return fmt::format("{}; the slot {} was not run", pause_words(pause), format_utc(first));
  }
  return fmt::format("{}; {} slots from {} to {} were not run", pause_words(pause), count,
                     format_utc(first), format_utc(last));
}

int slots_between(const config::Task& task, Instant first, Instant last) {
  int count = 1;
  std::optional<Instant> at = first;
  while (count <= kMissedCountLimit) {
    at = task.slots.next(*at);
    if (!at || *at > last) break;
    ++count;
  }
  return count;
}

PauseGate::PauseGate(store::PauseStore& pauses, Metrics& metrics)
    : pauses_(pauses), metrics_(metrics) {}

void PauseGate::filter(std::vector<Firing>& firings, const tasks::TaskSet& tasks, Instant now) {
  if (firings.empty()) return;
  Instant earliest = now;
  for (const auto& firing : firings) earliest = std::min(earliest, firing.slot);
  // One query: the pauses that had not ended by the earliest slot (the current one among them).
  const auto pauses = pauses_.since(stamp(earliest));
  const PauseRecord* current = nullptr;
  for (const auto& pause : pauses) {
    if (pause.covers(stamp(now))) current = &pause;
  }
  saw(current ? std::optional<PauseRecord>(*current) : std::nullopt);
  if (pauses.empty()) return;

  std::vector<store::PausedFiring> paused;
  std::vector<std::size_t> paused_index;
  std::vector<bool> keep(firings.size(), true);
  for (std::size_t i = 0; i < firings.size(); ++i) {
    const Firing& firing = firings[i];
    if (firing.skipped) continue;  // the planner's own record of slots too old to run
    const config::Task* task = tasks.find(firing.task);
    if (task == nullptr || !task->enabled) continue;  // the claimer drops it, and says so
    const PauseRecord* pause = current;
    if (pause == nullptr) {
      for (const auto& candidate : pauses) {
        if (candidate.covers(stamp(firing.slot))) pause = &candidate;
      }
    }
    if (pause == nullptr) continue;
    keep[i] = false;
    if (firing.trigger == store::Trigger::retry) {
      spdlog::warn("task {}: {} not started: {}", firing.task, firing.reason, pause_words(*pause));
      continue;
    }
    const PauseRecord record = *pause;
    paused.push_back(
        store::PausedFiring{.task_name = task->name,
                            .task_type = task->type,
                            .pause_id = pause->id,
                            .slot = firing.slot,
                            .describe = [record, task](Instant first, Instant last) {
                              const int slots = slots_between(*task, first, last);
                              return std::pair<std::string, nlohmann::json>(
                                  paused_reason(record, slots, first, last),
                                  nlohmann::json{{"paused", true},
                                                 {"pause_id", record.id},
                                                 {"paused_by", record.paused_by},
                                                 {"reason", record.reason},
                                                 {"slots", slots},
                                                 {"first_slot", store::format_timestamp(first)},
                                                 {"last_slot", store::format_timestamp(last)}});
                            }});
    paused_index.push_back(i);
  }
  const auto outcomes = pauses_.record_paused(paused);  // throws: `firings` is untouched
  for (std::size_t k = 0; k < paused.size(); ++k) {
    if (outcomes[k] == store::PausedRecord::unchanged) continue;
    metrics_.slot_skipped(paused[k].task_name);
    spdlog::info("task {}: slot {} not run: {}", paused[k].task_name, format_utc(paused[k].slot),
                 outcomes[k] == store::PausedRecord::created ? "paused (recorded)"
                                                             : "paused (record moved on)");
  }
  std::vector<Firing> out;
  out.reserve(firings.size());
  for (std::size_t i = 0; i < firings.size(); ++i) {
    if (keep[i]) out.push_back(std::move(firings[i]));
  }
  firings = std::move(out);
}

std::optional<PauseRecord> PauseGate::refresh() {
  try {
    auto current = pauses_.current();
    saw(current);
    return current;
  } catch (const store::StoreError& e) {
    spdlog::warn("reading the pause: {}", e.what());
    return last_seen();
  }
}

std::optional<PauseRecord> PauseGate::last_seen() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

void PauseGate::saw(const std::optional<PauseRecord>& pause) {
  std::optional<PauseRecord> before;
  {
    std::lock_guard lock(mutex_);
    before = seen_;
    seen_ = pause;
  }
  const bool was = before.has_value(), is = pause.has_value();
  if (is && (!was || before->id != pause->id || before->until != pause->until ||
             before->reason != pause->reason)) {
    spdlog::warn("maintd is {}: no scheduled run starts until it ends", pause_words(*pause));
  } else if (was && !is) {
    spdlog::info("maintd is no longer paused: schedules go on from their next slot");
  }
}

}  // namespace maintd::scheduler
