#include "store/run_store.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "common/utf8.hpp"
#include "store/run_writes.hpp"
#include "store/store_error.hpp"

namespace maintd::store {
namespace {

constexpr const char* kRunColumns =
    "id, task_name, task_type, trigger_type, scheduled_for, status, attempt, dry_run, config, "
    "instance_id, host, pid, heartbeat_at, created_at, started_at, finished_at, result, error, "
    "due_at";

// A one-off run waiting for its time: not in progress, holds no lease, is not a task's last run.
constexpr const char* kNotWaitingOneOff = "NOT (status = 'pending' AND trigger_type = 'once')";

// A run's result as the views of many runs read it: its top-level members, a nested array as
// that many nulls (its length is a count: runs.check_resume's `cleaned`), a nested object as {}.
// A result holds up to 100 ids per list (claims, jobs, drafts): a page of 5,000 runs parsed whole
// spent most of its time building and freeing those strings. Not JSON, or not an object: null.
class TopLevelMembers : public nlohmann::json_sax<nlohmann::json> {
 public:
  nlohmann::json out = nlohmann::json::object();

  bool null() override { return value(nullptr); }
  bool boolean(bool v) override { return value(v); }
  bool number_integer(number_integer_t v) override { return value(v); }
  bool number_unsigned(number_unsigned_t v) override { return value(v); }
  bool number_float(number_float_t v, const string_t&) override { return value(v); }
  bool string(string_t& v) override { return value(std::move(v)); }
  bool binary(binary_t&) override { return value(nullptr); }
  bool start_object(std::size_t) override { return open(false); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_array() override { return close(); }
  bool key(string_t& name) override {
    if (depth_ == 1) key_ = std::move(name);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    out = nullptr;
    return false;
  }

 private:
  bool value(nlohmann::json v) {
    if (depth_ == 1) {
      out[key_] = std::move(v);
    } else if (depth_ == 2 && in_array_) {
      ++elements_;
    } else if (depth_ == 0) {
      out = nullptr;  // a bare value, not an object
      return false;
    }
    return true;
  }
  bool open(bool array) {
    if (depth_ == 0 && array) {
      out = nullptr;
      return false;
    }
    if (depth_ == 2 && in_array_) ++elements_;
    if (depth_ == 1) {
      in_array_ = array;
      elements_ = 0;
    }
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    if (depth_ == 1) {
      nlohmann::json nested = in_array_ ? nlohmann::json::array() : nlohmann::json::object();
      if (in_array_) nested.get_ref<nlohmann::json::array_t&>().resize(elements_);
      out[key_] = std::move(nested);
      in_array_ = false;
    }
    return true;
  }

  std::size_t depth_ = 0;
  std::string key_;
  bool in_array_ = false;     // the member being read at depth 2 is an array
  std::size_t elements_ = 0;  // its elements so far
};

nlohmann::json top_level_members(const std::string& text) {
  TopLevelMembers members;
  // nlohmann's SAX parser keeps its own stack (no recursion), whatever the nesting.
  if (!nlohmann::json::sax_parse(text, &members)) {
    return nullptr;
  }
  return std::move(members.out);
}

// One row of maintd_runs as SOCI delivers it: plain values and null indicators. Binding into fixed
// C++ types lets each backend convert (SQLite and PostgreSQL report integer widths differently).
struct RunRow {
  long long id = 0;
  std::string task_name, task_type, trigger, scheduled_for, status;
  int attempt = 1, dry_run = 0;
  std::string config, instance_id, host;
  long long pid = 0;
  std::string heartbeat_at, created_at, started_at, finished_at, result, error, due_at;
  soci::indicator scheduled_for_ind{}, instance_id_ind{}, host_ind{}, pid_ind{}, heartbeat_ind{},
      started_ind{}, finished_ind{}, result_ind{}, error_ind{}, due_ind{};

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
    st.exchange(soci::into(due_at, due_ind));
  }

