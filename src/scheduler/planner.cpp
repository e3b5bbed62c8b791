#include "scheduler/planner.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/duration.hpp"

namespace maintd::scheduler {
namespace {

using std::chrono::seconds;

// Whether a task's cursor stays valid across set_tasks(): its schedule, zone and enabled state
// are unchanged.
bool same_slots(const config::Task& a, const config::Task& b) {
  return a.schedule == b.schedule && a.timezone == b.timezone && a.enabled == b.enabled;
}

// Slots in [first, last], counting at most kMissedCountLimit + 1.
int count_slots(const cron::Schedule& schedule, Instant first, Instant last) {
  int count = 1;
  std::optional<Instant> at = first;
  while (count <= kMissedCountLimit) {
    at = schedule.next(*at);
    if (!at || *at > last) break;
    ++count;
  }
  return count;
}

std::string count_text(int count) {
  return count > kMissedCountLimit ? fmt::format("more than {}", kMissedCountLimit)
                                   : std::to_string(count);
}

}  // namespace

seconds jitter_offset(const std::string& task_name, seconds jitter) {
  if (jitter.count() <= 0) return seconds(0);
  // FNV-1a: stable across runs, builds and hosts (std::hash is not).
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : task_name) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return seconds(static_cast<seconds::rep>(hash % static_cast<std::uint64_t>(jitter.count())));
}

void Planner::set_tasks(const std::vector<config::Task>& tasks, Instant now,
                        const std::map<std::string, Instant>& last_slots) {
  set_shared_tasks(std::make_shared<const tasks::TaskSet>(tasks), now, last_slots);
}

void Planner::set_shared_tasks(std::shared_ptr<const tasks::TaskSet> tasks, Instant now,
                               const std::map<std::string, Instant>& last_slots) {
  // The previous entries belong to the previous tasks: both stay alive until the end.
  const auto previous_tasks = std::move(owned_);
  const std::vector<Entry> previous = std::move(entries_);
  owned_ = tasks ? std::move(tasks) : std::make_shared<const tasks::TaskSet>();
  entries_.clear();
  entries_.resize(owned_->size());
  queue_.clear();
  queue_.reserve(owned_->size());
  for (std::size_t index = 0; index < owned_->size(); ++index) {
    const config::Task& task = task_at(index);
    Entry& entry = entries_[index];
    if (owned_->index_of(task.name) != index) continue;  // a repeated name: the first one runs
    entry.offset = jitter_offset(task.name, task.policies.jitter);
    entry.cursor = now;
    if (const auto old = previous_tasks->index_of(task.name);
        old && same_slots((*previous_tasks)[*old], task)) {
      entry.cursor = previous[*old].cursor;  // unchanged: carry on where it was
    } else if (auto last = last_slots.find(task.name); last != last_slots.end()) {
      entry.cursor = last->second;  // ran before this start: missed slots are looked at
    }
    if (task.enabled) entry.next = task.slots.next(entry.cursor);
    if (entry.next)
      queue_.push_back({*entry.next + entry.offset, static_cast<std::uint32_t>(index)});
  }
  std::make_heap(queue_.begin(), queue_.end(), FiresAfter{this});
  // Retries of tasks that are gone or disabled are dropped with them.
  for (auto it = retries_.begin(); it != retries_.end();) {
    const config::Task* task = owned_->find(it->task);
    it = (task == nullptr || !task->enabled) ? retries_.erase(it) : std::next(it);
  }
}

bool Planner::FiresAfter::operator()(const Queued& a, const Queued& b) const {
  if (a.at != b.at) return a.at > b.at;
  return planner->task_at(a.index).name > planner->task_at(b.index).name;
}

void Planner::enqueue(std::size_t index) {
  const Entry& entry = entries_[index];
  if (!entry.next) return;
  queue_.push_back({*entry.next + entry.offset, static_cast<std::uint32_t>(index)});
  std::push_heap(queue_.begin(), queue_.end(), FiresAfter{this});
}

