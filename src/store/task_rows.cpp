// Reading tasks: the task table's rows and their maintd rows, joined (see task_rows.hpp).
#include "store/task_rows.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <string_view>
#include <unordered_map>

#include "store/store_error.hpp"

namespace maintd::store {

const std::string& key_of(const TaskRecord& record, const TaskTableLayout& layout) {
  return layout.has("id") ? record.id : record.name;
}

namespace {

std::optional<std::int64_t> parse_integer(const std::string& text) {
  std::int64_t value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || end != last || text.empty()) return std::nullopt;
  return value;
}

// 0/1 as maintd and SQLite store flags; t/f and true/false as PostgreSQL prints a boolean.
std::optional<bool> parse_flag(const std::string& text) {
  if (text == "0" || text == "f" || text == "false") return false;
  if (text == "1" || text == "t" || text == "true") return true;
  return std::nullopt;
}

// Values read as text with their indicators, by position.
struct TextRow {
  explicit TextRow(std::size_t size) : text(size), ind(size, soci::i_null) {}
  std::vector<std::string> text;
  std::vector<soci::indicator> ind;

  void bind(soci::statement& st) {
    for (std::size_t i = 0; i < text.size(); ++i) st.exchange(soci::into(text[i], ind[i]));
  }
  bool null(std::size_t i) const { return ind[i] != soci::i_ok; }
  std::optional<std::string> value(std::size_t i) const {
    return null(i) ? std::nullopt : std::optional<std::string>(text[i]);
  }
};

// The guide columns of the task table a select reads, in order: those the table has.
std::vector<std::string> selected_columns(const TaskTableLayout& layout) {
  std::vector<std::string> columns;
  for (const auto& guide : guide_task_columns()) {
    if (layout.has(guide)) columns.push_back(guide);
  }
  return columns;
}

std::string select_task_rows(const TaskTableLayout& layout,
                             const std::vector<std::string>& columns) {
  std::vector<std::string> casts;
  for (const auto& guide : columns) {
    casts.push_back(fmt::format("CAST({} AS TEXT)", layout.name_of(guide)));
  }
  return fmt::format("SELECT {} FROM {}", fmt::join(casts, ", "), layout.table);
}

// Where a selected column goes in a record: decided once per read, not per row (the start
// reads 100,000 rows of up to 15 columns).
using TextField = std::string TaskColumns::*;
using OptionalField = std::optional<std::string> TaskColumns::*;
struct ColumnTarget {
  enum class Kind { text, optional, enabled, config } kind = Kind::text;
  TextField text = nullptr;
  OptionalField optional = nullptr;
};

ColumnTarget target_of(const std::string& guide) {
  using Kind = ColumnTarget::Kind;
  if (guide == "config") return {Kind::config};
  if (guide == "enabled") return {Kind::enabled};
  static const std::map<std::string, OptionalField> optional_fields = {
      {"last_run_id", &TaskColumns::last_run_id},
      {"last_run_at", &TaskColumns::last_run_at},
      {"last_run_status", &TaskColumns::last_run_status},
      {"next_run_at", &TaskColumns::next_run_at}};
  if (auto it = optional_fields.find(guide); it != optional_fields.end()) {
    return {Kind::optional, nullptr, it->second};
  }
  static const std::map<std::string, TextField> text_fields = {
      {"id", &TaskColumns::id},
      {"name", &TaskColumns::name},
      {"display_name", &TaskColumns::display_name},
      {"description", &TaskColumns::description},
      {"task_type", &TaskColumns::task_type},
      {"scope_type", &TaskColumns::scope_type},
      {"schedule_expression", &TaskColumns::schedule_expression},
      {"created_at", &TaskColumns::created_at},
      {"updated_at", &TaskColumns::updated_at}};
  return {Kind::text, text_fields.at(guide)};
}

// One task table row, as read.
TaskRecord record_from_table_row(const TextRow& raw, const std::vector<ColumnTarget>& targets) {
  using Kind = ColumnTarget::Kind;
  TaskRecord r;
  r.origin = "db";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const ColumnTarget& target = targets[i];
    switch (target.kind) {
      case Kind::config:
        r.config = raw.value(i);
        break;
      case Kind::enabled:
        if (raw.null(i)) break;  // NULL reads as true
        if (auto flag = parse_flag(raw.text[i])) {
          r.enabled = *flag;
        } else {
          r.unreadable["enabled"] = raw.text[i];
        }
        break;
      case Kind::optional:
        r.*target.optional = raw.value(i);
        break;
      case Kind::text:
        if (!raw.null(i)) r.*target.text = raw.text[i];  // NULL reads as ""
        break;
    }
  }
  return r;
}

