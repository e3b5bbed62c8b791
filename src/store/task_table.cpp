// The SQL of scheduled_tasks (see task_table.hpp): its statements, the binding of a record's
// values, and the write transaction of a sync.
#include "store/task_table.hpp"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "store/store_error.hpp"

namespace maintd::store {
namespace {

constexpr const char* kSelectColumns =
    "SELECT CAST(name AS TEXT), CAST(display_name AS TEXT), CAST(description AS TEXT), "
    "CAST(task_type AS TEXT), CAST(scope_type AS TEXT), CAST(schedule_expression AS TEXT), "
    "CAST(timezone AS TEXT), CAST(enabled AS TEXT), CAST(enabled_override AS TEXT), "
    "CAST(config AS TEXT), CAST(timeout_seconds AS TEXT), CAST(concurrency AS TEXT), "
    "CAST(catchup_seconds AS TEXT), CAST(retries AS TEXT), CAST(retry_backoff_seconds AS TEXT), "
    "CAST(jitter_seconds AS TEXT), CAST(expect_success_within_seconds AS TEXT), "
    "CAST(dry_run AS TEXT), CAST(origin AS TEXT), CAST(created_at AS TEXT), "
    "CAST(updated_at AS TEXT) FROM scheduled_tasks";
// Every column is read as text (CAST above), so a value of the wrong type, which SQLite lets a
// hand edit store, is read and reported rather than failing the whole read.
enum Column : std::size_t {
  kName,
  kDisplayName,
  kDescription,
  kTaskType,
  kScopeType,
  kSchedule,
  kTimezone,
  kEnabled,
  kEnabledOverride,
  kConfig,
  kTimeout,
  kConcurrency,
  kCatchup,
  kRetries,
  kRetryBackoff,
  kJitter,
  kExpectSuccessWithin,
  kDryRun,
  kOrigin,
  kCreatedAt,
  kUpdatedAt,
  kColumnCount
};

std::optional<std::int64_t> parse_integer(const std::string& text) {
  std::int64_t value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || end != last || text.empty()) return std::nullopt;
  return value;
}

std::optional<bool> parse_flag(const std::string& text) {
  if (text == "0") return false;
  if (text == "1") return true;
  return std::nullopt;
}

struct RawRow {
  std::array<std::string, kColumnCount> text;
  std::array<soci::indicator, kColumnCount> ind{};

  bool null(Column c) const { return ind[c] != soci::i_ok; }
  std::string string(Column c) const { return null(c) ? std::string() : text[c]; }

