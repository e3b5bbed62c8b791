#include "store/run_store.hpp"

#include <fmt/format.h>

#include "store/store_error.hpp"

namespace maintd::store {
namespace {

constexpr const char* kRunColumns =
    "id, task_name, task_type, trigger_type, scheduled_for, status, attempt, dry_run, config, "
    "instance_id, host, pid, heartbeat_at, created_at, started_at, finished_at, result, error";

// One row of task_runs as SOCI delivers it: plain values and null indicators. Binding into fixed
// C++ types lets each backend convert (SQLite and PostgreSQL report integer widths differently).
struct RunRow {
  long long id = 0;
  std::string task_name, task_type, trigger, scheduled_for, status;
  int attempt = 1, dry_run = 0;
  std::string config, instance_id, host;
  long long pid = 0;
  std::string heartbeat_at, created_at, started_at, finished_at, result, error;
  soci::indicator scheduled_for_ind{}, instance_id_ind{}, host_ind{}, pid_ind{}, heartbeat_ind{},
      started_ind{}, finished_ind{}, result_ind{}, error_ind{};

  void bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::into(task_name));
    st.exchange(soci::into(task_type));
    st.exchange(soci::into(trigger));
    st.exchange(soci::into(scheduled_for, scheduled_for_ind));
    st.exchange(soci::into(status));
    st.exchange(soci::into(attempt));
    st.exchange(soci::into(dry_run));
    st.exchange(soci::into(config));
    st.exchange(soci::into(instance_id, instance_id_ind));
    st.exchange(soci::into(host, host_ind));
    st.exchange(soci::into(pid, pid_ind));
    st.exchange(soci::into(heartbeat_at, heartbeat_ind));
    st.exchange(soci::into(created_at));
    st.exchange(soci::into(started_at, started_ind));
    st.exchange(soci::into(finished_at, finished_ind));
    st.exchange(soci::into(result, result_ind));
    st.exchange(soci::into(error, error_ind));
  }

  RunRecord record() const {
    auto stamp = [](const std::string& text, soci::indicator ind) -> std::optional<Timestamp> {
      if (ind != soci::i_ok) return std::nullopt;
      return parse_timestamp(text);
    };
    RunRecord r;
    r.id = id;
    r.task_name = task_name;
    r.task_type = task_type;
    r.trigger = parse_trigger(trigger).value_or(Trigger::manual);
    if (auto at = stamp(scheduled_for, scheduled_for_ind)) {
      r.scheduled_for = std::chrono::time_point_cast<std::chrono::seconds>(*at);
    }
    // A status this maintd does not know (a newer version wrote it) reads as failed, not as
    // something that could still be running.
    r.status = parse_run_status(status).value_or(RunStatus::failed);
    r.attempt = attempt;
    r.dry_run = dry_run != 0;
    r.config = nlohmann::json::parse(config, nullptr, false);
    if (r.config.is_discarded()) r.config = nlohmann::json::object();
    if (instance_id_ind == soci::i_ok) r.instance_id = instance_id;
    if (host_ind == soci::i_ok) r.host = host;
    if (pid_ind == soci::i_ok) r.pid = pid;
    r.heartbeat_at = stamp(heartbeat_at, heartbeat_ind);
    r.created_at = parse_timestamp(created_at).value_or(Timestamp{});
    r.started_at = stamp(started_at, started_ind);
    r.finished_at = stamp(finished_at, finished_ind);
    if (result_ind == soci::i_ok) {
      r.result = nlohmann::json::parse(result, nullptr, false);
      if (r.result.is_discarded()) r.result = nullptr;
    }
    if (error_ind == soci::i_ok) r.error = error;
    return r;
  }
};

// Runs a statement that changes rows; returns how many it changed.
template <class... Uses>
long long execute_update(soci::session& sql, const std::string& query, Uses&&... uses) {
  soci::statement st(sql);
  (st.exchange(std::forward<Uses>(uses)), ...);
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute(true);
  return st.get_affected_rows();
}

// Wraps SOCI failures: a lost connection or a locked database is "unavailable".
template <class F>
auto guarded(const Database& database, const char* what, F&& body) {
  try {
    return body();
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    const std::string reason = e.what();
    const bool unavailable = reason.find("locked") != std::string::npos ||
                             reason.find("connection") != std::string::npos ||
                             reason.find("server closed") != std::string::npos ||
                             reason.find("no such table") != std::string::npos;
    const std::string message =
        fmt::format("state database {}: {} failed: {}", database.display(), what, reason);
    if (unavailable) throw StoreUnavailable(message);
    throw StoreError(message);
  }
}

}  // namespace

