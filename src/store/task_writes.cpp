// The statements that write tasks (see task_writes.hpp). The task table's statements are built
// from its layout: only the columns it has, under its own names. Every value is bound as text
// (or NULL): SQLite stores it by the column's affinity, PostgreSQL takes the parameter's type
// from the column (a boolean reads '1' as true, a uuid or jsonb column parses the text), so
// one set of statements serves maintd's own table and an application's.
#include "store/task_writes.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string_view>

#include "store/store_error.hpp"

namespace maintd::store {

std::string new_task_id() {
  // A version 7 UUID: 48 bits of Unix milliseconds, then a counter and random bits. Time-ordered,
  // so that a sync inserting 100,000 tasks appends to the primary key's index instead of
  // scattering over it (random version 4 ids doubled the first start at that size).
  thread_local std::mt19937_64 random{std::random_device{}()};
  thread_local std::uint64_t last_ms = 0;
  thread_local std::uint16_t counter = 0;
  const auto ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  if (ms != last_ms) {
    last_ms = ms;
    counter = static_cast<std::uint16_t>(random() & 0x3ff);  // room to count up within the ms
  } else {
    ++counter;
  }
  const std::uint64_t tail = random();
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | ((counter >> 8) & 0x0f));
  b[7] = static_cast<std::uint8_t>(counter & 0xff);
  b[8] = static_cast<std::uint8_t>(0x80 | (tail & 0x3f));
  for (int i = 9; i < 16; ++i) b[i] = static_cast<std::uint8_t>(tail >> (8 * (i - 8)));
  std::string text;
  text.reserve(36);
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += kHex[b[i] >> 4];
    text += kHex[b[i] & 0x0f];
  }
  return text;
}