  TaskRecord record() const {
    TaskRecord r;
    r.name = string(kName);
    r.display_name = string(kDisplayName);
    r.description = string(kDescription);
    r.task_type = string(kTaskType);
    r.scope_type = string(kScopeType);
    r.schedule_expression = string(kSchedule);
    r.timezone = string(kTimezone);
    r.origin = string(kOrigin);
    r.created_at = string(kCreatedAt);
    r.updated_at = string(kUpdatedAt);
    auto flag = [&](Column c, const char* column, bool fallback) {
      if (null(c)) return fallback;
      if (auto value = parse_flag(text[c])) return *value;
      r.unreadable[column] = text[c];
      return fallback;
    };
    r.enabled = flag(kEnabled, "enabled", true);
    r.dry_run = flag(kDryRun, "dry_run", false);
    if (!null(kEnabledOverride)) {
      if (auto value = parse_flag(text[kEnabledOverride])) {
        r.enabled_override = *value;
      } else {
        r.unreadable["enabled_override"] = text[kEnabledOverride];
      }
    }
    if (!null(kConfig)) r.config = text[kConfig];
    auto integer = [&](Column c, const char* column) -> std::optional<std::int64_t> {
      if (null(c)) return std::nullopt;
      if (auto value = parse_integer(text[c])) return value;
      r.unreadable[column] = text[c];
      return std::nullopt;
    };
    r.timeout_seconds = integer(kTimeout, "timeout_seconds");
    r.catchup_seconds = integer(kCatchup, "catchup_seconds");
    r.retries = integer(kRetries, "retries");
    r.retry_backoff_seconds = integer(kRetryBackoff, "retry_backoff_seconds");
    r.jitter_seconds = integer(kJitter, "jitter_seconds");
    r.expect_success_within_seconds =
        integer(kExpectSuccessWithin, "expect_success_within_seconds");
    if (!null(kConcurrency)) r.concurrency = text[kConcurrency];
    return r;
  }
};

// The values of a record, held while a statement that binds them runs.
struct Params {
  explicit Params(const TaskRecord& row)
      : name(row.name),
        display_name(row.display_name),
        description(row.description),
        task_type(row.task_type),
        scope_type(row.scope_type),
        schedule(row.schedule_expression),
        timezone(row.timezone),
        config(row.config.value_or("")),
        concurrency(row.concurrency.value_or("")),
        origin(row.origin),
        created_at(row.created_at),
        updated_at(row.updated_at),
        enabled(row.enabled ? 1 : 0),
        dry_run(row.dry_run ? 1 : 0),
        override_value(row.enabled_override.value_or(false) ? 1 : 0),
        override_ind(row.enabled_override ? soci::i_ok : soci::i_null),
        config_ind(row.config ? soci::i_ok : soci::i_null),
        concurrency_ind(row.concurrency ? soci::i_ok : soci::i_null) {
    integer(row.timeout_seconds, timeout, timeout_ind);
    integer(row.catchup_seconds, catchup, catchup_ind);
    integer(row.retries, retries, retries_ind);
    integer(row.retry_backoff_seconds, backoff, backoff_ind);
    integer(row.jitter_seconds, jitter, jitter_ind);
    integer(row.expect_success_within_seconds, expect_success_within, expect_success_within_ind);
  }
  static void integer(const std::optional<std::int64_t>& in, long long& out, soci::indicator& ind) {
    out = in.value_or(0);
    ind = in ? soci::i_ok : soci::i_null;
  }

  std::string name, display_name, description, task_type, scope_type, schedule, timezone, config,
      concurrency, origin, created_at, updated_at;
  int enabled, dry_run, override_value;
  soci::indicator override_ind, config_ind, concurrency_ind;
  long long timeout = 0, catchup = 0, retries = 0, backoff = 0, jitter = 0,
            expect_success_within = 0;
  soci::indicator timeout_ind = soci::i_null, catchup_ind = soci::i_null,
                  retries_ind = soci::i_null, backoff_ind = soci::i_null, jitter_ind = soci::i_null,
                  expect_success_within_ind = soci::i_null;

