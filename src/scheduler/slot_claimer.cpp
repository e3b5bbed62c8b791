// The slot claimer: see slot_claimer.hpp.
#include "scheduler/slot_claimer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "config/redact.hpp"

namespace maintd::scheduler {
namespace {

using store::RunStatus;
using store::Trigger;

// Slots held back while the state database was unavailable are missed slots like any other
// (DESIGN.md: within the catch-up window they run once, coalesced): per task, one catch-up run
// for the latest, its reason naming the range. Run back to back instead, they would, under
// concurrency: forbid, skip each other. Skips and retries are kept as they are.
std::vector<Firing> coalesce_held(std::vector<Firing> held) {
  std::vector<Firing> out;
  std::map<std::string, std::vector<Firing>> slots_by_task;
  for (auto& firing : held) {
    if (firing.skipped || firing.trigger == Trigger::retry) {
      out.push_back(std::move(firing));
    } else {
      slots_by_task[firing.task].push_back(std::move(firing));
    }
  }
  for (auto& [task, slots] : slots_by_task) {
    std::sort(slots.begin(), slots.end(),
              [](const Firing& a, const Firing& b) { return a.slot < b.slot; });
    Firing latest = slots.back();
    if (slots.size() > 1) {
      // Firings held back more than once were folded before: keep their whole range.
      int folded = 0;
      Instant from = slots.front().folded_from.value_or(slots.front().slot);
      for (const auto& slot : slots) {
        folded += slot.folded;
        from = std::min(from, slot.folded_from.value_or(slot.slot));
      }
      latest.trigger = Trigger::catchup;
      latest.folded = folded;
      latest.folded_from = from;
      latest.reason = fmt::format(
          "{} missed slots from {} to {} coalesced into one run (held back while the state "
          "database was unavailable)",
          folded, format_utc(from), format_utc(latest.slot));
    }
    out.push_back(std::move(latest));
  }
  return out;
}

}  // namespace

SlotClaimer::SlotClaimer(store::RunStore& runs, store::RunJournal& journal, LocalRuns& local,
                         Metrics& metrics, std::mutex& claims, Launcher launch, PauseGate* gate)
    : runs_(runs),
      journal_(journal),
      local_(local),
      metrics_(metrics),
      claims_(claims),
      launch_(std::move(launch)),
      gate_(gate) {}

bool SlotClaimer::holding() const {
  std::lock_guard lock(held_mutex_);
  return !held_.empty();
}

void SlotClaimer::claim(std::vector<Firing> due, const std::shared_ptr<const tasks::TaskSet>& tasks,
                        const std::shared_ptr<const config::Config>& config, Instant now) {
  // A manual run (run_now) must not slip in between the policy's read and the claim.
  const std::lock_guard claiming(claims_);
  std::vector<Firing> firings;
  {
    std::lock_guard lock(held_mutex_);
    firings = coalesce_held(std::move(held_));
    held_.clear();
  }
  for (auto& firing : due) firings.push_back(std::move(firing));
  if (gate_ != nullptr) {
    try {
      gate_->filter(firings, *tasks, now);  // checked at every claim, not only when polled
    } catch (const store::StoreError& e) {
      // Whether a pause lasts is unknown: nothing starts; the firings are held as for a claim
      // that met an unavailable state database.
      for (const auto& firing : firings) {
        if (const config::Task* task = tasks->find(firing.task)) hold(firing, *task, now, e);
      }
      return;
    }
  }
  // The runs in progress, read once for all the firings of this wake (when a policy needs
  // them), then kept up to date with the runs the wake claims.
  std::optional<ActiveRuns> active;
  std::vector<Claim> batch;
  std::set<std::string_view> batched;  // tasks with a firing in `batch`
  const auto claim_all = [&] {
    claim_batch(batch, active ? &*active : nullptr, config, now);
    batched.clear();
  };
  for (auto& firing : firings) {
    const config::Task* found = tasks->find(firing.task);
    if (found == nullptr || !found->enabled) {
      // Held back (an unavailable state database) or planned (a retry) before a reload or the
      // table removed or disabled the task: nothing of it is to run any more.
      spdlog::warn("task {}: {} for the slot {} dropped: the task is {} since", firing.task,
                   firing.skipped ? "skip" : to_string(firing.trigger), format_utc(firing.slot),
                   found == nullptr ? "no longer configured" : "disabled");
      continue;
    }
    TaskPtr task(tasks, found);
    // A second firing of a task in one wake (a retry and a slot): the first is claimed and
    // started before the policy decides about the second, as if they had come one by one.
    if (batched.count(task->name) != 0) claim_all();

    store::NewRun run;
    run.task_name = task->name;
    run.task_type = task->type;
    run.trigger = firing.trigger;
    run.scheduled_for = firing.slot;
    run.attempt = firing.attempt;
    run.dry_run = task->dry_run;
    bool skip = firing.skipped;
    std::string skip_reason = firing.skipped ? firing.reason : "";
    if (!skip && task->policies.concurrency != config::Concurrency::allow) {
      try {
        if (!active) {
          ActiveRuns read;
          for (auto& record : runs_.active_runs()) {
            read[record.task_name].push_back(std::move(record));
          }
          active = std::move(read);
        }
        if (const auto it = active->find(task->name); it != active->end()) {
          skip_reason = apply_concurrency(*task, firing, it->second);
          skip = !skip_reason.empty();
        }
      } catch (const store::StoreError& e) {
        hold(firing, *task, now, e);
        continue;
      }
    }
    if (skip) {
      run.status = RunStatus::skipped;
      run.error = skip_reason;
    } else {
      run.config = config::redact(task->config);
    }
    batched.insert(task->name);
    batch.push_back(Claim{std::move(firing), std::move(task), std::move(run)});
    if (batch.size() >= kClaimBatch) claim_all();
  }
  claim_all();
}

void SlotClaimer::hold(const Firing& firing, const config::Task& task, Instant now,
                       const store::StoreError& error) {
  // Keep the slot while it is worth running; the loop tries again shortly.
  const auto window = std::max(task.policies.catchup, std::chrono::seconds(kMisfireGrace));
  if (now - firing.slot <= window) {
    spdlog::error("task {}: slot {} not claimed yet: {}; trying again", firing.task,
                  format_utc(firing.slot), error.what());
    std::lock_guard lock(held_mutex_);
    held_.push_back(firing);
  } else {
    spdlog::error(
        "task {}: slot {} lost: the state database was unavailable beyond the "
        "catch-up window: {}",
        firing.task, format_utc(firing.slot), error.what());
  }
}

void SlotClaimer::claim_batch(std::vector<Claim>& batch, ActiveRuns* active,
                              const std::shared_ptr<const config::Config>& config, Instant now) {
  if (batch.empty()) return;
  std::vector<store::NewRun> runs;
  runs.reserve(batch.size());
  for (auto& claim : batch) runs.push_back(std::move(claim.run));
  std::vector<std::optional<store::RunId>> ids;
  try {
    ids = runs_.claim_slots(runs);
  } catch (const store::StoreError& e) {
    for (const auto& claim : batch) hold(claim.firing, *claim.task, now, e);
    batch.clear();
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Firing& firing = batch[i].firing;
    const TaskPtr& task = batch[i].task;
    const auto& id = ids[i];
    if (runs[i].status == RunStatus::skipped) {
      if (id) {
        spdlog::warn("task {} run {}: slot {} skipped: {}", task->name, *id,
                     format_utc(firing.slot), runs[i].error);
        metrics_.slot_skipped(task->name);
      }
      continue;
    }
    if (!id) {
      spdlog::debug("task {}: slot {} was claimed by another instance", task->name,
                    format_utc(firing.slot));
      continue;
    }
    spdlog::debug("task {} run {}: claimed slot {} ({}), {}s late", task->name, *id,
                  format_utc(firing.slot), to_string(firing.trigger), (now - firing.slot).count());
    if (!firing.reason.empty()) {
      // Queued: written with the run's start (a lost line is logged; the run runs anyway).
      journal_.add_event(*id, firing.task, "info", std::string(to_string(firing.trigger)),
                         firing.reason);
    }
    if (active != nullptr) {
      store::RunRecord record;
      record.id = *id;
      record.task_name = task->name;
      record.status = RunStatus::pending;
      (*active)[task->name].push_back(std::move(record));
    }
    launch_(Launch{.id = *id,
                   .task = task,
                   .firing = firing,
                   .config = config,
                   .run_config = task->config,
                   .dry_run = task->dry_run,
                   .may_retry = true});
  }
  batch.clear();
}

std::string SlotClaimer::apply_concurrency(const config::Task& task, const Firing& firing,
                                           const std::vector<store::RunRecord>& active) {
  if (task.policies.concurrency == config::Concurrency::allow || active.empty()) return {};
  if (task.policies.concurrency == config::Concurrency::forbid) {
    const auto& previous = active.front();
    return fmt::format("previous run {} still {}", previous.id, to_string(previous.status));
  }
  // replace: the previous runs are cancelled; ours stop at once, other instances' at their
  // next heartbeat (the executor sees its row cancelled).
  for (const auto& previous : active) {
    if (const auto local = local_.stop_source(previous.id)) {
      local->request_stop();
    } else {
      runs_.transition(previous.id, previous.status, RunStatus::cancelled,
                       "replaced by a newer run (concurrency: replace)");
    }
    spdlog::info("task {} run {}: cancelled: replaced by the slot {}", task.name, previous.id,
                 format_utc(firing.slot));
  }
  return {};
}

}  // namespace maintd::scheduler