WriteTransaction::WriteTransaction(soci::session& sql, Dialect dialect, bool lock) : sql_(sql) {
  if (dialect == Dialect::sqlite) {
    sql_ << (lock ? "BEGIN IMMEDIATE" : "BEGIN");
    return;
  }
  sql_ << "BEGIN";
  if (!lock) return;
  try {
    // "maintd tasks": one key for every writer of tasks that must not interleave.
    sql_ << "SELECT pg_advisory_xact_lock(" << 0x6d7464746b73LL << ")";
  } catch (...) {
    sql_ << "ROLLBACK";
    throw;
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

namespace {

// The values of a statement being built, each added where its placeholder goes.
class Bindings {
 public:
  // The next placeholder (:p0, :p1, ...), bound to `value` (NULL when empty).
  std::string add(std::optional<std::string> value) {
    values_.push_back(std::move(value));
    return fmt::format(":p{}", values_.size() - 1);
  }
  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

std::string flag(bool value) {
  return value ? "1" : "0";
}
std::optional<std::string> number(const std::optional<std::int64_t>& value) {
  return value ? std::optional<std::string>(std::to_string(*value)) : std::nullopt;
}

// The task table's columns maintd writes, in the order of their placeholders: an INSERT writes
// all of them, an UPDATE the definition and updated_at (the timestamps of creation, the key and
// the name stay).
constexpr std::array kInsertedColumns = {
    "id",        "name",       "display_name",        "description",
    "task_type", "scope_type", "schedule_expression", "enabled",
    "config",    "created_at", "updated_at"};
constexpr std::array kUpdatedColumns = {"display_name", "description",         "task_type",
                                        "scope_type",   "schedule_expression", "enabled",
                                        "config",       "updated_at"};

// The value a write binds to one of those columns (as text; NULL when empty).
std::optional<std::string> written_value(const TaskRecord& r, std::string_view guide) {
  if (guide == "id") return r.id;
  if (guide == "name") return r.name;
  if (guide == "display_name") return r.display_name;
  if (guide == "description") return r.description;
  if (guide == "task_type") return r.task_type;
  if (guide == "scope_type") return r.scope_type;
  if (guide == "schedule_expression") return r.schedule_expression;
  if (guide == "enabled") return flag(r.enabled);
  if (guide == "config") return r.config;
  if (guide == "created_at") return r.created_at;
  if (guide == "updated_at") return r.updated_at;
  throw std::logic_error(fmt::format("task_writes: no value for the column '{}'", guide));
}

// maintd_tasks' columns, in the order of their placeholders; task_id first.
constexpr std::array kMaintdColumns = {"task_id",
                                       "origin",
                                       "timezone",
                                       "enabled_override",
                                       "timeout_seconds",
                                       "concurrency",
                                       "catchup_seconds",
                                       "retries",
                                       "retry_backoff_seconds",
                                       "jitter_seconds",
                                       "expect_success_within_seconds",
                                       "dry_run",
                                       "updated_at"};

std::vector<std::optional<std::string>> maintd_values(const TaskRecord& r, const std::string& key) {
  return {key,
          r.origin,
          r.timezone.empty() ? std::nullopt : std::optional<std::string>(r.timezone),
          r.enabled_override ? std::optional<std::string>(flag(*r.enabled_override)) : std::nullopt,
          number(r.timeout_seconds),
          r.concurrency,
          number(r.catchup_seconds),
          number(r.retries),
          number(r.retry_backoff_seconds),
          number(r.jitter_seconds),
          number(r.expect_success_within_seconds),
          flag(r.dry_run),
          r.updated_at};
}

// ":p0, :p1, ..." for `count` values from `first`.
std::vector<std::string> placeholders(std::size_t first, std::size_t count) {
  std::vector<std::string> out;
  for (std::size_t i = first; i < first + count; ++i) out.push_back(fmt::format(":p{}", i));
  return out;
}

}  // namespace

TaskWrites::TaskWrites(TaskSessions sessions, TaskTableLayout layout)
    : sessions_(sessions), layout_(std::move(layout)) {
  for (const char* guide : kInsertedColumns) {
    if (!layout_.has(guide)) continue;
    if (std::string_view(guide) == "id" && layout_.database_assigns_id()) continue;
    inserted_.emplace_back(guide);
  }
  for (const char* guide : kUpdatedColumns) {
    if (layout_.has(guide)) updated_.emplace_back(guide);
  }
}

std::string TaskWrites::text_of(Statement which) const {
  const auto assignments = [&](const std::vector<std::string>& guides) {
    std::vector<std::string> sets;
    for (std::size_t i = 0; i < guides.size(); ++i) {
      sets.push_back(fmt::format("{} = :p{}", layout_.name_of(guides[i]), i));
    }
    return sets;
  };
  const std::string& name = layout_.name_of("name");
  switch (which) {
    case Statement::insert: {
      std::vector<std::string> columns;
      for (const auto& guide : inserted_) columns.push_back(layout_.name_of(guide));
      return fmt::format("INSERT INTO {} ({}) VALUES ({})", layout_.table, fmt::join(columns, ", "),
                         fmt::join(placeholders(0, columns.size()), ", "));
    }
    case Statement::update:
    case Statement::update_if_unchanged: {
      std::string where = fmt::format("{} = :p{}", name, updated_.size());
      if (which == Statement::update_if_unchanged) {
        where += fmt::format(" AND CAST({} AS TEXT) = :p{}", layout_.name_of("updated_at"),
                             updated_.size() + 1);
      }
      return fmt::format("UPDATE {} SET {} WHERE {}", layout_.table,
                         fmt::join(assignments(updated_), ", "), where);
    }
    case Statement::set_enabled: {
      std::vector<std::string> guides = {"enabled"};
      if (layout_.has("updated_at")) guides.emplace_back("updated_at");
      return fmt::format("UPDATE {} SET {} WHERE {} = :p{}", layout_.table,
                         fmt::join(assignments(guides), ", "), name, guides.size());
    }
    case Statement::upsert_keep_override:
    case Statement::upsert_set_override: {
      std::vector<std::string> updates;
      for (std::string_view column : kMaintdColumns) {
        if (column == "task_id") continue;
        if (column == "enabled_override" && which == Statement::upsert_keep_override) continue;
        updates.push_back(fmt::format("{0} = excluded.{0}", column));
      }
      return fmt::format(
          "INSERT INTO maintd_tasks ({}) VALUES ({}) ON CONFLICT (task_id) DO UPDATE SET {}",
          fmt::join(kMaintdColumns, ", "), fmt::join(placeholders(0, kMaintdColumns.size()), ", "),
          fmt::join(updates, ", "));
    }
    case Statement::remove_task:
      return fmt::format("DELETE FROM {} WHERE {} = :p0", layout_.table, name);
    case Statement::remove_maintd_row:
      return "DELETE FROM maintd_tasks WHERE task_id = :p0";
  }
  throw std::logic_error("task_writes: an unknown statement");
}

long long TaskWrites::execute(Statement which,
                              const std::vector<std::optional<std::string>>& values) {
  auto& slot = prepared_[static_cast<std::size_t>(which)];
  if (!slot) {
    const bool in_state = which == Statement::upsert_keep_override ||
                          which == Statement::upsert_set_override ||
                          which == Statement::remove_maintd_row;
    slot = std::make_unique<PreparedWrite>(in_state ? sessions_.state : sessions_.home,
                                           text_of(which), values.size());
  }
  return slot->execute(values);
}

std::optional<TaskRecord> TaskWrites::find(const std::string& name) {
  auto rows = read_tasks(sessions_, layout_, TaskMatch::name, name);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

PreparedWrite::PreparedWrite(soci::session& sql, const std::string& query, std::size_t values)
    : values_(values), inds_(values, soci::i_null), st_(sql) {
  for (std::size_t i = 0; i < values; ++i) st_.exchange(soci::use(values_[i], inds_[i]));
  st_.alloc();
  st_.prepare(query);
  st_.define_and_bind();
}

long long PreparedWrite::execute(const std::vector<std::optional<std::string>>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    values_[i] = values[i].value_or("");
    inds_[i] = values[i] ? soci::i_ok : soci::i_null;
  }
  st_.execute(true);
  return st_.get_affected_rows();
}

bool TaskWrites::insert(TaskRecord& row, bool name_known_free) {
  if (!name_known_free && find(row.name)) return false;
  if (layout_.has("id") && !layout_.database_assigns_id()) row.id = new_task_id();
  std::vector<std::optional<std::string>> values;
  values.reserve(inserted_.size());
  for (const auto& guide : inserted_) values.push_back(written_value(row, guide));
  execute(Statement::insert, values);
  if (layout_.database_assigns_id()) {
    auto inserted = find(row.name);
    if (!inserted) return false;
    row.id = inserted->id;
  }
  upsert_maintd_row(row, key_of(row, layout_), true);
  return true;
}

bool TaskWrites::update(const TaskRecord& record, const std::string* expected_updated_at,
                        bool set_override) {
  std::vector<std::optional<std::string>> values;
  for (const auto& guide : updated_) values.push_back(written_value(record, guide));
  values.emplace_back(record.name);
  const bool conditional = expected_updated_at != nullptr && layout_.has("updated_at");
  if (conditional) values.emplace_back(*expected_updated_at);
  const long long changed =
      execute(conditional ? Statement::update_if_unchanged : Statement::update, values);
  if (changed == 0) return false;
  upsert_maintd_row(record, key_of(record, layout_), set_override);
  return true;
}

void TaskWrites::remove(const TaskRecord& current) {
  execute(Statement::remove_task, {current.name});
  execute(Statement::remove_maintd_row, {key_of(current, layout_)});
}

void TaskWrites::set_enabled(const TaskRecord& current, bool enabled, const std::string& now) {
  const bool changes = current.enabled_override != enabled || current.enabled != enabled;
  if (!changes) return;
  TaskRecord row = current;
  row.enabled = enabled;
  row.enabled_override = enabled;
  row.updated_at = now;
  std::vector<std::optional<std::string>> values = {flag(enabled)};
  if (layout_.has("updated_at")) values.emplace_back(now);
  values.emplace_back(row.name);
  execute(Statement::set_enabled, values);
  upsert_maintd_row(row, key_of(row, layout_), true);
}

void TaskWrites::upsert_maintd_row(const TaskRecord& r, const std::string& key, bool set_override) {
  execute(set_override ? Statement::upsert_set_override : Statement::upsert_keep_override,
          maintd_values(r, key));
}

namespace {

// The database's 32-bit hash of a text: PostgreSQL's hashtext, and on SQLite the function of
// the same job maintd registers on each connection (store/sqlite_functions.hpp). Summed over
// the rows, a change to any one of them changes the sum, whatever the order.
std::string hash_sum(Dialect dialect, const std::vector<std::string>& expressions) {
  std::vector<std::string> parts;
  for (const auto& e : expressions)
    parts.push_back(fmt::format("COALESCE(CAST({} AS TEXT), '')", e));
  const std::string joined = fmt::format("{}", fmt::join(parts, " || '|' || "));
  return fmt::format("SUM({}({}))", dialect == Dialect::sqlite ? "maintd_hash" : "hashtext",
                     joined);
}

std::string count_and_hash(soci::session& sql, const std::string& query) {
  std::string count, sum;
  soci::indicator sum_ind = soci::i_ok;
  sql << query, soci::into(count), soci::into(sum, sum_ind);
  return fmt::format("{}:{}", count, sum_ind == soci::i_ok ? sum : "-");
}

}  // namespace

std::string table_changes(soci::session& sql, const TaskTableLayout& layout) {
  std::string count, latest;
  soci::indicator latest_ind = soci::i_ok;
  const std::string latest_expression =
      layout.has("updated_at") ? fmt::format("MAX(CAST({} AS TEXT))", layout.name_of("updated_at"))
                               : std::string("NULL");
  sql << fmt::format("SELECT CAST(COUNT(*) AS TEXT), {} FROM {}", latest_expression, layout.table),
      soci::into(count), soci::into(latest, latest_ind);
  return fmt::format("{}:{}", count, latest_ind == soci::i_ok ? latest : "-");
}

std::string table_fingerprint(soci::session& sql, Dialect dialect, const TaskTableLayout& layout) {
  // What decides whether and how a task runs, and updated_at: a change of a description alone,
  // without updated_at, waits for the next change that counts. Fewer columns, less to hash at
  // each poll (every row, every poll_interval).
  std::vector<std::string> columns;
  for (const char* guide :
       {"name", "task_type", "schedule_expression", "enabled", "config", "updated_at"}) {
    if (layout.has(guide)) columns.push_back(layout.name_of(guide));
  }
  return count_and_hash(sql, fmt::format("SELECT CAST(COUNT(*) AS TEXT), CAST({} AS TEXT) FROM {}",
                                         hash_sum(dialect, columns), layout.table));
}

std::string maintd_rows_fingerprint(soci::session& sql, Dialect) {
  // Only maintd writes these rows, and every write sets updated_at (a Timestamp): the count, the
  // latest and a checksum of every row's minute, second and millisecond digits tell a change,
  // without hashing every row.
  std::string count, latest, checksum;
  soci::indicator latest_ind = soci::i_ok, checksum_ind = soci::i_ok;
  sql << "SELECT CAST(COUNT(*) AS TEXT), MAX(updated_at), CAST(SUM(CAST(SUBSTR(updated_at, 15, "
         "2) || SUBSTR(updated_at, 18, 2) || SUBSTR(updated_at, 21, 3) AS INTEGER)) AS TEXT) "
         "FROM maintd_tasks",
      soci::into(count), soci::into(latest, latest_ind), soci::into(checksum, checksum_ind);
  return fmt::format("{}:{}:{}", count, latest_ind == soci::i_ok ? latest : "-",
                     checksum_ind == soci::i_ok ? checksum : "-");
}

bool write_back(soci::session& sql, const TaskTableLayout& layout, const RunWriteBack& run) {
  Bindings bind;
  std::vector<std::string> sets;
  const auto set = [&](const char* guide, std::optional<std::string> value) {
    if (!layout.has(guide)) return;
    sets.push_back(fmt::format("{} = {}", layout.name_of(guide), bind.add(std::move(value))));
  };
  if (layout.writes_run_id()) set("last_run_id", std::to_string(run.run_id));
  set("last_run_at", run.started_at);
  set("last_run_status", run.status);
  set("next_run_at", run.next_run_at);
  if (sets.empty()) return false;
  std::string where = fmt::format("{} = {}", layout.name_of("name"), bind.add(run.task_name));
  if (layout.has("last_run_at")) {
    // Never over a later run's values: that run started later and wrote back first.
    const std::string& column = layout.name_of("last_run_at");
    where += fmt::format(" AND ({0} IS NULL OR {0} <= {1})", column, bind.add(run.started_at));
  }
  // Once per run: prepared for this one statement.
  const std::string query =
      fmt::format("UPDATE {} SET {} WHERE {}", layout.table, fmt::join(sets, ", "), where);
  return PreparedWrite(sql, query, bind.values().size()).execute(bind.values()) > 0;
}

}  // namespace maintd::store
