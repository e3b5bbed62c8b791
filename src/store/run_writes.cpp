#include "store/run_writes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "common/json_text.hpp"
#include "common/utf8.hpp"
#include "store/run_store.hpp"

namespace maintd::store::run_writes {
namespace {

// A statement bound once to the values it reads, prepared at its first execution.
template <class Values>
class Reused {
 public:
  // Executes `query` with `values` as they are now; returns the rows it changed.
  long long execute(soci::session& sql, const std::string& query, bool reuse) {
    run(sql, query, reuse);
    return statement_->get_affected_rows();
  }
  // The same; returns whether it produced a row (RETURNING).
  bool run(soci::session& sql, const std::string& query, bool reuse) {
    if (!statement_) {
      statement_.emplace(sql);
      values_.bind(*statement_);
      statement_->alloc();
      statement_->prepare(
          query, reuse ? soci::details::st_repeatable_query : soci::details::st_one_time_query);
      statement_->define_and_bind();
    } else if (!reuse) {
      throw std::logic_error("a single-use RunWriter statement executed twice");
    }
    return statement_->execute(true);
  }
  Values& values() { return values_; }

 private:
  Values values_;
  std::optional<soci::statement> statement_;
};

// A slot's claim: UNIQUE (task_name, scheduled_for) decides, the loser's insert does nothing
// and returns no row. NULL slots (manual runs) are distinct from each other, so they never
// conflict.
constexpr const char* kClaimInsert =
    "INSERT INTO maintd_runs (task_name, task_type, trigger_type, scheduled_for, status, attempt, "
    "dry_run, config, created_at, error, finished_at, due_at) VALUES (:task, :type, :trig, "
    ":slot, :status, :attempt, :dry, :config, :now, :error, :finished, :due) ON CONFLICT "
    "(task_name, scheduled_for) DO NOTHING RETURNING id";

// The values kClaimInsert is bound to: set() copies one run in, so that a prepared statement can
// be executed again for the next run.
struct ClaimValues {
  // Set by the statement: the inserted row's id, when it was inserted.
  std::string task_name, task_type, trigger, slot, status, config, error, now, due;
  soci::indicator slot_ind = soci::i_null, error_ind = soci::i_null, finished_ind = soci::i_null,
                  due_ind = soci::i_null;
  int attempt = 1, dry_run = 0;
  long long id = 0;

  void set(const NewRun& run) {
    task_name = run.task_name;
    task_type = run.task_type;
    trigger = to_string(run.trigger);
    slot = run.scheduled_for ? format_timestamp(*run.scheduled_for) : "";
    slot_ind = run.scheduled_for ? soci::i_ok : soci::i_null;
    status = to_string(run.status);
    attempt = run.attempt;
    dry_run = run.dry_run ? 1 : 0;
    config = json_text(run.config);
    error = valid_utf8(run.error);
    error_ind = run.error.empty() ? soci::i_null : soci::i_ok;
    // A skipped run is final from the start.
    finished_ind = is_terminal(run.status) ? soci::i_ok : soci::i_null;
    due = run.due_at ? format_timestamp(*run.due_at) : "";
    due_ind = run.due_at ? soci::i_ok : soci::i_null;
  }

