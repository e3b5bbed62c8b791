#include "tasks/task_row.hpp"

#include <fmt/format.h>

#include <string_view>
#include <tuple>
#include <utility>

#include "common/duration.hpp"
#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "config/limits.hpp"
#include "config/redact.hpp"
#include "config/task_entry.hpp"

namespace maintd::tasks {

using nlohmann::json;
using std::chrono::seconds;

std::string shown_value(const std::string& text) {
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

TaskRow row_from_record(store::TaskRecord record) {
  TaskRow r;
  static_cast<store::TaskColumns&>(r) = std::move(record);
  // Text columns held to the limit of a config value, as schedule files are (a file task's row
  // holds only such values).
  const auto limit = [&](const char* column, const std::string& text) {
    if (text.size() > config::kMaxValueBytes) {
      r.refused[column] = config::over_limit("the stored value", text.size(),
                                             config::kMaxValueBytes, "config values");
    }
  };
  limit("name", r.name);
  limit("display_name", r.display_name);
  limit("description", r.description);
  limit("task_type", r.task_type);
  limit("scope_type", r.scope_type);
  limit("schedule_expression", r.schedule_expression);
  limit("timezone", r.timezone);
  if (r.concurrency) limit("concurrency", *r.concurrency);
  limit("origin", r.origin);
  limit("created_at", r.created_at);
  limit("updated_at", r.updated_at);
  if (record.config && record.config->size() > config::kMaxConfigColumnBytes) {
    r.refused["config"] = config::over_limit("the stored value", record.config->size(),
                                             config::kMaxConfigColumnBytes, "config columns");
    r.unreadable["config"] = std::move(*record.config);
  } else if (record.config) {
    // One pass: the depth limit of configs (kMaxNesting), then the parse.
    if (auto parsed = parse_json(*record.config, config::kMaxNesting)) {
      r.config = std::move(parsed).value();
    } else {
      if (parsed.error().too_deep) {
        r.refused["config"] =
            fmt::format("the stored value nests more than {} levels deep, the limit (nesting)",
                        config::kMaxNesting);
      }
      r.unreadable["config"] = std::move(*record.config);
    }
  }
  return r;
}

std::vector<TaskRow> rows_from_records(std::vector<store::TaskRecord> records) {
  std::vector<TaskRow> rows;
  rows.reserve(records.size());
  for (auto& record : records) rows.push_back(row_from_record(std::move(record)));
  return rows;
}

store::TaskRecord record_from_row(TaskRow row) {
  store::TaskRecord record;
  record.config = json_text(row.config);
  static_cast<store::TaskColumns&>(record) = std::move(row);  // unreadable columns: not written
  return record;
}

void write_as_record(TaskRow& row, const std::function<void(store::TaskRecord&)>& write) {
  store::TaskRecord record;
  record.config = json_text(row.config);
  static_cast<store::TaskColumns&>(record) = std::move(static_cast<store::TaskColumns&>(row));
  write(record);
  static_cast<store::TaskColumns&>(row) = std::move(static_cast<store::TaskColumns&>(record));
}

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
  if (column == "id") return row.id;
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
  if (column == "last_run_id") return optional(row.last_run_id);
  if (column == "last_run_at") return optional(row.last_run_at);
  if (column == "last_run_status") return optional(row.last_run_status);
  if (column == "next_run_at") return optional(row.next_run_at);
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
  // A row the application inserted has no zone of maintd's: the configuration's default.
  if (!row.timezone.empty()) entry["timezone"] = row.timezone;
  if (readable("enabled") && readable("enabled_override")) {
    entry["enabled"] = row.enabled_override.value_or(row.enabled);
  }
  // Only when set: a 0 is "not given", so that a config's own dry_run (Curatore's rows keep it
  // there) is not contradicted by a column the application never wrote.
  if (readable("dry_run") && row.dry_run) entry["dry_run"] = true;
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
      diagnostics.error(at, fmt::format("{}: the stored value '{}' is not {}", column,
                                        shown_value(text), expected));
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

std::vector<TaskRow> read_task_rows(store::TaskTable& table) {
  return rows_from_records(store::read_task_records(table));
}

std::optional<TaskRow> read_task_row(store::TaskTable& table, const std::string& name) {
  auto record = store::read_task_record(table, name);
  if (!record) return std::nullopt;
  return row_from_record(std::move(*record));
}

std::string resolve_task_name(store::TaskTable& table, const config::Config& config,
                              const std::string& name_or_id) {
  if (config.find_task(name_or_id) != nullptr) return name_or_id;
  if (!store::has_task_table(table)) return name_or_id;
  auto record = store::read_task_record(table, name_or_id);  // a name wins over an id
  return record ? record->name : name_or_id;
}

bool insert_db_task(store::TaskTable& table, const TaskRow& row, const store::Clock& clock) {
  return store::insert_db_record(table, record_from_row(row), clock);
}

bool update_db_task(store::TaskTable& table, const TaskRow& row,
                    const std::string& expected_updated_at, const store::Clock& clock) {
  return store::update_db_record(table, record_from_row(row), expected_updated_at, clock);
}

}  // namespace maintd::tasks
