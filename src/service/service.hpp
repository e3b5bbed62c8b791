#pragma once
// The operations the interfaces offer over a running daemon, each written once: the admin API
// (src/http/api_*.cpp) and the dashboard (src/http/dashboard.cpp) call these and nothing below
// them. The CLI, which works on the state database without a daemon, calls the same free
// functions the service is made of (task_toggle.hpp, json_views.hpp, tasks/task_edit.hpp).
//
// What a Service does not do: speak HTTP, HTML or text. Its answers are outcomes (what
// happened, and the facts an interface needs to say so in its own words); the interfaces choose
// the status codes, pages and messages.
//
// Thread safety: every member may be called from any thread, as the daemon's own are; calls
// that reach the state database throw service::StoreError (StoreUnavailable when it cannot be
// reached in time), which the HTTP layer answers with a 500 (503).
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "scheduler/daemon.hpp"
#include "service/one_off.hpp"
#include "service/pause_control.hpp"
#include "service/records.hpp"
#include "service/task_toggle.hpp"
#include "tasks/task_edit.hpp"

namespace maintd::service {

// One page of the history, newest first.
struct HistoryPage {
  std::vector<RunRecord> runs;
  // Pass as HistoryFilter::before_id for the next page; empty on the last page.
  std::optional<RunId> next_cursor;
};

// A row of scheduled_tasks the daemon has not loaded: added since the last poll, or invalid.
struct UnloadedTask {
  std::string origin;
  std::optional<config::Task> task;  // the row validated; empty when it does not validate
  config::Diagnostics problems;      // why it does not (errors), or its warnings
};

using EditRefusal = tasks::EditRefusal;
using EditOutcome = tasks::EditOutcome;
using tasks::FieldChange;

class Service {
 public:
  // How long set_enabled waits for the daemon to have re-read the change (see there).
  static constexpr std::chrono::seconds kApplyWait{1};

  // `daemon` must outlive the service. `apply_wait`: how long set_enabled waits for the re-read.
  explicit Service(scheduler::Daemon& daemon, std::chrono::milliseconds apply_wait = kApplyWait)
      : daemon_(daemon), apply_wait_(apply_wait) {}

  // ---- What the daemon has loaded and plans. ----
  std::shared_ptr<const config::Config> config() const { return daemon_.current_config(); }
  std::shared_ptr<const tasks::TaskSet> tasks() const { return daemon_.current_tasks(); }
  // The task's next fire time as planned (jitter included); empty when disabled or unknown.
  std::optional<Instant> next_fire(const std::string& task) const {
    return daemon_.next_fire(task);
  }
  std::vector<scheduler::OverdueTask> overdue() const { return daemon_.overdue(); }
  // A row the daemon has not loaded (see UnloadedTask); empty when there is no row of origin db
  // of that name.
  std::optional<UnloadedTask> unloaded_task(const std::string& name);
  // The name of the task `name_or_id` names (a name, or a task table row's id: tasks are
  // addressed by either). Unknown, or the table unreadable: `name_or_id` itself.
  std::string task_name(const std::string& name_or_id);

  // ---- The history. ----
  // Up to `limit` runs matching `filter` (its limit is ignored), and whether more are older.
  // Paging by id (not by offset) returns every run once even while new runs are recorded.
  HistoryPage history(HistoryFilter filter, int limit);
  std::optional<RunRecord> run(RunId id);
  std::vector<RunEvent> events(RunId id);
  // Each task's newest run, and each task's last successful finish: one query each.
  // `light`: without config, results with their top-level members only (RunStore::latest_runs).
  std::map<std::string, RunRecord> latest_runs(bool light = false);
  std::map<std::string, Timestamp> last_successes();
  // Each of `tasks`' newest runs (skipped slots included), newest first, at most `per_task`
  // each, created at or after `since` when given: one query per 100 tasks, reading only the
  // runs returned (store::RunStore::recent_runs). The runs' config is left empty and their
  // result has its top-level members only (nested arrays keep their length).
  std::map<std::string, std::vector<RunRecord>> recent_runs(
      const std::vector<std::string>& tasks, int per_task,
      std::optional<Timestamp> since = std::nullopt);
  // The handler behind `type` (canonical, as runs record it) and so its headline
  // (registry::HandlerInfo::headline); null when no handler of the loaded configuration has it.
  const registry::HandlerInfo* handler(const std::string& type) const;

  // ---- Control. `via` names the interface in the log ("the admin API", "the dashboard"). ----
  Expected<RunId, scheduler::RunNowRefusal> run_now(const scheduler::RunNowRequest& request);
  scheduler::CancelOutcome cancel(RunId id);
  // set_task_enabled, then the daemon re-reads scheduled_tasks. Waits (up to apply_wait, on a
  // condition, not a poll) for that re-read, so that a page shown next already has the change;
  // a daemon that is stopping or slow does not hold the caller longer.
  ToggleOutcome set_enabled(const std::string& name, bool enabled, std::string_view via);
  // Applies a JSON merge patch (RFC 7396) over the task's definition as a schedule-file entry,
  // validated and written as `maintd task edit` does (tasks/task_edit.hpp). `patch` is an object
  // that does not rename the task (the caller checked). A change is logged and re-read.
  Expected<EditOutcome, EditRefusal> edit(const std::string& name, const nlohmann::json& patch,
                                          std::string_view via);

  // ---- Pause (pause_control.hpp): every daemon sharing the state database. ----
  // Pauses, or changes the current pause; the daemon notices at once (the others at their next
  // claim). A refusal is the reason; nothing was written.
  Expected<PauseOutcome, std::string> pause(const PauseAsk& ask, std::string_view via);
  // Ends the current pause; empty when there was none.
  std::optional<PauseRecord> resume(const std::string& by, std::string_view via);
  // The current pause, read from the state database now.
  std::optional<PauseRecord> current_pause();
  // The pause as the daemon last read it: no query (for every page of the dashboard).
  std::optional<PauseRecord> pause_as_seen() const { return daemon_.last_pause(); }

  // ---- One-off runs (one_off.hpp). ----
  // Records a one-off run; the daemon plans its start at once.
  Expected<RunRecord, OneOffRefusal> schedule_one_off(const OneOffAsk& ask, std::string_view via);
  // The one-off runs waiting, earliest first (of one task, or all), read now.
  std::vector<RunRecord> waiting_one_offs(const std::optional<std::string>& task = std::nullopt);
  // The one-off runs waiting as the daemon last read them: no query.
  std::vector<RunRecord> one_offs_as_seen() const { return daemon_.waiting_one_offs(); }

  // ---- Health. ----
  scheduler::Readiness readiness() const { return daemon_.readiness(); }
  // The Prometheus text of /metrics (reads the last successes from the state database).
  std::string metrics_text() { return daemon_.metrics().render(daemon_.scrape()); }

 private:
  scheduler::Daemon& daemon_;
  std::chrono::milliseconds apply_wait_;
};

}  // namespace maintd::service