  void bind(soci::statement& st) {
    st.exchange(soci::into(id));
    st.exchange(soci::use(task_name));
    st.exchange(soci::use(task_type));
    st.exchange(soci::use(trigger));
    st.exchange(soci::use(slot, slot_ind));
    st.exchange(soci::use(status));
    st.exchange(soci::use(attempt));
    st.exchange(soci::use(dry_run));
    st.exchange(soci::use(config));
    st.exchange(soci::use(now));
    st.exchange(soci::use(error, error_ind));
    st.exchange(soci::use(now, finished_ind));
    st.exchange(soci::use(due, due_ind));
  }
};

struct StartValues {
  std::string at, instance, host;
  long long pid = 0;
  RunId id = 0;
  void bind(soci::statement& st) {
    st.exchange(soci::use(at));
    st.exchange(soci::use(instance));
    st.exchange(soci::use(host));
    st.exchange(soci::use(pid));
    st.exchange(soci::use(id));
  }
};

struct FinishValues {
  std::string status, at, result, error;
  soci::indicator error_ind = soci::i_null;
  RunId id = 0;
  void bind(soci::statement& st) {
    st.exchange(soci::use(status));
    st.exchange(soci::use(at));
    st.exchange(soci::use(result));
    st.exchange(soci::use(error, error_ind));
    st.exchange(soci::use(id));
  }
};

struct EventValues {
  RunId id = 0;
  std::string at, level, event, message;
  void bind(soci::statement& st) {
    st.exchange(soci::use(id));
    st.exchange(soci::use(at));
    st.exchange(soci::use(level));
    st.exchange(soci::use(event));
    st.exchange(soci::use(message));
  }
};

constexpr const char* kFinish =
    "UPDATE maintd_runs SET status = :status, finished_at = :now, result = :result, "
    "error = :error WHERE id = :id AND ";

}  // namespace

struct RunWriter::Statements {
  Statements(soci::session& session, bool reuse_statements)
      : sql(session), reuse(reuse_statements) {}
  soci::session& sql;
  bool reuse;
  std::string start_query;
  Reused<ClaimValues> claim;
  Reused<StartValues> start;
  // Two texts: a late completion of an abandoned run is accepted only for some outcomes.
  Reused<FinishValues> finish, finish_late;
  Reused<EventValues> event;
};

RunWriter::RunWriter(soci::session& sql, const Database& database, bool reuse)
    : statements_(std::make_unique<Statements>(sql, reuse)) {
  statements_->start_query =
      "UPDATE maintd_runs SET status = 'running', started_at = :now, heartbeat_at = " +
      database.now_expression() +
      ", instance_id = :instance, host = :host, pid = :pid WHERE id = :id AND status = 'pending'";
}

RunWriter::~RunWriter() = default;

void check_final(RunStatus outcome) {
  if (!is_terminal(outcome) || outcome == RunStatus::skipped) {
    throw std::logic_error(fmt::format("finish() with non-final status {}", to_string(outcome)));
  }
}

std::optional<RunId> RunWriter::claim(const NewRun& run, const std::string& now) {
  auto& s = *statements_;
  auto& values = s.claim.values();
  values.now = now;
  values.set(run);
  if (!s.claim.run(s.sql, kClaimInsert, s.reuse)) return std::nullopt;
  return values.id;
}

std::vector<std::optional<RunId>> RunWriter::claim_all(const std::vector<NewRun>& runs,
                                                       const std::string& now) {
  std::vector<std::size_t> order(runs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(runs[a].task_name, runs[a].scheduled_for) <
           std::tie(runs[b].task_name, runs[b].scheduled_for);
  });
  std::vector<std::optional<RunId>> ids(runs.size());
  for (const std::size_t i : order) ids[i] = claim(runs[i], now);
  return ids;
}

bool RunWriter::start(RunId id, const Worker& worker, const std::string& at) {
  auto& s = *statements_;
  auto& values = s.start.values();
  values.at = at;
  values.instance = worker.instance_id;
  values.host = worker.host;
  values.pid = worker.pid;
  values.id = id;
  return s.start.execute(s.sql, s.start_query, s.reuse) == 1;
}

bool RunWriter::finish(RunId id, RunStatus outcome, const std::string& result,
                       const std::string& error, const std::string& at) {
  check_final(outcome);
  auto& s = *statements_;
  // A late completion of an abandoned run is accepted: the work did finish.
  const bool late_allowed = can_transition(RunStatus::abandoned, outcome);
  auto& statement = late_allowed ? s.finish_late : s.finish;
  auto& values = statement.values();
  values.status = std::string(to_string(outcome));
  values.at = at;
  values.result = result;
  // Handlers' words are not guaranteed to be UTF-8, and PostgreSQL refuses a statement carrying
  // an invalid sequence: the run's record would be lost for a byte (common/utf8.hpp).
  values.error = valid_utf8(error);
  values.error_ind = error.empty() ? soci::i_null : soci::i_ok;
  values.id = id;
  return statement.execute(
             s.sql,
             std::string(kFinish) +
                 (late_allowed ? "status IN ('running', 'abandoned')" : "status = 'running'"),
             s.reuse) == 1;
}

void RunWriter::add_event(RunId id, const std::string& level, const std::string& event,
                          const std::string& message, const std::string& at) {
  auto& s = *statements_;
  auto& values = s.event.values();
  values.id = id;
  values.at = at;
  values.level = level;
  values.event = event;
  values.message = valid_utf8(message);
  s.event.execute(s.sql,
                  "INSERT INTO maintd_run_events (run_id, at, level, event, message) "
                  "VALUES (:run, :at, :level, :event, :message)",
                  s.reuse);
}

}  // namespace maintd::store::run_writes
