#include "store/task_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "common/duration.hpp"
#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "config/limits.hpp"
#include "config/redact.hpp"
#include "config/task_entry.hpp"
#include "store/task_sql.hpp"
#include "store/task_sync.hpp"

namespace maintd::store {
namespace {

using nlohmann::json;
using std::chrono::seconds;

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

// Text columns held to the limit of a config value, as schedule files are (a file task's row
// holds only such values).
constexpr std::array<std::pair<Column, const char*>, 11> kTextColumns = {{
    {kName, "name"},
    {kDisplayName, "display_name"},
    {kDescription, "description"},
    {kTaskType, "task_type"},
    {kScopeType, "scope_type"},
    {kSchedule, "schedule_expression"},
    {kTimezone, "timezone"},
    {kConcurrency, "concurrency"},
    {kOrigin, "origin"},
    {kCreatedAt, "created_at"},
    {kUpdatedAt, "updated_at"},
}};

struct RawRow {
  std::array<std::string, kColumnCount> text;
  std::array<soci::indicator, kColumnCount> ind{};

  bool null(Column c) const { return ind[c] != soci::i_ok; }
  std::string string(Column c) const { return null(c) ? std::string() : text[c]; }

  TaskRow row() const {
    TaskRow r;
    for (const auto& [column, name] : kTextColumns) {
      if (!null(column) && text[column].size() > config::kMaxValueBytes) {
        r.refused[name] = config::over_limit("the stored value", text[column].size(),
                                             config::kMaxValueBytes, "config values");
      }
    }
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
    if (!null(kConfig) && text[kConfig].size() > config::kMaxConfigColumnBytes) {
      r.refused["config"] = config::over_limit("the stored value", text[kConfig].size(),
                                               config::kMaxConfigColumnBytes, "config columns");
      r.unreadable["config"] = text[kConfig];
    } else if (!null(kConfig)) {
      // One pass: the depth limit of configs (kMaxNesting), then the parse.
      if (auto parsed = parse_json(text[kConfig], config::kMaxNesting)) {
        r.config = std::move(parsed).value();
      } else {
        if (parsed.error().too_deep) {
          r.refused["config"] =
              fmt::format("the stored value nests more than {} levels deep, the limit (nesting)",
                          config::kMaxNesting);
        }
        r.unreadable["config"] = text[kConfig];
        r.config = json::object();
      }
    }
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

// The values of a row, held while a statement that binds them runs.
struct Params {
  explicit Params(const TaskRow& row)
      : name(row.name),
        display_name(row.display_name),
        description(row.description),
        task_type(row.task_type),
        scope_type(row.scope_type),
        schedule(row.schedule_expression),
        timezone(row.timezone),
        config(json_text(row.config)),
        concurrency(row.concurrency.value_or("")),
        origin(row.origin),
        created_at(row.created_at),
        updated_at(row.updated_at),
        enabled(row.enabled ? 1 : 0),
        dry_run(row.dry_run ? 1 : 0),
        override_value(row.enabled_override.value_or(false) ? 1 : 0),
        override_ind(row.enabled_override ? soci::i_ok : soci::i_null),
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
  soci::indicator override_ind, concurrency_ind;
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
    st.exchange(soci::use(config));
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

std::string shown(const std::string& text) {
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

}  // namespace

namespace task_sql {

WriteTransaction::WriteTransaction(soci::session& sql, Dialect dialect) : sql_(sql) {
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

WriteTransaction::~WriteTransaction() {
  if (!open_) return;
  try {
    sql_ << "ROLLBACK";
  } catch (const std::exception&) {
    // The connection may be gone; the transaction went with it.
  }
}

void WriteTransaction::commit() {
  sql_ << "COMMIT";
  open_ = false;
}

std::vector<TaskRow> select_rows(soci::session& sql, const std::string* name) {
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
  std::vector<TaskRow> rows;
  while (st.fetch()) rows.push_back(raw.row());
  // Sorted here, not by ORDER BY: PostgreSQL's collation would make the order locale-dependent.
  std::sort(rows.begin(), rows.end(),
            [](const TaskRow& a, const TaskRow& b) { return a.name < b.name; });
  return rows;
}

struct RowInserter::State {
  Params params{TaskRow{}};
  soci::statement st;
  explicit State(soci::session& sql) : st(sql) {}
};

RowInserter::RowInserter(soci::session& sql) : state_(std::make_unique<State>(sql)) {
  // Prepared once; insert() assigns the bound values and executes again.
  Params& p = state_->params;
  soci::statement& st = state_->st;
  st.exchange(soci::use(p.name));
  p.bind_definition(st);
  st.exchange(soci::use(p.override_value, p.override_ind));
  st.exchange(soci::use(p.created_at));
  st.exchange(soci::use(p.updated_at));
  st.alloc();
  st.prepare(
      "INSERT INTO scheduled_tasks (name, display_name, description, task_type, scope_type, "
      "schedule_expression, timezone, enabled, config, timeout_seconds, concurrency, "
      "catchup_seconds, retries, retry_backoff_seconds, jitter_seconds, "
      "expect_success_within_seconds, dry_run, origin, enabled_override, created_at, "
      "updated_at) VALUES (:name, :display_name, :description, :task_type, :scope_type, "
      ":schedule, :timezone, :enabled, :config, :timeout, :concurrency, :catchup, :retries, "
      ":backoff, :jitter, :expect_success_within, :dry_run, :origin, :override, :created_at, "
      ":updated_at) ON CONFLICT (name) DO NOTHING");
  st.define_and_bind();
}

RowInserter::~RowInserter() = default;

bool RowInserter::insert(const TaskRow& row) {
  state_->params = Params(row);  // the same objects, bound above: new values
  state_->st.execute(true);
  return state_->st.get_affected_rows() == 1;
}

bool insert_row(soci::session& sql, const TaskRow& row) {
  return RowInserter(sql).insert(row);
}

long long update_row(soci::session& sql, const TaskRow& row, bool set_override,
                     const std::string& condition, const std::string* condition_value) {
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

}  // namespace task_sql

using task_sql::guarded;

const std::vector<std::string>& definition_columns() {
  static const std::vector<std::string> columns = {"display_name",
                                                   "description",
                                                   "task_type",
                                                   "scope_type",
                                                   "schedule_expression",
                                                   "timezone",
                                                   "enabled",
                                                   "config",
                                                   "timeout_seconds",
                                                   "concurrency",
                                                   "catchup_seconds",
                                                   "retries",
                                                   "retry_backoff_seconds",
                                                   "jitter_seconds",
                                                   "expect_success_within_seconds",
                                                   "dry_run",
                                                   "origin"};
  return columns;
}

json column_value(const TaskRow& row, const std::string& column) {
  if (auto it = row.unreadable.find(column); it != row.unreadable.end()) return it->second;
  auto optional = [](const auto& value) { return value ? json(*value) : json(nullptr); };
  if (column == "name") return row.name;
  if (column == "display_name") return row.display_name;
  if (column == "description") return row.description;
  if (column == "task_type") return row.task_type;
  if (column == "scope_type") return row.scope_type;
  if (column == "schedule_expression") return row.schedule_expression;
  if (column == "timezone") return row.timezone;
  if (column == "enabled") return row.enabled;
  if (column == "enabled_override") return optional(row.enabled_override);
  if (column == "config") return row.config;
  if (column == "timeout_seconds") return optional(row.timeout_seconds);
  if (column == "concurrency") return optional(row.concurrency);
  if (column == "catchup_seconds") return optional(row.catchup_seconds);
  if (column == "retries") return optional(row.retries);
  if (column == "retry_backoff_seconds") return optional(row.retry_backoff_seconds);
  if (column == "jitter_seconds") return optional(row.jitter_seconds);
  if (column == "expect_success_within_seconds") {
    return optional(row.expect_success_within_seconds);
  }
  if (column == "dry_run") return row.dry_run;
  if (column == "origin") return row.origin;
  if (column == "created_at") return row.created_at;
  if (column == "updated_at") return row.updated_at;
  throw std::logic_error("column_value: no column " + column);
}

namespace {
// The definition columns as one comparable tuple, for diff_rows' common case: a row that
// matches. Each start compares every file task with its row; going through column_value() as
// JSON for each of the 17 columns was a tenth of a second start at 100,000 tasks. Names the
// same fields as definition_columns(): a test changes each column in turn.
auto definition_fields(const TaskRow& row) {
  return std::tie(row.display_name, row.description, row.task_type, row.scope_type,
                  row.schedule_expression, row.timezone, row.enabled, row.config,
                  row.timeout_seconds, row.concurrency, row.catchup_seconds, row.retries,
                  row.retry_backoff_seconds, row.jitter_seconds, row.expect_success_within_seconds,
                  row.dry_run, row.origin);
}
}  // namespace

std::vector<FieldChange> diff_rows(const TaskRow& before, const TaskRow& after) {
  std::vector<FieldChange> changes;
  if (before.unreadable.empty() && after.unreadable.empty() &&
      definition_fields(before) == definition_fields(after)) {
    return changes;
  }
  for (const auto& column : definition_columns()) {
    json old_value = column_value(before, column);
    json new_value = column_value(after, column);
    // An unreadable value always differs from what replaces it, even if its text looks alike.
    if (old_value != new_value || before.unreadable.count(column) > 0) {
      changes.push_back({column, std::move(old_value), std::move(new_value)});
    }
  }
  return changes;
}

namespace {
// What both kinds of row say the same way: the task's names, type and schedule.
TaskRow described_row(const config::Task& task) {
  TaskRow row;
  row.name = task.name;
  row.display_name = task.display_name;
  row.description = task.description;
  row.task_type = task.type;
  row.scope_type = task.scope_type;
  row.schedule_expression = task.schedule;
  row.timezone = task.timezone;
  return row;
}
}  // namespace

TaskRow row_from_file_task(const config::Task& task, std::optional<bool> enabled_override) {
  TaskRow row = described_row(task);
  row.enabled = enabled_override.value_or(task.enabled);
  row.enabled_override = enabled_override;
  row.config = config::redact(task.config);
  row.timeout_seconds = task.policies.timeout.count();
  row.concurrency = config::to_string(task.policies.concurrency);
  row.catchup_seconds = task.policies.catchup.count();
  row.retries = task.policies.retries;
  row.retry_backoff_seconds = task.policies.retry_backoff.count();
  row.jitter_seconds = task.policies.jitter.count();
  if (task.policies.expect_success_within) {
    row.expect_success_within_seconds = task.policies.expect_success_within->count();
  }
  row.dry_run = task.dry_run;
  row.origin = task.origin();
  return row;
}

TaskRow db_row_from_task(const config::Task& task, const json& entry) {
  TaskRow row = described_row(task);
  row.enabled = task.enabled;
  row.config = task.written_config;
  auto given = [&](const char* key) { return entry.contains(key) && !entry.at(key).is_null(); };
  if (given("timeout")) row.timeout_seconds = task.policies.timeout.count();
  if (given("concurrency")) row.concurrency = config::to_string(task.policies.concurrency);
  if (given("catchup")) row.catchup_seconds = task.policies.catchup.count();
  if (given("retries")) row.retries = task.policies.retries;
  if (given("retry_backoff")) row.retry_backoff_seconds = task.policies.retry_backoff.count();
  if (given("jitter")) row.jitter_seconds = task.policies.jitter.count();
  if (given("expect_success_within")) {
    // 0: not watched, whatever `defaults:` says.
    row.expect_success_within_seconds =
        task.policies.expect_success_within ? task.policies.expect_success_within->count() : 0;
  }
  row.dry_run = task.dry_run;
  row.origin = "db";
  return row;
}

json entry_from_row(const TaskRow& row) {
  auto readable = [&](const char* column) { return row.unreadable.count(column) == 0; };
  json entry = json::object();
  entry["name"] = row.name;
  entry["display_name"] = row.display_name;
  entry["description"] = row.description;
  entry["type"] = row.task_type;
  entry["scope_type"] = row.scope_type;
  entry["schedule"] = row.schedule_expression;
  entry["timezone"] = row.timezone;
  if (readable("enabled") && readable("enabled_override")) {
    entry["enabled"] = row.enabled_override.value_or(row.enabled);
  }
  if (readable("dry_run")) entry["dry_run"] = row.dry_run;
  if (readable("config")) entry["config"] = row.config;
  // Durations as a schedule file writes them, so that they are checked (and reported) alike.
  auto duration = [&](const char* key, const std::optional<std::int64_t>& value) {
    if (value) entry[key] = format_duration(seconds(*value));
  };
  duration("timeout", row.timeout_seconds);
  duration("catchup", row.catchup_seconds);
  duration("retry_backoff", row.retry_backoff_seconds);
  duration("jitter", row.jitter_seconds);
  duration("expect_success_within", row.expect_success_within_seconds);
  if (row.retries) entry["retries"] = *row.retries;
  if (row.concurrency) entry["concurrency"] = *row.concurrency;
  return entry;
}

std::optional<config::Task> task_from_row(const TaskRow& row, const config::Config& config,
                                          config::Diagnostics& diagnostics) {
  const config::Location at = config::table_location(row.name);
  if (!row.unreadable.empty() || !row.refused.empty()) {
    for (const auto& [column, why] : row.refused) {
      diagnostics.error(at, fmt::format("{}: {}", column, why));
    }
    for (const auto& [column, text] : row.unreadable) {
      if (row.refused.count(column) > 0) continue;
      const std::string expected =
          column == "config" ? "JSON text"
          : column == "enabled" || column == "enabled_override" || column == "dry_run"
              ? "0 or 1"
              : "a whole number";
      diagnostics.error(
          at, fmt::format("{}: the stored value '{}' is not {}", column, shown(text), expected));
    }
    return std::nullopt;
  }
  const config::SourceMap map(at.file);
  auto task = config::read_task_entry(entry_from_row(row), map, config, diagnostics);
  if (!task) return std::nullopt;
  task->source = config::Task::Source::table;
  task->defined_at = at;
  task->file.clear();
  return task;
}

std::vector<TaskRow> read_task_rows(Database& database) {
  return guarded(database, "reading scheduled_tasks",
                 [&](soci::session& sql) { return task_sql::select_rows(sql); });
}

std::optional<TaskRow> read_task_row(Database& database, const std::string& name) {
  return guarded(database, "reading scheduled_tasks",
                 [&](soci::session& sql) -> std::optional<TaskRow> {
                   auto rows = task_sql::select_rows(sql, &name);
                   if (rows.empty()) return std::nullopt;
                   return rows.front();
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

bool insert_db_task(Database& database, TaskRow row, const Clock& clock) {
  return guarded(database, "adding a task", [&](soci::session& sql) {
    row.origin = "db";
    row.created_at = row.updated_at = format_timestamp(clock());
    return task_sql::insert_row(sql, row);
  });
}

bool update_db_task(Database& database, TaskRow row, const std::string& expected_updated_at,
                    const Clock& clock) {
  return guarded(database, "editing a task", [&](soci::session& sql) {
    row.origin = "db";
    row.updated_at = format_timestamp(clock());
    return task_sql::update_row(sql, row, true, " AND origin = 'db' AND updated_at = :expected",
                                &expected_updated_at) == 1;
  });
}

bool remove_db_task(Database& database, const std::string& name) {
  return guarded(database, "removing a task", [&](soci::session& sql) {
    return task_sql::execute_update(
               sql, "DELETE FROM scheduled_tasks WHERE name = :name AND origin = 'db'",
               soci::use(name)) == 1;
  });
}

bool set_enabled_override(Database& database, const std::string& name, bool enabled,
                          const Clock& clock) {
  return guarded(database, "changing whether a task is enabled", [&](soci::session& sql) {
    const int value = enabled ? 1 : 0;
    const std::string now = format_timestamp(clock());
    // updated_at moves only when the row changes.
    return task_sql::execute_update(
               sql,
               "UPDATE scheduled_tasks SET updated_at = CASE WHEN enabled_override IS NULL OR "
               "enabled_override <> :v1 OR enabled <> :v2 THEN :now ELSE updated_at END, "
               "enabled_override = :v3, enabled = :v4 WHERE name = :name",
               soci::use(value), soci::use(value), soci::use(now), soci::use(value),
               soci::use(value), soci::use(name)) == 1;
  });
}

TaskSet load_tasks(Database& database, const config::Config& config) {
  return load_tasks(database, config, system_clock());
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

TaskSet load_tasks(Database& database, const config::Config& config, const Clock& clock) {
  // The version is read before the rows: a change made after this point makes the next version
  // differ, so a poller reads it then.
  std::string version = task_table_version(database);
  std::vector<TaskRow> rows;
  const SyncPlan plan = sync_tasks(database, config, clock, &rows);
  if (!plan.writes_nothing()) {
    // The sync's own writes moved the version: both again, after them. (When it wrote nothing,
    // the rows it compared are the table's: reading 100,000 rows twice was 8 % of a start.)
    version = task_table_version(database);
    rows = read_task_rows(database);
  }
  TaskSet set = merge_tasks(rows, config);
  set.table_version = std::move(version);
  report_conflicts(plan, set.diagnostics);
  return set;
}

TaskSet merge_tasks(const std::vector<TaskRow>& rows, const config::Config& config) {
  TaskSet set;
  // Hashed views of the rows' names: this runs over every task at each start and poll.
  std::unordered_map<std::string_view, const TaskRow*> by_name;
  by_name.reserve(rows.size());
  for (const auto& row : rows) by_name.emplace(row.name, &row);
  set.reserve(config.tasks.size() + rows.size());

  for (const config::Task& task : config.tasks) {
    auto it = by_name.find(task.name);
    if (it != by_name.end() && it->second->from_file() && it->second->enabled_override &&
        *it->second->enabled_override != task.enabled) {
      config::Task overridden = task;
      overridden.enabled = *it->second->enabled_override;
      set.add_owned(std::move(overridden));
    } else {
      set.add_pointed(task);
    }
  }
  for (const TaskRow& row : rows) {
    // A file task's row only mirrors the file; a name in a file and in a db row is a conflict,
    // reported above, and the file's task is the one that runs. (The set holds only file tasks
    // and rows before this one, whose names differ from it: the table's key is the name.)
    if (row.from_file() || set.find(row.name) != nullptr) continue;
    const config::Location at = config::table_location(row.name);
    if (!row.from_db()) {
      set.diagnostics.error(at, fmt::format("origin: '{}' is neither 'db' nor 'file:<path>'; "
                                            "the row is not a task maintd runs",
                                            shown(row.origin)));
      continue;
    }
    if (auto task = task_from_row(row, config, set.diagnostics)) {
      set.add_owned(std::move(*task));
    } else {
      set.diagnostics.warning(
          at, fmt::format("task '{}' does not run until its row is fixed ('maintd task edit {}' "
                          "validates a change; 'maintd task rm {}' removes it)",
                          config::shown_task_name(row.name), config::shown_task_name(row.name),
                          config::shown_task_name(row.name)));
    }
  }
  return set;
}

}  // namespace maintd::store