  // The definition columns, in the order of kDefinitionSet below.
  void bind_definition(soci::statement& st) {
    st.exchange(soci::use(display_name));
    st.exchange(soci::use(description));
    st.exchange(soci::use(task_type));
    st.exchange(soci::use(scope_type));
    st.exchange(soci::use(schedule));
    st.exchange(soci::use(timezone));
    st.exchange(soci::use(enabled));
    st.exchange(soci::use(config, config_ind));
    st.exchange(soci::use(timeout, timeout_ind));
    st.exchange(soci::use(concurrency, concurrency_ind));
    st.exchange(soci::use(catchup, catchup_ind));
    st.exchange(soci::use(retries, retries_ind));
    st.exchange(soci::use(backoff, backoff_ind));
    st.exchange(soci::use(jitter, jitter_ind));
    st.exchange(soci::use(expect_success_within, expect_success_within_ind));
    st.exchange(soci::use(dry_run));
    st.exchange(soci::use(origin));
  }
};

constexpr const char* kDefinitionSet =
    "display_name = :display_name, description = :description, task_type = :task_type, "
    "scope_type = :scope_type, schedule_expression = :schedule, timezone = :timezone, "
    "enabled = :enabled, config = :config, timeout_seconds = :timeout, concurrency = :concurrency, "
    "catchup_seconds = :catchup, retries = :retries, retry_backoff_seconds = :backoff, "
    "jitter_seconds = :jitter, expect_success_within_seconds = :expect_success_within, "
    "dry_run = :dry_run, origin = :origin";

// Runs `body(session)` on a session of the state database (Database::with_session: its waits
// are bounded, a lost connection is made again) and wraps its failures: a lost connection, a
// locked database, a server that does not answer or a schema that was never created is
// "unavailable" (the CLI exits 3); anything else is a StoreError, naming `what`.
template <class F>
auto guarded(Database& database, const char* what, F&& body) {
  return database.with_session(what, std::forward<F>(body));
}

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

// A transaction that writers of scheduled_tasks take one at a time: SQLite's BEGIN IMMEDIATE
// (the write lock up front, waiting out the busy timeout), PostgreSQL's transaction-scoped
// advisory lock (released by COMMIT or ROLLBACK). Rolled back unless committed.
class WriteTransaction {
 public:
  WriteTransaction(soci::session& sql, Dialect dialect) : sql_(sql) {
    if (dialect == Dialect::sqlite) {
      sql_ << "BEGIN IMMEDIATE";
    } else {
      sql_ << "BEGIN";
      try {
        // "maintd tasks": one key for every writer of scheduled_tasks that must not interleave.
        sql_ << "SELECT pg_advisory_xact_lock(" << 0x6d7464746b73LL << ")";
      } catch (...) {
        sql_ << "ROLLBACK";
        throw;
      }
    }
  }
  ~WriteTransaction() {
    if (!open_) return;
    try {
      sql_ << "ROLLBACK";
    } catch (const std::exception&) {
      // The connection may be gone; the transaction went with it.
    }
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  void commit() {
    sql_ << "COMMIT";
    open_ = false;
  }

 private:
  soci::session& sql_;
  bool open_ = true;
};

// Reads every row (or the one named) on `sql`, sorted by name.
std::vector<TaskRecord> select_rows(soci::session& sql, const std::string* name = nullptr) {
  RawRow raw;
  soci::statement st(sql);
  for (std::size_t i = 0; i < kColumnCount; ++i) st.exchange(soci::into(raw.text[i], raw.ind[i]));
  std::string query = kSelectColumns;
  std::string wanted;
  if (name != nullptr) {
    wanted = *name;
    query += " WHERE name = :name";
    st.exchange(soci::use(wanted));
  }
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute();
  std::vector<TaskRecord> rows;
  while (st.fetch()) rows.push_back(raw.record());
  // Sorted here, not by ORDER BY: PostgreSQL's collation would make the order locale-dependent.
  std::sort(rows.begin(), rows.end(),
            [](const TaskRecord& a, const TaskRecord& b) { return a.name < b.name; });
  return rows;
}

// Inserts records as given (timestamps included), ON CONFLICT (name) DO NOTHING: the statement
// is prepared once (the sync of thousands of tasks).
class RowInserter {
 public:
  explicit RowInserter(soci::session& sql) : st_(sql) {
    // Prepared once; insert() assigns the bound values and executes again.
    st_.exchange(soci::use(params_.name));
    params_.bind_definition(st_);
    st_.exchange(soci::use(params_.override_value, params_.override_ind));
    st_.exchange(soci::use(params_.created_at));
    st_.exchange(soci::use(params_.updated_at));
    st_.alloc();
    st_.prepare(
        "INSERT INTO scheduled_tasks (name, display_name, description, task_type, scope_type, "
        "schedule_expression, timezone, enabled, config, timeout_seconds, concurrency, "
        "catchup_seconds, retries, retry_backoff_seconds, jitter_seconds, "
        "expect_success_within_seconds, dry_run, origin, enabled_override, created_at, "
        "updated_at) VALUES (:name, :display_name, :description, :task_type, :scope_type, "
        ":schedule, :timezone, :enabled, :config, :timeout, :concurrency, :catchup, :retries, "
        ":backoff, :jitter, :expect_success_within, :dry_run, :origin, :override, :created_at, "
        ":updated_at) ON CONFLICT (name) DO NOTHING");
    st_.define_and_bind();
  }
  RowInserter(const RowInserter&) = delete;
  RowInserter& operator=(const RowInserter&) = delete;