RunStore::RunStore(std::shared_ptr<Database> database, Clock clock)
    : database_(std::move(database)), clock_(std::move(clock)) {}

std::optional<RunId> RunStore::claim_slot(const NewRun& run) {
  return guarded(*database_, "claiming a slot", [&]() -> std::optional<RunId> {
    soci::session sql(database_->pool());
    const std::string now = format_timestamp(clock_());
    std::string slot = run.scheduled_for ? format_timestamp(*run.scheduled_for) : "";
    soci::indicator slot_ind = run.scheduled_for ? soci::i_ok : soci::i_null;
    std::string trigger(to_string(run.trigger)), status(to_string(run.status));
    std::string config = run.config.dump(), error = run.error;
    soci::indicator error_ind = run.error.empty() ? soci::i_null : soci::i_ok;
    int dry_run = run.dry_run ? 1 : 0;
    soci::indicator finished_ind = run.status == RunStatus::skipped ? soci::i_ok : soci::i_null;
    long long id = 0;
    soci::statement st =
        (sql.prepare << "INSERT INTO task_runs (task_name, task_type, trigger_type, "
                        "scheduled_for, status, attempt, dry_run, config, created_at, error, "
                        "finished_at) VALUES (:task, :type, :trig, :slot, :status, :attempt, "
                        ":dry, :config, :now, :error, :finished) "
                        "ON CONFLICT (task_name, scheduled_for) DO NOTHING RETURNING id",
         soci::use(run.task_name), soci::use(run.task_type), soci::use(trigger),
         soci::use(slot, slot_ind), soci::use(status), soci::use(run.attempt), soci::use(dry_run),
         soci::use(config), soci::use(now), soci::use(error, error_ind),
         soci::use(now, finished_ind), soci::into(id));
    st.execute(true);
    if (!st.got_data()) return std::nullopt;
    return id;
  });
}

RunId RunStore::create_run(const NewRun& run) {
  NewRun manual = run;
  manual.scheduled_for.reset();  // NULLs never conflict: every manual run is inserted
  auto id = claim_slot(manual);
  if (!id) throw StoreError("inserting a manual run returned no id");
  return *id;
}

bool RunStore::start(RunId id, const Worker& worker) {
  return guarded(*database_, "starting a run", [&] {
    soci::session sql(database_->pool());
    const std::string now = format_timestamp(clock_());
    return execute_update(
               sql,
               "UPDATE task_runs SET status = 'running', started_at = :now, heartbeat_at = :now2, "
               "instance_id = :instance, host = :host, pid = :pid "
               "WHERE id = :id AND status = 'pending'",
               soci::use(now), soci::use(now), soci::use(worker.instance_id),
               soci::use(worker.host), soci::use(worker.pid), soci::use(id)) == 1;
  });
}

bool RunStore::finish(RunId id, RunStatus outcome, const nlohmann::json& result,
                      const std::string& error) {
  if (!is_terminal(outcome) || outcome == RunStatus::skipped) {
    throw std::logic_error(fmt::format("finish() with non-final status {}", to_string(outcome)));
  }
  // A late completion of an abandoned run is accepted: the work did finish.
  const bool late_allowed = can_transition(RunStatus::abandoned, outcome);
  return guarded(*database_, "finishing a run", [&] {
    soci::session sql(database_->pool());
    const std::string now = format_timestamp(clock_());
    std::string status(to_string(outcome)), result_text = result.dump(), error_text = error;
    soci::indicator error_ind = error.empty() ? soci::i_null : soci::i_ok;
    return execute_update(
               sql,
               std::string("UPDATE task_runs SET status = :status, finished_at = :now, "
                           "result = :result, error = :error WHERE id = :id AND ") +
                   (late_allowed ? "status IN ('running', 'abandoned')" : "status = 'running'"),
               soci::use(status), soci::use(now), soci::use(result_text),
               soci::use(error_text, error_ind), soci::use(id)) == 1;
  });
}

bool RunStore::heartbeat(RunId id) {
  return guarded(*database_, "renewing a heartbeat", [&] {
    soci::session sql(database_->pool());
    const std::string now = format_timestamp(clock_());
    return execute_update(sql,
                          "UPDATE task_runs SET heartbeat_at = :now "
                          "WHERE id = :id AND status = 'running'",
                          soci::use(now), soci::use(id)) == 1;
  });
}

