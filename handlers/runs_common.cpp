#include "handlers/runs_common.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <utility>

#include "handlers/runs_handlers.hpp"
#include "handlers/support/live_schema.hpp"

namespace maintd::handlers {

void register_runs_handlers(registry::Registry& registry) {
  registry.add_handler(runs::cleanup_stale_handler());
  registry.add_handler(runs::check_resume_handler());
  registry.add_handler(runs::cleanup_expired_handler());
}

namespace runs {
namespace {

using nlohmann::json;
using registry::KeySpec;
using registry::ValueType;

std::string text(const json& config, const char* name, const std::string& fallback = {}) {
  const auto it = config.find(name);
  if (it == config.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

double number(const json& config, const char* name, double fallback) {
  const auto it = config.find(name);
  if (it == config.end() || !it->is_number()) return fallback;
  return it->get<double>();
}

std::string amount_text(double value, const char* unit) {
  return fmt::format("{:g} {}{}", value, unit, value == 1 ? "" : "s");
}

// The placeholders a checkpoint template may use; anything else is a typo that would make every
// run look checkpoint-less (and so dead), which must not pass silently.
std::vector<std::string> placeholders(const std::string& path_template) {
  std::vector<std::string> found;
  for (std::size_t open = path_template.find('{'); open != std::string::npos;
       open = path_template.find('{', open + 1)) {
    const auto close = path_template.find('}', open);
    if (close == std::string::npos) {
      throw std::invalid_argument(
          fmt::format("checkpoint_path: '{}' has a '{{' without its '}}'", path_template));
    }
    found.push_back(path_template.substr(open + 1, close - open - 1));
  }
  return found;
}

}  // namespace

const std::vector<std::string>& maintd_terminal_statuses() {
  static const std::vector<std::string> statuses = {"completed", "failed", "timed_out", "cancelled",
                                                    "skipped"};
  return statuses;
}

std::vector<KeySpec> stale_keys() {
  return {
      key("database", ValueType::database, "the target database (under 'databases:')", "app"),
      key("table", ValueType::identifier, "the runs table", "runs"),
      key("id_column", ValueType::identifier, "the runs' id column", "id"),
      key("status_column", ValueType::identifier, "the runs' status column", "status"),
      key("age_column", ValueType::identifier,
          "the instant a run's age is measured from (when it was created or started)",
          "created_at"),
      optional_key("updated_at_column", ValueType::identifier,
                   "optional: when set, the age is measured from it (falling back to age_column "
                   "when NULL) and every change this handler makes sets it to now, so a retried "
                   "run gets the full threshold again"),
      optional_key("submitted_status", ValueType::string,
                   "the status of a submitted run (unset: the state is left out)", "submitted"),
      optional_key("pending_status", ValueType::string,
                   "the status of a pending run (unset: the state is left out)", "pending"),
      optional_key("running_status", ValueType::string,
                   "the status of a running run (unset: the state is left out)", "running"),
      key("stale_submitted_minutes", ValueType::number, "a submitted run older than this is stale",
          30, 0),
      key("stale_pending_hours", ValueType::number, "a pending run older than this is stale", 1, 0),
      key("stale_running_hours", ValueType::number, "a running run older than this is stale", 2, 0),
      optional_key("progress_columns", ValueType::identifier_list,
                   "columns counting a run's progress: a stale run with any of them > 0 is "
                   "resumable and left alone (unset or []: none)",
                   json::array()),
      optional_key("checkpoint_path", ValueType::string,
                   "optional: a checkpoint file per run, {id} and {key} replaced "
                   "(/var/lib/scraper/checkpoints/{id}.json): a stale run whose file exists and "
                   "is not empty is resumable and left alone"),
      key("key_column", ValueType::identifier,
          "the column naming what a run works on (a portal): runs.check_resume's `portal`, "
          "{key} in checkpoint_path",
          "portal_name"),
      key("failed_status", ValueType::string,
          "the terminal status a dead run gets (the scraper guide: \"Timeout - Auto-cleaned\")",
          "failed"),
      optional_key("completed_at_column", ValueType::identifier,
                   "set to now when a dead run is marked failed (unset: not written)",
                   "completed_at"),
      optional_key("error_column", ValueType::identifier,
                   "receives why a dead run was failed and how old it was (unset: not written)",
                   "error_message"),
      where_key(),
  };
}

void append_ids(json& list, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (list.size() >= kMaxIdsInResult) return;
    list.push_back(id);
  }
}

std::string describe_age(double seconds) {
  if (seconds < 90 * 60) return fmt::format("{:.0f} minutes", seconds / 60);
  if (seconds < 48 * 3600) return fmt::format("{:.1f} hours", seconds / 3600);
  return fmt::format("{:.1f} days", seconds / 86400);
}

StaleConfig StaleConfig::from(const json& config, bool needs_key) {
  StaleConfig c;
  c.database = text(config, "database", "app");
  c.table = text(config, "table", "runs");
  c.table_q = quote_identifier(c.table);
  c.id_q = quote_identifier(text(config, "id_column", "id"));
  c.status_q = quote_identifier(text(config, "status_column", "status"));
  const auto age_q = quote_identifier(text(config, "age_column", "created_at"));
  c.updated_at_q = quoted_or_empty(config, "updated_at_column");
  c.age_q = c.updated_at_q.empty() ? age_q : fmt::format("COALESCE({}, {})", c.updated_at_q, age_q);
  c.completed_at_q = quoted_or_empty(config, "completed_at_column", "completed_at");
  c.error_q = quoted_or_empty(config, "error_column", "error_message");
  if (const auto it = config.find("progress_columns"); it != config.end() && it->is_array()) {
    for (const auto& column : *it)
      c.progress_q.push_back(quote_identifier(column.get<std::string>()));
  }
  c.checkpoint_path = optional_text(config, "checkpoint_path");
  bool template_needs_key = false;
  for (const auto& name : placeholders(c.checkpoint_path)) {
    if (name == "key") {
      template_needs_key = true;
    } else if (name != "id") {
      throw std::invalid_argument(fmt::format(
          "checkpoint_path: unknown placeholder '{{{}}}' (use {{id}} or {{key}})", name));
    }
  }
  if (needs_key || template_needs_key) {
    c.key_column_q = quote_identifier(text(config, "key_column", "portal_name"));
  }
  c.failed_status = text(config, "failed_status", "failed");
  c.where = optional_text(config, "where");

  struct Spec {
    const char* label;
    const char* status_key;
    const char* default_status;
    const char* threshold_key;
    double default_threshold;
    int unit_seconds;
    const char* unit;
  };
  static constexpr Spec kSpecs[] = {
      {"submitted", "submitted_status", "submitted", "stale_submitted_minutes", 30, 60, "minute"},
      {"pending", "pending_status", "pending", "stale_pending_hours", 1, 3600, "hour"},
      {"running", "running_status", "running", "stale_running_hours", 2, 3600, "hour"},
  };
  for (const auto& spec : kSpecs) {
    auto status = optional_text(config, spec.status_key, spec.default_status);
    if (status.empty()) continue;
    const double amount = number(config, spec.threshold_key, spec.default_threshold);
    c.states.push_back({spec.label, std::move(status),
                        std::chrono::milliseconds(std::llround(amount * spec.unit_seconds * 1000)),
                        amount_text(amount, spec.unit), fmt::format("cutoff_{}", spec.label)});
  }
  if (c.states.empty()) {
    throw std::invalid_argument(
        "submitted_status, pending_status and running_status are all empty: no run can be "
        "stale");
  }
  return c;
}

const StaleState* StaleConfig::state_of(const std::string& status) const {
  for (const auto& state : states) {
    if (state.status == status) return &state;
  }
  return nullptr;
}

void StaleConfig::bind_times(TargetSql& sql, SqlParams& params, Millis now) const {
  for (const auto& state : states) {
    params.text("status_" + state.label, state.status);
    params.text(state.cutoff_param, sql.timestamp_value(cutoff(now, state.threshold)));
  }
}

std::string StaleConfig::stale_predicate(const TargetSql& sql) const {
  // Each state against its own cutoff: the before() of the support layer, so that text
  // timestamps (SQLite) and timestamptz columns (PostgreSQL) compare as instants.
  std::string predicate;
  for (const auto& state : states) {
    if (!predicate.empty()) predicate += " OR ";
    predicate += fmt::format("({} = :status_{} AND {})", status_q, state.label,
                             sql.before(age_q, state.cutoff_param));
  }
  return "(" + predicate + ")";
}

std::string StaleConfig::active_predicate() const {
  std::string list;
  for (const auto& state : states) {
    if (!list.empty()) list += ", ";
    list += ":status_" + state.label;
  }
  return fmt::format("{} IN ({})", status_q, list);
}

std::string StaleConfig::progressed_expression() const {
  if (progress_q.empty()) return "0";
  std::string any;
  for (const auto& column : progress_q) {
    if (!any.empty()) any += " OR ";
    any += fmt::format("COALESCE({}, 0) > 0", column);
  }
  return fmt::format("CASE WHEN {} THEN 1 ELSE 0 END", any);
}

std::string StaleConfig::no_progress_predicate() const {
  if (progress_q.empty()) return "1 = 1";
  std::string all;
  for (const auto& column : progress_q) {
    if (!all.empty()) all += " AND ";
    all += fmt::format("COALESCE({}, 0) <= 0", column);
  }
  return all;
}

std::string StaleConfig::user_where() const {
  return where.empty() ? std::string() : fmt::format(" AND ({})", where);
}

std::string expand_checkpoint(const std::string& path_template, const std::string& id,
                              const std::string& key) {
  std::string path;
  for (std::size_t i = 0; i < path_template.size();) {
    if (path_template.compare(i, 4, "{id}") == 0) {
      path += id;
      i += 4;
    } else if (path_template.compare(i, 5, "{key}") == 0) {
      path += key;
      i += 5;
    } else {
      path += path_template[i++];
    }
  }
  return path;
}

bool checkpoint_holds_data(const std::string& path) {
  // stat() only: the file is the application's, maintd never reads or changes it.
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return false;
  return S_ISREG(info.st_mode) && info.st_size > 0;
}

void find_checkpoint(const StaleConfig& config, StaleRun& run) {
  if (config.checkpoint_path.empty()) return;
  run.checkpoint = expand_checkpoint(config.checkpoint_path, run.id, run.key);
  run.has_checkpoint = checkpoint_holds_data(run.checkpoint);
}

std::string dead_reason(const StaleConfig& config, const StaleRun& run) {
  const auto* state = config.state_of(run.status);
  std::string reason =
      fmt::format("Stale run: stuck in '{}' for {}", run.status, describe_age(run.age_seconds));
  if (state != nullptr) reason += fmt::format(" (threshold {})", state->threshold_text);
  std::vector<std::string> without;
  if (!config.progress_q.empty()) without.emplace_back("no progress");
  if (!config.checkpoint_path.empty()) without.emplace_back("no checkpoint");
  if (!without.empty()) reason += fmt::format(" with {}", fmt::join(without, " and "));
  return reason;
}

bool fail_run(TargetSql& sql, const StaleConfig& config, const StaleRun& run,
              const std::string& message, Millis now, const std::string& retry_count_q,
              std::optional<long long> retries) {
  const auto* state = config.state_of(run.status);
  if (state == nullptr) return false;
  SqlParams params;
  params.text("failed", config.failed_status)
      .text("id", run.id)
      .text("read_status", run.status)
      .text("cutoff", sql.timestamp_value(cutoff(now, state->threshold)));
  // The status always; the optional columns when configured. Only what the statement uses is
  // bound: SQLite refuses a name the statement does not have.
  std::string set = fmt::format("{} = :failed", config.status_q);
  bool sets_now = false;
  for (const auto* column : {&config.completed_at_q, &config.updated_at_q}) {
    if (column->empty()) continue;
    set += fmt::format(", {} = {}", *column, sql.timestamp_param("now"));
    sets_now = true;
  }
  if (sets_now) params.text("now", sql.timestamp_value(now));
  if (!config.error_q.empty()) {
    set += fmt::format(", {} = :message", config.error_q);
    params.text("message", message);
  }
  std::string guard;
  if (retries) {
    guard = fmt::format(" AND COALESCE({}, 0) = :retries", retry_count_q);
    params.integer("retries", *retries);
  }
  const auto statement = fmt::format(
      "UPDATE {} SET {} WHERE {} = :id AND {} = :read_status AND {} AND {}{}{}", config.table_q,
      set, config.id_q, config.status_q, sql.before(config.age_q, "cutoff"),
      config.no_progress_predicate(), guard, config.user_where());
  return sql.execute(statement, params) == 1;
}

std::vector<registry::SchemaIssue> check_stale_columns(
    const json& config, const registry::HandlerContext::SessionFactory& sessions, bool needs_key,
    const std::vector<std::pair<std::string, std::string>>& extra_columns) {
  try {
    (void)StaleConfig::from(config, needs_key);
  } catch (const std::invalid_argument& e) {
    return {{"", e.what()}};
  }
  // Unset optional columns are "" here: check_table skips them.
  ColumnKeys columns = {
      {"id_column", text(config, "id_column", "id")},
      {"status_column", text(config, "status_column", "status")},
      {"age_column", text(config, "age_column", "created_at")},
      {"updated_at_column", optional_text(config, "updated_at_column")},
      {"completed_at_column", optional_text(config, "completed_at_column", "completed_at")},
      {"error_column", optional_text(config, "error_column", "error_message")},
  };
  const auto path = optional_text(config, "checkpoint_path");
  if (needs_key || path.find("{key}") != std::string::npos) {
    columns.emplace_back("key_column", text(config, "key_column", "portal_name"));
  }
  if (const auto it = config.find("progress_columns"); it != config.end() && it->is_array()) {
    for (const auto& column : *it)
      columns.emplace_back("progress_columns", column.get<std::string>());
  }
  for (const auto& extra : extra_columns) columns.push_back(extra);
  const auto session = sessions(text(config, "database", "app"));
  return check_table(*session, "table", text(config, "table", "runs"), columns);
}

}  // namespace runs
}  // namespace maintd::handlers
