#include "store/run_writes.hpp"

#include <fmt/format.h>

#include <optional>
#include <stdexcept>

#include "store/run_store.hpp"

namespace maintd::store::run_writes {
namespace {

// A statement bound once to the values it reads, prepared at its first execution.
template <class Values>
class Reused {
 public:
  // Executes `query` with `values` as they are now; returns the rows it changed.
  long long execute(soci::session& sql, const std::string& query, bool reuse) {
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
    statement_->execute(true);
    return statement_->get_affected_rows();
  }
  Values& values() { return values_; }

 private:
  Values values_;
  std::optional<soci::statement> statement_;
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
    "UPDATE task_runs SET status = :status, finished_at = :now, result = :result, "
    "error = :error WHERE id = :id AND ";

}  // namespace

struct RunWriter::Statements {
  soci::session& sql;
  bool reuse;
  std::string start_query;
  Reused<StartValues> start;
  // Two texts: a late completion of an abandoned run is accepted only for some outcomes.
  Reused<FinishValues> finish, finish_late;
  Reused<EventValues> event;
};

RunWriter::RunWriter(soci::session& sql, const Database& database, bool reuse)
    : statements_(std::make_unique<Statements>(
          Statements{sql,
                     reuse,
                     "UPDATE task_runs SET status = 'running', started_at = :now, heartbeat_at = " +
                         database.now_expression() +
                         ", instance_id = :instance, host = :host, pid = :pid "
                         "WHERE id = :id AND status = 'pending'",
                     {},
                     {},
                     {},
                     {}})) {}

RunWriter::~RunWriter() = default;

void check_final(RunStatus outcome) {
  if (!is_terminal(outcome) || outcome == RunStatus::skipped) {
    throw std::logic_error(fmt::format("finish() with non-final status {}", to_string(outcome)));
  }
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
  values.error = error;
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
  values.message = message;
  s.event.execute(s.sql,
                  "INSERT INTO run_events (run_id, at, level, event, message) "
                  "VALUES (:run, :at, :level, :event, :message)",
                  s.reuse);
}

}  // namespace maintd::store::run_writes