  // `light`: the result read as top_level_members() does (the views of many runs), the config
  // not at all.
  RunRecord record(bool light = false) const {
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
    // Written by maintd, but the table is anyone's to change: parsed as outside input.
    if (light) {
      r.config = nlohmann::json::object();
    } else {
      auto parsed_config = parse_json(config);
      r.config = parsed_config ? std::move(parsed_config).value() : nlohmann::json::object();
    }
    if (instance_id_ind == soci::i_ok) r.instance_id = instance_id;
    if (host_ind == soci::i_ok) r.host = host;
    if (pid_ind == soci::i_ok) r.pid = pid;
    r.heartbeat_at = stamp(heartbeat_at, heartbeat_ind);
    r.created_at = parse_timestamp(created_at).value_or(Timestamp{});
    r.started_at = stamp(started_at, started_ind);
    r.finished_at = stamp(finished_at, finished_ind);
    if (result_ind == soci::i_ok) {
      if (light) {
        r.result = top_level_members(result);
      } else {
        auto parsed_result = parse_json(result);
        r.result = parsed_result ? std::move(parsed_result).value() : nlohmann::json();
      }
    }
    if (error_ind == soci::i_ok) r.error = error;
    if (auto due = stamp(due_at, due_ind)) {
      r.due_at = std::chrono::time_point_cast<std::chrono::seconds>(*due);
    }
    return r;
  }
};

using run_writes::execute_update;
using run_writes::prepare_once;

// Runs a query for runs and collects them.
template <class... Uses>
std::vector<RunRecord> select_runs(soci::session& sql, const std::string& where_and_order,
                                   bool light, Uses&&... uses) {
  RunRow row;
  soci::statement st(sql);
  row.bind(st);
  (st.exchange(std::forward<Uses>(uses)), ...);
  prepare_once(st, fmt::format("SELECT {} FROM maintd_runs {}", kRunColumns, where_and_order));
  std::vector<RunRecord> out;
  if (st.execute(true)) {
    do {
      out.push_back(row.record(light));
    } while (st.fetch());
  }
  return out;
}

}  // namespace

RunStore::RunStore(std::shared_ptr<Database> database, Clock clock)
    : database_(std::move(database)), clock_(std::move(clock)) {}

std::optional<RunId> RunStore::claim_slot(const NewRun& run) {
  return database_->with_session("claiming a slot", [&](soci::session& sql) {
    return run_writes::RunWriter(sql, *database_, false).claim(run, format_timestamp(clock_()));
  });
}

std::vector<std::optional<RunId>> RunStore::claim_slots(const std::vector<NewRun>& runs) {
  std::vector<std::optional<RunId>> ids(runs.size());
  if (runs.empty()) return ids;
  return database_->with_session("claiming slots", [&](soci::session& sql) {
    run_writes::in_write_transaction(sql, database_->dialect(), [&] {
      run_writes::RunWriter writer(sql, *database_, true);
      ids = writer.claim_all(runs, format_timestamp(clock_()));
    });
    return ids;
  });
}

RunId RunStore::create_run(const NewRun& run) {
  NewRun manual = run;
  manual.scheduled_for.reset();  // NULLs never conflict: every manual run is inserted
  auto id = claim_slot(manual);
  if (!id) throw StoreError("inserting a manual run returned no id");
  return *id;
}

// Leases (DESIGN.md): heartbeat_at is written, and compared in abandon_expired(), with the
// DATABASE's clock, never the instance's. Several instances share one database; if each wrote
// its own time, an instance whose clock runs ahead would see every other instance's runs as
// stale and abandon live work, and one whose clock runs behind would keep dead runs for as long
// as it is behind. Comparing the database's clock with itself makes the lease exact whatever the
// hosts' clocks say. started_at and finished_at stay on the instance's clock (the injectable
// Clock), so that a run's duration is measured by one clock.
bool RunStore::start(RunId id, const Worker& worker) {
  return database_->with_session("starting a run", [&](soci::session& sql) {
    return run_writes::RunWriter(sql, *database_, false)
        .start(id, worker, format_timestamp(clock_()));
  });
}

bool RunStore::finish(RunId id, RunStatus outcome, const nlohmann::json& result,
                      const std::string& error) {
  run_writes::check_final(outcome);
  return database_->with_session("finishing a run", [&](soci::session& sql) {
    return run_writes::RunWriter(sql, *database_, false)
        .finish(id, outcome, json_text(result), error, format_timestamp(clock_()));
  });
}

bool RunStore::heartbeat(RunId id) {
  return database_->with_session("renewing a heartbeat", [&](soci::session& sql) {
    return execute_update(sql,
                          "UPDATE maintd_runs SET heartbeat_at = " + database_->now_expression() +
                              " WHERE id = :id AND status IN ('pending', 'running')",
                          soci::use(id)) == 1;
  });
}

bool RunStore::transition(RunId id, RunStatus from, RunStatus to, const std::string& error) {
  if (!can_transition(from, to)) {
    throw std::logic_error(fmt::format("no transition {} -> {}", to_string(from), to_string(to)));
  }
  return database_->with_session("changing a run's status", [&](soci::session& sql) {
    const std::string now = format_timestamp(clock_());
    std::string from_text(to_string(from)), to_text(to_string(to)), error_text = valid_utf8(error);
    soci::indicator error_ind = error.empty() ? soci::i_null : soci::i_ok;
    // Only the columns the new status sets; no parameter appears where PostgreSQL could not
    // infer its type.
    std::string sets = "status = :to";
    if (!error.empty()) sets += ", error = :error";
    if (to == RunStatus::running) {
      // As start() does, so that the lease applies to this run too.
      sets += ", started_at = :now, heartbeat_at = " + database_->now_expression();
    } else if (is_terminal(to)) {
      sets += ", finished_at = :now";
    }
    soci::statement st(sql);
    st.exchange(soci::use(to_text));
    if (!error.empty()) st.exchange(soci::use(error_text, error_ind));
    if (to == RunStatus::running || is_terminal(to)) st.exchange(soci::use(now));
    st.exchange(soci::use(id));
    st.exchange(soci::use(from_text));
    prepare_once(st, "UPDATE maintd_runs SET " + sets + " WHERE id = :id AND status = :from");
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

std::vector<RunId> RunStore::abandon_expired(std::chrono::seconds lease) {
  if (lease.count() <= 0) throw std::logic_error("abandon_expired() with a lease of 0 s or less");
  return database_->with_session("abandoning expired runs", [&](soci::session& sql) {
    std::string error =
        fmt::format("no heartbeat for more than {} s: lease expired", lease.count());
    long long id = 0;
    soci::statement st(sql);
    st.exchange(soci::into(id));
    st.exchange(soci::use(error));
    // Both sides of the comparison come from the database's clock (see start()). A running run
    // without a heartbeat (set running by hand, or by an older maintd) is judged by started_at.
    // A pending run holds a lease too: its claimer renews it (heartbeat()) while it waits for a
    // worker; one whose claimer died before starting it would otherwise block its task for ever
    // under concurrency: forbid. Until its first renewal it is judged by created_at (the
    // claimer's clock: skew between hosts shifts that first lease by the skew).
    // One conditional UPDATE: a heartbeat that lands first keeps its run, and two instances
    // sweeping at once abandon each run once.
    prepare_once(st,
                 "UPDATE maintd_runs SET status = 'abandoned', error = :error "
                 "WHERE status IN ('pending', 'running') AND " +
                     std::string(kNotWaitingOneOff) +
                     " AND COALESCE(heartbeat_at, started_at, created_at) < " +
                     database_->now_minus_expression(lease) + " RETURNING id");
    std::vector<RunId> out;
    if (st.execute(true)) {
      do {
        out.push_back(id);
      } while (st.fetch());
    }
    return out;
  });
}

void RunStore::add_event(RunId id, const std::string& level, const std::string& event,
                         const std::string& message) {
  database_->with_session("recording a run event", [&](soci::session& sql) {
    run_writes::RunWriter(sql, *database_, false)
        .add_event(id, level, event, message, format_timestamp(clock_()));
    return 0;
  });
}

std::optional<RunRecord> RunStore::get(RunId id) {
  return database_->with_session("reading a run", [&](soci::session& sql) {
    auto runs = select_runs(sql, "WHERE id = :id", false, soci::use(id));
    return runs.empty() ? std::nullopt : std::optional<RunRecord>(std::move(runs.front()));
  });
}

std::vector<RunEvent> RunStore::events(RunId id) {
  return database_->with_session("reading run events", [&](soci::session& sql) {
    std::vector<RunEvent> out;
    RunEvent event;
    std::string at;
    long long event_id = 0;
    soci::statement st(sql);
    st.exchange(soci::into(event_id));
    st.exchange(soci::into(at));
    st.exchange(soci::into(event.level));
    st.exchange(soci::into(event.event));
    st.exchange(soci::into(event.message));
    st.exchange(soci::use(id));
    prepare_once(st,
                 "SELECT id, at, level, event, message FROM maintd_run_events WHERE run_id = :run "
                 "ORDER BY id");
    if (st.execute(true)) {
      do {
        event.id = event_id;
        event.run_id = id;
        event.at = parse_timestamp(at).value_or(Timestamp{});
        out.push_back(event);
      } while (st.fetch());
    }
    return out;
  });
}

std::vector<RunRecord> RunStore::history(const HistoryFilter& filter) {
  return database_->with_session("reading run history", [&](soci::session& sql) {
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
    std::string trigger;
    if (filter.trigger) {
      trigger = std::string(to_string(*filter.trigger));
      where += " AND trigger_type = :trigger";
      st.exchange(soci::use(trigger));
    }
    if (filter.since) {
      where += " AND created_at >= :since";
      st.exchange(soci::use(since));
    }
    long long before = filter.before_id.value_or(0);
    if (filter.before_id) {
      where += " AND id < :before";
      st.exchange(soci::use(before));
    }
    st.exchange(soci::use(limit));
    prepare_once(st,
                 fmt::format("SELECT {} FROM maintd_runs WHERE {} ORDER BY id DESC LIMIT :limit",
                             kRunColumns, where));
    std::vector<RunRecord> out;
    if (st.execute(true)) {
      do {
        out.push_back(row.record());
      } while (st.fetch());
    }
    return out;
  });
}

std::map<std::string, RunRecord> RunStore::latest_runs(bool light) {
  return database_->with_session("reading the latest runs", [&](soci::session& sql) {
    std::map<std::string, RunRecord> out;
    for (auto& run : select_runs(sql,
                                 fmt::format("WHERE id IN (SELECT MAX(id) FROM maintd_runs WHERE "
                                             "status <> 'skipped' AND {} GROUP BY task_name)",
                                             kNotWaitingOneOff),
                                 light)) {
      std::string name = run.task_name;
      out.emplace(std::move(name), std::move(run));
    }
    return out;
  });
}

std::map<std::string, Timestamp> RunStore::last_successes() {
  return database_->with_session("reading the last successes", [&](soci::session& sql) {
    std::map<std::string, Timestamp> out;
    std::string task, finished;
    soci::statement st(sql);
    st.exchange(soci::into(task));
    st.exchange(soci::into(finished));
    prepare_once(st,
                 "SELECT task_name, MAX(finished_at) FROM maintd_runs WHERE status = 'completed' "
                 "AND finished_at IS NOT NULL GROUP BY task_name");
    if (st.execute(true)) {
      do {
        if (auto at = parse_timestamp(finished)) out.emplace(task, *at);
      } while (st.fetch());
    }
    return out;
  });
}

std::map<std::string, std::vector<RunRecord>> RunStore::recent_runs(
    const std::vector<std::string>& tasks, int per_task, std::optional<Timestamp> since) {
  // Each task's part is its own subquery (task_name = ? ORDER BY created_at DESC LIMIT n): a
  // range of the (task_name, created_at) index read backwards, where one window function over
  // the tasks' runs would read every run they ever had. 100 parts stay well within SQLite's
  // limit of 500 terms of a compound SELECT.
  constexpr std::size_t kTasksPerQuery = 100;
  std::map<std::string, std::vector<RunRecord>> out;
  if (tasks.empty() || per_task <= 0) return out;
  const std::string since_text = since ? format_timestamp(*since) : std::string();
  return database_->with_session("reading the recent runs of tasks", [&](soci::session& sql) {
    for (std::size_t first = 0; first < tasks.size(); first += kTasksPerQuery) {
      const std::size_t last = std::min(tasks.size(), first + kTasksPerQuery);
      RunRow row;
      soci::statement st(sql);
      row.bind(st);
      std::string query;
      for (std::size_t i = first; i < last; ++i) {
        if (i > first) query += " UNION ALL ";
        // `config` is not read: '{}' in its place (RunRow parses it cheaply).
        query += fmt::format(
            "SELECT * FROM (SELECT id, task_name, task_type, trigger_type, scheduled_for, status, "
            "attempt, dry_run, '{{}}', instance_id, host, pid, heartbeat_at, created_at, "
            "started_at, finished_at, result, error, due_at FROM maintd_runs WHERE task_name = "
            ":t{}{} "
            "ORDER BY created_at DESC, id DESC LIMIT {}) r{}",
            i, since ? fmt::format(" AND created_at >= :s{}", i) : std::string(), per_task, i);
        st.exchange(soci::use(tasks[i]));
        if (since) st.exchange(soci::use(since_text));
      }
      prepare_once(st, query);
      if (st.execute(true)) {
        do {
          RunRecord record = row.record(true);
          auto& runs = out[record.task_name];
          runs.push_back(std::move(record));
        } while (st.fetch());
      }
    }
    // UNION ALL keeps each part's rows together but promises no order between or within them.
    for (auto& [name, runs] : out) {
      std::sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) {
        return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
      });
    }
    return out;
  });
}

std::vector<RunRecord> RunStore::active_runs() {
  return database_->with_session("reading active runs", [&](soci::session& sql) {
    return select_runs(
        sql,
        fmt::format("WHERE status IN ('pending', 'running') AND {} ORDER BY id", kNotWaitingOneOff),
        false);
  });
}

std::vector<RunRecord> RunStore::active_runs(const std::string& task_name) {
  return database_->with_session("reading active runs", [&](soci::session& sql) {
    return select_runs(sql,
                       fmt::format("WHERE task_name = :task AND status IN ('pending', 'running') "
                                   "AND {} ORDER BY id",
                                   kNotWaitingOneOff),
                       false, soci::use(task_name));
  });
}

std::vector<RunRecord> RunStore::pending_one_offs(const std::optional<std::string>& task,
                                                  int limit) {
  return database_->with_session("reading the one-off runs waiting", [&](soci::session& sql) {
    const std::string order = " ORDER BY due_at, id LIMIT :limit";
    if (task) {
      return select_runs(
          sql, "WHERE status = 'pending' AND trigger_type = 'once' AND task_name = :task" + order,
          false, soci::use(*task), soci::use(limit));
    }
    return select_runs(sql, "WHERE status = 'pending' AND trigger_type = 'once'" + order, false,
                       soci::use(limit));
  });
}

}  // namespace maintd::store
