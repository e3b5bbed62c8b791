// The operations over a running daemon (service.hpp).
#include "service/service.hpp"

#include <spdlog/spdlog.h>

#include <future>

#include "tasks/task_row.hpp"

namespace maintd::service {

std::string Service::task_name(const std::string& name_or_id) {
  const auto tasks = this->tasks();
  if (tasks->find(name_or_id) != nullptr) return name_or_id;  // the common case: no query
  try {
    return tasks::resolve_task_name(*daemon_.task_table(), *config(), name_or_id);
  } catch (const store::StoreError&) {
    return name_or_id;  // reported as unknown by the caller, as before
  }
}

std::optional<UnloadedTask> Service::unloaded_task(const std::string& name) {
  auto row = tasks::read_task_row(*daemon_.task_table(), name);
  if (!row || !row->from_db()) return std::nullopt;
  UnloadedTask out;
  out.origin = row->origin;
  out.task = tasks::task_from_row(*row, *config(), out.problems);
  return out;
}

HistoryPage Service::history(HistoryFilter filter, int limit) {
  // One more than asked: whether there is a next page, without an empty last one.
  filter.limit = limit + 1;
  HistoryPage page;
  page.runs = daemon_.runs().history(filter);
  if (page.runs.size() > static_cast<std::size_t>(limit)) {
    page.runs.resize(static_cast<std::size_t>(limit));
    page.next_cursor = page.runs.back().id;
  }
  return page;
}

std::optional<RunRecord> Service::run(RunId id) {
  return daemon_.runs().get(id);
}

std::vector<RunEvent> Service::events(RunId id) {
  return daemon_.runs().events(id);
}

std::map<std::string, RunRecord> Service::latest_runs(bool light) {
  return daemon_.runs().latest_runs(light);
}

std::map<std::string, Timestamp> Service::last_successes() {
  return daemon_.runs().last_successes();
}

std::map<std::string, std::vector<RunRecord>> Service::recent_runs(
    const std::vector<std::string>& tasks, int per_task, std::optional<Timestamp> since) {
  return daemon_.runs().recent_runs(tasks, per_task, since);
}

const registry::HandlerInfo* Service::handler(const std::string& type) const {
  // Every configuration's registry is a copy of the one the handlers were registered in at
  // start, which lives as long as the daemon: the copies share its HandlerInfo objects, so the
  // pointer outlives a reload.
  const auto current = config();
  if (!current || !current->registry) return nullptr;
  const auto resolved = current->registry->resolve(type);
  return resolved ? resolved.value().handler : nullptr;
}

Expected<RunId, scheduler::RunNowRefusal> Service::run_now(
    const scheduler::RunNowRequest& request) {
  return daemon_.run_now(request);
}

scheduler::CancelOutcome Service::cancel(RunId id) {
  return daemon_.cancel_run(id);
}

ToggleOutcome Service::set_enabled(const std::string& name, bool enabled, std::string_view via) {
  ToggleOutcome outcome = set_task_enabled(*daemon_.task_table(), *config(), name, enabled);
  if (outcome.result != ToggleOutcome::Result::done) return outcome;
  if (outcome.changed) {
    spdlog::info("task {}: {} through {}", name, enabled ? "enabled" : "disabled", via);
  }
  // Re-read even when nothing changed: a row the daemon has not read yet (added since its last
  // poll) is then loaded as it now is.
  // A daemon whose loop does not run (starting, stopping, or driven by its steps in a test)
  // will not re-read: nothing to wait for.
  auto applied = daemon_.tasks_changed();
  if (daemon_.phase() == scheduler::DaemonPhase::running) applied.wait_for(apply_wait_);
  return outcome;
}

Expected<PauseOutcome, std::string> Service::pause(const PauseAsk& ask, std::string_view via) {
  auto outcome =
      pause_everything(daemon_.pauses(), ask,
                       std::chrono::time_point_cast<std::chrono::milliseconds>(daemon_.now()));
  if (!outcome) return outcome;
  spdlog::info("{} through {}", describe_pause(outcome.value().pause), via);
  daemon_.pause_or_one_offs_changed();
  return outcome;
}

std::optional<PauseRecord> Service::resume(const std::string& by, std::string_view via) {
  auto ended = resume_everything(daemon_.pauses(), by);
  if (ended) spdlog::info("resumed through {} by {}", via, by);
  daemon_.pause_or_one_offs_changed();
  return ended;
}

std::optional<PauseRecord> Service::current_pause() {
  return daemon_.pauses().current();
}

Expected<RunRecord, OneOffRefusal> Service::schedule_one_off(const OneOffAsk& ask,
                                                             std::string_view via) {
  auto recorded = service::schedule_one_off(daemon_.runs(), *tasks(), ask, daemon_.now());
  if (!recorded) return recorded;
  spdlog::info("task {} run {}: one-off run recorded through {}, due at {}", ask.task,
               recorded.value().id, via,
               recorded.value().due_at ? format_utc(*recorded.value().due_at) : "?");
  daemon_.pause_or_one_offs_changed();
  return recorded;
}

std::vector<RunRecord> Service::waiting_one_offs(const std::optional<std::string>& task) {
  return daemon_.runs().pending_one_offs(task);
}

Expected<EditOutcome, EditRefusal> Service::edit(const std::string& name,
                                                 const nlohmann::json& patch,
                                                 std::string_view via) {
  const auto current = config();
  auto row = tasks::find_editable_row(*daemon_.task_table(), *current, name);
  if (!row) return Unexpected(row.error());
  nlohmann::json entry = tasks::entry_from_row(row.value());
  entry.merge_patch(patch);
  entry["name"] = name;
  // `enabled` given (not null) sets the definition and drops an earlier enable|disable.
  const bool sets_enabled = patch.contains("enabled") && !patch["enabled"].is_null();
  EditOutcome outcome = tasks::apply_task_edit(*daemon_.task_table(), *current, row.value(), entry,
                                               sets_enabled, store::system_clock());
  if (outcome.result == EditOutcome::Result::changed) {
    spdlog::info("task {}: changed through {} ({} field{})", name, via, outcome.changes.size(),
                 outcome.changes.size() == 1 ? "" : "s");
    daemon_.tasks_changed();
  }
  return outcome;
}

}  // namespace maintd::service