bool RunStore::transition(RunId id, RunStatus from, RunStatus to, const std::string& error) {
  if (!can_transition(from, to)) {
    throw std::logic_error(fmt::format("no transition {} -> {}", to_string(from), to_string(to)));
  }
  return guarded(*database_, "changing a run's status", [&] {
    soci::session sql(database_->pool());
    const std::string now = format_timestamp(clock_());
    std::string from_text(to_string(from)), to_text(to_string(to)), error_text = error;
    soci::indicator error_ind = error.empty() ? soci::i_null : soci::i_ok;
    soci::indicator finished_ind = is_terminal(to) ? soci::i_ok : soci::i_null;
    return execute_update(sql,
                          "UPDATE task_runs SET status = :to, error = COALESCE(:error, error), "
                          "finished_at = COALESCE(:finished, finished_at) "
                          "WHERE id = :id AND status = :from",
                          soci::use(to_text), soci::use(error_text, error_ind),
                          soci::use(now, finished_ind), soci::use(id), soci::use(from_text)) == 1;
  });
}

void RunStore::add_event(RunId id, const std::string& level, const std::string& event,
                         const std::string& message) {
  guarded(*database_, "recording a run event", [&] {
    soci::session sql(database_->pool());
    const std::string now = format_timestamp(clock_());
    sql << "INSERT INTO run_events (run_id, at, level, event, message) "
           "VALUES (:run, :at, :level, :event, :message)",
        soci::use(id), soci::use(now), soci::use(level), soci::use(event), soci::use(message);
    return 0;
  });
}

std::optional<RunRecord> RunStore::get(RunId id) {
  return guarded(*database_, "reading a run", [&]() -> std::optional<RunRecord> {
    soci::session sql(database_->pool());
    RunRow row;
    soci::statement st(sql);
    row.bind(st);
    st.exchange(soci::use(id));
    st.alloc();
    st.prepare(fmt::format("SELECT {} FROM task_runs WHERE id = :id", kRunColumns));
    st.define_and_bind();
    st.execute(true);
    if (!st.got_data()) return std::nullopt;
    return row.record();
  });
}

std::vector<RunEvent> RunStore::events(RunId id) {
  return guarded(*database_, "reading run events", [&] {
    soci::session sql(database_->pool());
    std::vector<RunEvent> out;
    RunEvent event;
    std::string at;
    long long event_id = 0;
    soci::statement st = (sql.prepare << "SELECT id, at, level, event, message FROM run_events "
                                         "WHERE run_id = :run ORDER BY id",
                          soci::into(event_id), soci::into(at), soci::into(event.level),
                          soci::into(event.event), soci::into(event.message), soci::use(id));
    st.execute();
    while (st.fetch()) {
      event.id = event_id;
      event.run_id = id;
      event.at = parse_timestamp(at).value_or(Timestamp{});
      out.push_back(event);
    }
    return out;
  });
}

std::vector<RunRecord> RunStore::history(const HistoryFilter& filter) {
  return guarded(*database_, "reading run history", [&] {
    soci::session sql(database_->pool());
    // Only the filters given become predicates: PostgreSQL cannot type a bare "$1 IS NULL".
    std::string task = filter.task.value_or(""), status, since;
    if (filter.status) status = std::string(to_string(*filter.status));
    if (filter.since) since = format_timestamp(*filter.since);
    int limit = filter.limit;
    RunRow row;
    soci::statement st(sql);
    row.bind(st);
    std::string where = "1 = 1";
    if (filter.task) {
      where += " AND task_name = :task";
      st.exchange(soci::use(task));
    }
    if (filter.status) {
      where += " AND status = :status";
      st.exchange(soci::use(status));
    }
    if (filter.since) {
      where += " AND created_at >= :since";
      st.exchange(soci::use(since));
    }
    st.exchange(soci::use(limit));
    st.alloc();
    st.prepare(fmt::format("SELECT {} FROM task_runs WHERE {} ORDER BY id DESC LIMIT :limit",
                           kRunColumns, where));
    st.define_and_bind();
    st.execute();
    std::vector<RunRecord> out;
    while (st.fetch()) out.push_back(row.record());
    return out;
  });
}

std::vector<RunRecord> RunStore::active_runs(const std::string& task_name) {
  return guarded(*database_, "reading active runs", [&] {
    soci::session sql(database_->pool());
    RunRow row;
    std::string task = task_name;
    soci::statement st(sql);
    row.bind(st);
    st.exchange(soci::use(task));
    st.alloc();
    st.prepare(
        fmt::format("SELECT {} FROM task_runs WHERE task_name = :task AND status IN "
                    "('pending', 'running') ORDER BY id",
                    kRunColumns));
    st.define_and_bind();
    st.execute();
    std::vector<RunRecord> out;
    while (st.fetch()) out.push_back(row.record());
    return out;
  });
}

}  // namespace maintd::store