std::vector<Firing> Planner::due(Instant now) {
  std::vector<Firing> out;
  const FiresAfter later{this};
  while (!queue_.empty() && queue_.front().at <= now) {
    std::pop_heap(queue_.begin(), queue_.end(), later);
    const std::size_t index = queue_.back().index;
    queue_.pop_back();
    plan_task(index, now, out);
    enqueue(index);
  }
  while (!retries_.empty() && retries_.begin()->at <= now) {
    const Retry& retry = *retries_.begin();
    out.push_back(
        {retry.task, retry.at, store::Trigger::retry, false,
         fmt::format("attempt {} for the slot {}", retry.attempt, format_utc(retry.original_slot)),
         retry.attempt});
    retries_.erase(retries_.begin());
  }
  return out;
}

void Planner::plan_task(std::size_t index, Instant now, std::vector<Firing>& out) {
  Entry& entry = entries_[index];
  const config::Task& task = task_at(index);
  const cron::Schedule& schedule = task.slots;
  const Instant first = *entry.next;
  // The latest slot whose fire time has come; at least `first`, which is due.
  const Instant latest = std::max(first, schedule.previous(now - entry.offset).value_or(first));
  const seconds window = std::max(task.policies.catchup, kMisfireGrace);
  const Instant window_start = now - entry.offset - window;

  std::optional<Instant> first_recent = first;
  if (first < window_start) {
    // Forward, large: slots older than the catch-up window are recorded, not run.
    const Instant latest_old =
        std::max(first, schedule.previous(window_start - seconds(1)).value_or(first));
    const int missed = count_slots(schedule, first, latest_old);
    out.push_back({task.name, latest_old, store::Trigger::schedule, true,
                   fmt::format("missed {} slot{} from {} to {}: older than the catch-up window "
                               "({}) when maintd could run {}",
                               count_text(missed), missed == 1 ? "" : "s", format_utc(first),
                               format_utc(latest_old), format_duration(task.policies.catchup),
                               missed == 1 ? "it" : "them"),
                   1});
    first_recent = latest_old < latest ? schedule.next(latest_old) : std::nullopt;
  }
  if (first_recent && *first_recent <= latest) {
    const int coalesced = count_slots(schedule, *first_recent, latest);
    const bool on_time =
        coalesced == 1 && first_recent == first && now - (latest + entry.offset) <= kMisfireGrace;
    Firing firing{task.name, latest, on_time ? store::Trigger::schedule : store::Trigger::catchup,
                  false,     "",     1};
    if (!on_time) {
      firing.reason =
          coalesced == 1
              ? fmt::format(
                    "the slot {} was missed; running it late, within the catch-up "
                    "window ({})",
                    format_utc(latest), format_duration(task.policies.catchup))
              : fmt::format("{} missed slots from {} to {} coalesced into one run",
                            count_text(coalesced), format_utc(*first_recent), format_utc(latest));
    }
    out.push_back(std::move(firing));
  }
  entry.cursor = latest;
  entry.next = schedule.next(latest);
}

bool Planner::add_retry(const std::string& task, Instant at, int attempt, Instant original_slot) {
  // The same rule set_tasks applies to the retries it already holds.
  const config::Task* current = owned_->find(task);
  if (current == nullptr || !current->enabled) return false;
  retries_.insert({at, task, attempt, original_slot});
  return true;
}

std::optional<Instant> Planner::next_wake() const {
  std::optional<Instant> wake;
  if (!queue_.empty()) wake = queue_.front().at;
  if (!retries_.empty() && (!wake || retries_.begin()->at < *wake)) wake = retries_.begin()->at;
  return wake;
}

std::optional<Instant> Planner::next_slot(const std::string& task) const {
  const auto index = owned_->index_of(task);
  return index ? entries_[*index].next : std::nullopt;
}

std::optional<std::pair<std::string, Instant>> Planner::next_firing() const {
  if (queue_.empty()) return std::nullopt;
  const std::size_t index = queue_.front().index;
  return std::pair<std::string, Instant>(task_at(index).name, *entries_[index].next);
}

}  // namespace maintd::scheduler