  // Whether it was inserted.
  bool insert(const TaskRecord& row) {
    params_ = Params(row);  // the same objects, bound above: new values
    st_.execute(true);
    return st_.get_affected_rows() == 1;
  }

 private:
  Params params_{TaskRecord{}};
  soci::statement st_;
};

// Updates the definition columns, origin, enabled and updated_at of the row named row.name;
// with `set_override`, enabled_override too. `condition` is appended to the WHERE clause
// (e.g. " AND origin = 'db'"); `condition_value`, if given, is bound to its one parameter
// (:expected). Returns the rows changed.
long long update_row(soci::session& sql, const TaskRecord& row, bool set_override,
                     const std::string& condition = {},
                     const std::string* condition_value = nullptr) {
  Params p(row);
  std::string expected = condition_value != nullptr ? *condition_value : std::string();
  soci::statement st(sql);
  p.bind_definition(st);
  st.exchange(soci::use(p.updated_at));
  if (set_override) st.exchange(soci::use(p.override_value, p.override_ind));
  st.exchange(soci::use(p.name));
  if (condition_value != nullptr) st.exchange(soci::use(expected));
  st.alloc();
  st.prepare(
      fmt::format("UPDATE scheduled_tasks SET {}, updated_at = :updated_at{} "
                  "WHERE name = :name{}",
                  kDefinitionSet, set_override ? ", enabled_override = :override" : "", condition));
  st.define_and_bind();
  st.execute(true);
  return st.get_affected_rows();
}

}  // namespace

std::vector<TaskRecord> read_task_records(Database& database) {
  return guarded(database, "reading scheduled_tasks",
                 [&](soci::session& sql) { return select_rows(sql); });
}

std::optional<TaskRecord> read_task_record(Database& database, const std::string& name) {
  return guarded(database, "reading scheduled_tasks",
                 [&](soci::session& sql) -> std::optional<TaskRecord> {
                   auto rows = select_rows(sql, &name);
                   if (rows.empty()) return std::nullopt;
                   return std::move(rows.front());
                 });
}

bool has_task_table(Database& database) {
  try {
    database.with_session("reading scheduled_tasks", [&](soci::session& sql) {
      long long count = 0;
      sql << "SELECT COUNT(*) FROM scheduled_tasks WHERE 1 = 0", soci::into(count);
      return count;
    });
    return true;
  } catch (const StoreTimeout&) {
    throw;  // not an answer: whether the table exists is unknown
  } catch (const StoreError&) {
    return false;
  }
}

std::int64_t count_runs(Database& database, const std::string& task_name) {
  return guarded(database, "counting runs", [&](soci::session& sql) {
    long long count = 0;
    sql << "SELECT COUNT(*) FROM task_runs WHERE task_name = :name", soci::use(task_name),
        soci::into(count);
    return static_cast<std::int64_t>(count);
  });
}

bool insert_db_record(Database& database, TaskRecord record, const Clock& clock) {
  return guarded(database, "adding a task", [&](soci::session& sql) {
    record.origin = "db";
    record.created_at = record.updated_at = format_timestamp(clock());
    return RowInserter(sql).insert(record);
  });
}

bool update_db_record(Database& database, TaskRecord record, const std::string& expected_updated_at,
                      const Clock& clock) {
  return guarded(database, "editing a task", [&](soci::session& sql) {
    record.origin = "db";
    record.updated_at = format_timestamp(clock());
    return update_row(sql, record, true, " AND origin = 'db' AND updated_at = :expected",
                      &expected_updated_at) == 1;
  });
}

bool remove_db_task(Database& database, const std::string& name) {
  return guarded(database, "removing a task", [&](soci::session& sql) {
    return execute_update(sql, "DELETE FROM scheduled_tasks WHERE name = :name AND origin = 'db'",
                          soci::use(name)) == 1;
  });
}

bool set_enabled_override(Database& database, const std::string& name, bool enabled,
                          const Clock& clock) {
  return guarded(database, "changing whether a task is enabled", [&](soci::session& sql) {
    const int value = enabled ? 1 : 0;
    const std::string now = format_timestamp(clock());
    // updated_at moves only when the row changes.
    return execute_update(
               sql,
               "UPDATE scheduled_tasks SET updated_at = CASE WHEN enabled_override IS NULL OR "
               "enabled_override <> :v1 OR enabled <> :v2 THEN :now ELSE updated_at END, "
               "enabled_override = :v3, enabled = :v4 WHERE name = :name",
               soci::use(value), soci::use(value), soci::use(now), soci::use(value),
               soci::use(value), soci::use(name)) == 1;
  });
}

std::string task_table_version(Database& database) {
  return guarded(database, "reading the version of scheduled_tasks", [&](soci::session& sql) {
    std::string count, latest, checksum;
    soci::indicator latest_ind = soci::i_ok, checksum_ind = soci::i_ok;
    // Every value as text: COUNT and SUM are of different integer types in the two dialects.
    // The LIKE guard keeps a hand-written updated_at from failing the cast on PostgreSQL.
    sql << "SELECT CAST(COUNT(*) AS TEXT), MAX(updated_at), CAST(SUM(CASE WHEN updated_at LIKE "
           "'____-__-__T__:__:__.___Z' THEN CAST(SUBSTR(updated_at, 15, 2) || "
           "SUBSTR(updated_at, 18, 2) || SUBSTR(updated_at, 21, 3) AS INTEGER) ELSE "
           "LENGTH(updated_at) END) AS TEXT) FROM scheduled_tasks",
        soci::into(count), soci::into(latest, latest_ind), soci::into(checksum, checksum_ind);
    return fmt::format("{} {} {}", count, latest_ind == soci::i_ok ? latest : "-",
                       checksum_ind == soci::i_ok ? checksum : "-");
  });
}

namespace {

// The writes of one sync, in its transaction.
class SyncWriter final : public TaskTableWriter {
 public:
  SyncWriter(soci::session& sql, const Database& database) : sql_(sql), database_(database) {}

