#pragma once
// The dashboard's view models (dashboard_view.hpp) built from what the service reads: runs in
// words and numbers (their handler's headline, registry/headline.hpp), tasks with their strip of
// recent runs, the overview's order. No HTTP here: tests build models from records by hand.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/instant.hpp"
#include "config/config.hpp"
#include "http/dashboard_view.hpp"
#include "registry/headline.hpp"
#include "scheduler/overdue_watch.hpp"
#include "service/records.hpp"

namespace maintd::service {
class Service;
}

namespace maintd::http::dashboard {

// Abandoned, or pending/running with its heartbeat (or, before the first, its creation) older
// than `lease` at `now`: the process that owns it died or hangs.
bool is_stale(const service::RunRecord& run, service::Timestamp now, std::chrono::seconds lease);

// A run as the pages show it. With its handler's `headline`, a run that kept a result (it
// completed, or was cancelled or timed out after it returned) gets its headline count and its
// result in words; a failed run has its error instead.
RunSummary summarize_run(const service::RunRecord& run, service::Timestamp now,
                         std::chrono::seconds lease, const registry::Headline* headline = nullptr);
EventLine event_line(const service::RunEvent& event);

// The headline of each type a page's runs have, looked up once per type (service.handler()).
class Headlines {
 public:
  explicit Headlines(service::Service& service) : service_(service) {}
  const registry::Headline* of(const std::string& type);

 private:
  service::Service& service_;
  std::map<std::string, const registry::Headline*> known_;
};

// A task's definition as the pages show it (next slot from the daemon's plan).
TaskSummary summarize_task(const config::Task& task, service::Service& service, Instant now);
// "no completed run for 3h (expected within 2h)".
std::string overdue_text(const scheduler::OverdueTask& overdue, Instant now);

// `runs` (newest first, as the service reads them) as the task's strip of marks and its
// duration sparkline, oldest first.
void add_recent_runs(TaskSummary& task, const std::vector<RunSummary>& runs_newest_first);

// Where a task goes in the overview: overdue first, then failing (its last run failed or timed
// out), then running, then the rest; lower is earlier.
int overview_rank(const TaskSummary& task);

}  // namespace maintd::http::dashboard