// maintd_tasks, read as text (a hand edit may store anything).
constexpr const char* kSelectMaintdRows =
    "SELECT CAST(task_id AS TEXT), CAST(origin AS TEXT), CAST(timezone AS TEXT), "
    "CAST(enabled_override AS TEXT), CAST(timeout_seconds AS TEXT), CAST(concurrency AS TEXT), "
    "CAST(catchup_seconds AS TEXT), CAST(retries AS TEXT), CAST(retry_backoff_seconds AS TEXT), "
    "CAST(jitter_seconds AS TEXT), CAST(expect_success_within_seconds AS TEXT), "
    "CAST(dry_run AS TEXT) FROM maintd_tasks";
enum MaintdColumn : std::size_t {
  kKey,
  kOrigin,
  kTimezone,
  kEnabledOverride,
  kTimeout,
  kConcurrency,
  kCatchup,
  kRetries,
  kRetryBackoff,
  kJitter,
  kExpectSuccessWithin,
  kDryRun,
  kMaintdColumnCount
};

// The maintd row's columns, into the record.
void join_maintd_row(TaskRecord& r, const TextRow& raw) {
  if (!raw.null(kOrigin)) r.origin = raw.text[kOrigin];
  if (!raw.null(kTimezone)) r.timezone = raw.text[kTimezone];
  if (!raw.null(kConcurrency)) r.concurrency = raw.text[kConcurrency];
  if (!raw.null(kEnabledOverride)) {
    if (auto value = parse_flag(raw.text[kEnabledOverride])) {
      r.enabled_override = *value;
    } else {
      r.unreadable["enabled_override"] = raw.text[kEnabledOverride];
    }
  }
  if (!raw.null(kDryRun)) {
    if (auto value = parse_flag(raw.text[kDryRun])) {
      r.dry_run = *value;
    } else {
      r.unreadable["dry_run"] = raw.text[kDryRun];
    }
  }
  auto integer = [&](MaintdColumn c, const char* column) -> std::optional<std::int64_t> {
    if (raw.null(c)) return std::nullopt;
    if (auto value = parse_integer(raw.text[c])) return value;
    r.unreadable[column] = raw.text[c];
    return std::nullopt;
  };
  r.timeout_seconds = integer(kTimeout, "timeout_seconds");
  r.catchup_seconds = integer(kCatchup, "catchup_seconds");
  r.retries = integer(kRetries, "retries");
  r.retry_backoff_seconds = integer(kRetryBackoff, "retry_backoff_seconds");
  r.jitter_seconds = integer(kJitter, "jitter_seconds");
  r.expect_success_within_seconds = integer(kExpectSuccessWithin, "expect_success_within_seconds");
}

// The task table's rows (all, or those whose name or id is `wanted`).
std::vector<TaskRecord> select_table_rows(soci::session& sql, const TaskTableLayout& layout,
                                          TaskMatch match, const std::string* wanted) {
  const auto columns = selected_columns(layout);
  TextRow raw(columns.size());
  soci::statement st(sql);
  raw.bind(st);
  std::string query = select_task_rows(layout, columns);
  std::string name = wanted != nullptr ? *wanted : std::string(), id = name;
  if (wanted != nullptr) {
    query += fmt::format(" WHERE {} = :name", layout.name_of("name"));
    st.exchange(soci::use(name));
    if (match == TaskMatch::name_or_id && layout.has("id")) {
      // As text: an id column of type uuid would refuse a name as its value.
      query += fmt::format(" OR CAST({} AS TEXT) = :id", layout.name_of("id"));
      st.exchange(soci::use(id));
    }
  }
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute();
  std::vector<ColumnTarget> targets;
  for (const auto& guide : columns) targets.push_back(target_of(guide));
  std::vector<TaskRecord> rows;
  while (st.fetch()) rows.push_back(record_from_table_row(raw, targets));
  return rows;
}