  void insert(const TaskRecord& record) override {
    if (!inserter_) inserter_.emplace(sql_);
    if (!inserter_->insert(record)) {
      // `maintd task add` took the name meanwhile (it does not wait for this lock).
      throw StoreError(
          fmt::format("state database {}: task '{}' was added to scheduled_tasks while the "
                      "schedule files "
                      "were being synced; load again",
                      database_.display(), record.name));
    }
    wrote_ = true;
  }
  void update_file_row(const TaskRecord& record) override {
    update_row(sql_, record, false, " AND origin LIKE 'file:%'");
    wrote_ = true;
  }
  void remove(const std::string& name, const std::string& origin) override {
    execute_update(sql_, "DELETE FROM scheduled_tasks WHERE name = :name AND origin = :origin",
                   soci::use(name), soci::use(origin));
    wrote_ = true;
  }
  bool wrote() const { return wrote_; }

 private:
  soci::session& sql_;
  const Database& database_;
  std::optional<RowInserter> inserter_;  // prepared at the first insert
  bool wrote_ = false;
};

}  // namespace

void sync_task_table(Database& database, const TaskTableSync& sync) {
  guarded(database, "syncing the schedule files into scheduled_tasks", [&](soci::session& sql) {
    if (!sync.needs_writes(select_rows(sql))) return;  // the common case: no lock, no write

    WriteTransaction transaction(sql, database.dialect());
    // Again under the lock: another process may have synced in between.
    SyncWriter writer(sql, database);
    sync.write(select_rows(sql), writer);
    if (writer.wrote()) transaction.commit();
  });
}

}  // namespace maintd::store
