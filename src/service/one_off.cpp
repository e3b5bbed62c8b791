// Recording a one-off run (one_off.hpp).
#include "service/one_off.hpp"

#include <cctz/time_zone.h>
#include <fmt/format.h>

#include <vector>

#include "common/duration.hpp"
#include "common/suggest.hpp"
#include "config/redact.hpp"

namespace maintd::service {

Expected<Instant, std::string> parse_due_time(std::string_view text, Instant now) {
  constexpr std::string_view kForms =
      "give an ISO 8601 time with its zone (2026-12-08T03:00:00Z, 2026-12-08T04:00:00+01:00) "
      "or a time from now (+10m, +1h30m)";
  if (text.empty()) return Unexpected{fmt::format("no time given: {}", kForms)};
  if (text.front() == '+') {
    const auto duration = parse_duration(text.substr(1));
    if (!duration) return Unexpected{fmt::format("'{}': {}", text, duration.error())};
    return now + duration.value();
  }
  const auto utc = parse_instant(text, cctz::utc_time_zone());
  if (!utc)
    return Unexpected{fmt::format("'{}' is not a time ({}): {}", text, utc.error(), kForms)};
  // A text without a zone reads differently in two zones: refused rather than guessed.
  const auto elsewhere = parse_instant(text, cctz::fixed_time_zone(std::chrono::hours(1)));
  if (!elsewhere || elsewhere.value() != utc.value()) {
    return Unexpected{
        fmt::format("'{}' has no zone: add Z for UTC or an offset such as +01:00", text)};
  }
  return utc.value();
}

Expected<store::RunRecord, OneOffRefusal> schedule_one_off(store::RunStore& runs,
                                                           const tasks::TaskSet& tasks,
                                                           const OneOffAsk& ask, Instant now) {
  using Reason = OneOffRefusal::Reason;
  const config::Task* task = tasks.find(ask.task);
  if (task == nullptr) {
    std::vector<std::string> names;
    for (const auto& candidate : tasks) names.push_back(candidate.name);
    return Unexpected{OneOffRefusal{
        Reason::unknown_task,
        fmt::format("no task named '{}'{}: a one-off run is of a configured task (see 'maintd "
                    "list')",
                    ask.task, did_you_mean(ask.task, names))}};
  }
  const auto at = parse_due_time(ask.at, now);
  if (!at) return Unexpected{OneOffRefusal{Reason::bad_time, at.error()}};
  if (at.value() <= now) {
    return Unexpected{OneOffRefusal{
        Reason::bad_time, fmt::format("{} is not in the future (it is {} now): to run {} now, "
                                      "leave out the time",
                                      format_utc(at.value()), format_utc(now), task->name)}};
  }
  if (at.value() - now > kFurthestOneOff) {
    return Unexpected{OneOffRefusal{
        Reason::bad_time,
        fmt::format("{} is more than a year ahead: a typo?", format_utc(at.value()))}};
  }
  store::NewRun run;
  run.task_name = task->name;
  run.task_type = task->type;
  run.trigger = store::Trigger::once;
  run.dry_run = ask.dry_run || task->dry_run;
  run.config = config::redact(task->config);  // what it will run, minus secrets
  run.due_at = at.value();
  const store::RunId id = runs.create_run(run);
  if (auto recorded = runs.get(id)) return *recorded;
  store::RunRecord record;  // removed meanwhile (a cleanup): say what was written
  record.id = id;
  record.task_name = run.task_name;
  record.task_type = run.task_type;
  record.trigger = run.trigger;
  record.due_at = run.due_at;
  return record;
}

scheduler::CancelOutcome cancel_recorded_run(store::RunStore& runs, store::RunId id,
                                             const std::string& by) {
  return scheduler::cancel_in_database(runs, id, by);
}

}  // namespace maintd::service