// maintd_tasks' rows by key (those of `keys` only when given).
// Each maintd row, as it is fetched, joined into the task of its key (`rows` by key): no copy
// of a row is kept, which at 100,000 tasks was a tenth of a start. `keys`: only these.
void join_maintd_rows(soci::session& sql, std::vector<TaskRecord>& rows,
                      const TaskTableLayout& layout, const std::vector<std::string>* keys) {
  std::unordered_map<std::string_view, std::size_t> by_key;
  by_key.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) by_key.emplace(key_of(rows[i], layout), i);
  const auto read = [&](const std::string* key) {
    TextRow raw(kMaintdColumnCount);
    std::string wanted = key != nullptr ? *key : std::string();
    soci::statement st(sql);
    raw.bind(st);
    std::string query = kSelectMaintdRows;
    if (key != nullptr) {
      query += " WHERE task_id = :key";
      st.exchange(soci::use(wanted));
    }
    st.alloc();
    st.prepare(query);
    st.define_and_bind();
    st.execute();
    while (st.fetch()) {
      if (auto it = by_key.find(raw.text[kKey]); it != by_key.end()) {
        join_maintd_row(rows[it->second], raw);
      }
    }
  };
  if (keys == nullptr) {
    read(nullptr);
  } else {
    for (const auto& key : *keys) read(&key);
  }
}

}  // namespace

void as_read_back(TaskColumns& columns, const TaskTableLayout& layout) {
  using Kind = ColumnTarget::Kind;
  static const TaskColumns kUnread;
  columns.unreadable.clear();
  for (const auto& guide : guide_task_columns()) {
    if (layout.has(guide)) continue;
    const ColumnTarget target = target_of(guide);
    switch (target.kind) {
      case Kind::config:
        break;  // required: every task table has it
      case Kind::enabled:
        columns.enabled = kUnread.enabled;
        break;
      case Kind::optional:
        columns.*target.optional = kUnread.*target.optional;
        break;
      case Kind::text:
        columns.*target.text = kUnread.*target.text;
        break;
    }
  }
}

std::vector<TaskRecord> read_tasks(TaskSessions& sessions, const TaskTableLayout& layout,
                                   TaskMatch match, const std::string& wanted, bool maintd_rows) {
  const bool all = match == TaskMatch::all;
  auto rows = select_table_rows(sessions.home, layout, match, all ? nullptr : &wanted);
  std::vector<std::string> keys;
  if (!all) {
    for (const auto& row : rows) keys.push_back(key_of(row, layout));
  }
  if (maintd_rows) join_maintd_rows(sessions.state, rows, layout, all ? nullptr : &keys);
  // Sorted here, not by ORDER BY: PostgreSQL's collation would make the order locale-dependent.
  std::sort(rows.begin(), rows.end(),
            [](const TaskRecord& a, const TaskRecord& b) { return a.name < b.name; });
  return rows;
}

// The layout, or the error that there is no task table to read.
TaskTableLayout require_layout(TaskTable& table, soci::session& home_sql) {
  auto layout = table.layout(home_sql);
  if (!layout) {
    if (table.separate()) {
      throw StoreError(
          fmt::format("the task table {} does not exist (maintd creates no table "
                      "in an application's database)",
                      table.where()));
    }
    throw StoreUnavailable(
        fmt::format("the state database {} has no task table {}: run "
                    "'maintd db migrate'",
                    table.state().display(), table.spec().table));
  }
  return *layout;
}

}  // namespace maintd::store
