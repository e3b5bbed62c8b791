// runs.cleanup_expired: delete finished runs older than the retention, with their child rows,
// in batches. On a configured table (the application's runs), or, with no table, on maintd's own
// history (maintd_runs and maintd_run_events in the state database), so that it stays bounded.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "handlers/runs_common.hpp"
#include "handlers/support/batches.hpp"
#include "handlers/support/live_schema.hpp"

namespace maintd::handlers::runs {
namespace {

using nlohmann::json;
using registry::ValueType;

const std::vector<std::string> kDefaultTerminal = {"completed", "failed", "cancelled", "timed_out"};

// child_tables, or none when it is unset (null, "") or empty.
std::vector<std::string> child_tables(const json& config) {
  const auto it = config.find("child_tables");
  if (it == config.end() || !it->is_array()) return {};
  return it->get<std::vector<std::string>>();
}

struct Child {
  std::string name;  // as configured, for the result
  std::string table_q, foreign_key_q;
};

// What to delete from, and the predicate of an expired run, whichever database it is.
struct Plan {
  std::string describe;  // for the result and the log
  std::string table_q, id_q, status_q;
  std::string age_predicate;  // uses :cutoff
  std::string cutoff;         // its bound value
  std::vector<std::string> statuses;
  std::vector<Child> children;
  std::string where;

  std::string expired() const {
    std::string list;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      list += fmt::format("{}:terminal_{}", i == 0 ? "" : ", ", i);
    }
    return fmt::format("{} IN ({}) AND {}{}", status_q, list, age_predicate,
                       where.empty() ? std::string() : fmt::format(" AND ({})", where));
  }
  void bind(SqlParams& params) const {
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      params.text(fmt::format("terminal_{}", i), statuses[i]);
    }
    params.text("cutoff", cutoff);
  }
};

json run_cleanup_expired(registry::HandlerContext& context) {
  const auto& config = context.config;
  const std::string table = optional_text(config, "table");
  const auto retention_days = config.value("retention_days", 30LL);
  const long long batch_size = config.value("batch_size", 1000LL);
  RunCap cap(config);
  const auto cutoff_at = cutoff(run_now(context), std::chrono::hours(24 * retention_days));

  Plan plan;
  std::unique_ptr<soci::session> session;
  plan.where = optional_text(config, "where");
  if (table.empty()) {
    // maintd's own history. Its terminal statuses are maintd's: a pending, running or
    // abandoned run (which may still finish late) is never deleted, nor the run doing this.
    if (config.contains("terminal_statuses") &&
        config["terminal_statuses"].get<std::vector<std::string>>() != kDefaultTerminal) {
      context.warning("ignored",
                      "terminal_statuses applies to a configured table; maintd's own "
                      "history uses maintd's terminal statuses");
    }
    if (!child_tables(config).empty()) {
      context.warning("ignored",
                      "child_tables applies to a configured table; maintd's own "
                      "history deletes maintd_run_events with its runs");
    }
    session = context.state_database();
    plan.describe = "maintd's own history (maintd_runs, maintd_run_events)";
    plan.table_q = quote_identifier("maintd_runs");
    plan.id_q = quote_identifier("id");
    plan.status_q = quote_identifier("status");
    // maintd's own timestamps: fixed-width ISO-8601 text in UTC with milliseconds
    // (store/timestamp.hpp), which sorts as text on both backends; compared as text, not through
    // the target layer's instant comparisons (the columns are TEXT there, not timestamptz).
    plan.age_predicate = "COALESCE(\"finished_at\", \"created_at\") < :cutoff";
    plan.cutoff = utc_text(cutoff_at);
    plan.statuses = maintd_terminal_statuses();
    plan.children.push_back(
        {"maintd_run_events", quote_identifier("maintd_run_events"), quote_identifier("run_id")});
  } else {
    const std::string database = config.value("database", "app");
    session = context.database(database);
    TargetSql probe(*session);
    plan.describe = fmt::format("table {} of database {}", table, database);
    plan.table_q = quote_identifier(table);
    plan.id_q = quote_identifier(config.value("id_column", "id"));
    plan.status_q = quote_identifier(config.value("status_column", "status"));
    plan.age_predicate =
        probe.before(quote_identifier(config.value("age_column", "completed_at")), "cutoff");
    plan.cutoff = probe.timestamp_value(cutoff_at);
    plan.statuses = config.value("terminal_statuses", kDefaultTerminal);
    const auto foreign_key = quote_identifier(config.value("child_foreign_key", "run_id"));
    for (const auto& child : child_tables(config)) {
      plan.children.push_back({child, quote_identifier(child), foreign_key});
    }
  }
  if (plan.statuses.empty()) {
    throw std::invalid_argument("terminal_statuses is empty: no run could ever be deleted");
  }

  TargetSql sql(*session);
  const auto expired = plan.expired();
  const auto expired_ids =
      fmt::format("SELECT {} FROM {} WHERE {}", plan.id_q, plan.table_q, expired);
  SqlParams count_params;
  plan.bind(count_params);
  const long long total = sql.count(
      fmt::format("SELECT COUNT(*) FROM {} WHERE {}", plan.table_q, expired), count_params);

  json ids = json::array();
  json children = json::object();
  for (const auto& child : plan.children) children[child.name] = 0;
  json result = {{"dry_run", context.dry_run},
                 {"target", plan.describe},
                 {"retention_days", retention_days},
                 {"expired", total}};

  if (context.dry_run) {
    // The runs a run would delete: the first `would_change` by id, as its batches take them.
    const long long would_change = cap.of(total);
    const auto first = [&](long long count) {
      SqlParams params;
      plan.bind(params);
      params.integer("limit", count);
      return params;
    };
    const auto deleted_ids = fmt::format("{} ORDER BY {} LIMIT :limit", expired_ids, plan.id_q);
    for (const auto& child : plan.children) {
      children[child.name] = sql.count(fmt::format("SELECT COUNT(*) FROM {} WHERE {} IN ({})",
                                                   child.table_q, child.foreign_key_q, deleted_ids),
                                       first(would_change));
    }
    append_ids(
        ids, sql.column(fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT :limit",
                                    sql.as_text(plan.id_q) + " AS maintd_id", plan.table_q, expired,
                                    plan.id_q),
                        first(std::min(would_change, static_cast<long long>(kMaxIdsInResult)))));
    context.info("dry_run",
                 fmt::format("would delete {} expired runs from {}", would_change, plan.describe));
    result.update({{"deleted", 0},
                   {"would_change", would_change},  // what health.report counts as stale
                   {"children_deleted", children},
                   {"ids", ids}});
    result.update(cap.result(context, total - would_change));
    return result;
  }

  long long deleted = 0;
  const auto batch = [&](TargetSql& tx, long long limit) -> long long {
    SqlParams params;
    plan.bind(params);
    params.integer("limit", limit);
    std::vector<std::string> deleted_ids;
    if (tx.dialect() == Dialect::postgresql) {
      // Lock this batch's runs first, skipping those another cleanup holds: two concurrent
      // runs take disjoint batches, and children and parents are deleted for the same ids.
      const auto locked = tx.column(
          fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT :limit FOR UPDATE SKIP LOCKED",
                      tx.as_text(plan.id_q) + " AS maintd_id", plan.table_q, expired, plan.id_q),
          params);
      if (locked.empty()) return 0;
      SqlParams by_id;
      plan.bind(by_id);
      std::string list;
      for (std::size_t i = 0; i < locked.size(); ++i) {
        list += fmt::format("{}:id_{}", i == 0 ? "" : ", ", i);
        by_id.text(fmt::format("id_{}", i), locked[i]);
      }
      SqlParams child_ids;
      for (std::size_t i = 0; i < locked.size(); ++i) {
        child_ids.text(fmt::format("id_{}", i), locked[i]);
      }
      for (const auto& child : plan.children) {
        children[child.name] = children[child.name].get<long long>() +
                               tx.execute(fmt::format("DELETE FROM {} WHERE {} IN ({})",
                                                      child.table_q, child.foreign_key_q, list),
                                          child_ids);
      }
      // Guarded again: a run that changed state since it was locked is not ours to delete.
      deleted_ids =
          tx.column(fmt::format("DELETE FROM {} WHERE {} IN ({}) AND {} RETURNING {}", plan.table_q,
                                plan.id_q, list, expired, tx.as_text(plan.id_q)),
                    by_id);
      deleted += static_cast<long long>(deleted_ids.size());
      cap.add(static_cast<long long>(deleted_ids.size()));
      append_ids(ids, deleted_ids);
      return static_cast<long long>(locked.size());
    }
    // SQLite: the first statement writes, so this transaction holds the write lock from its
    // start and the batch's subquery picks the same runs in every statement.
    const auto batch_ids = fmt::format("{} ORDER BY {} LIMIT :limit", expired_ids, plan.id_q);
    for (const auto& child : plan.children) {
      children[child.name] = children[child.name].get<long long>() +
                             tx.execute(fmt::format("DELETE FROM {} WHERE {} IN ({})",
                                                    child.table_q, child.foreign_key_q, batch_ids),
                                        params);
    }
    deleted_ids = tx.column(fmt::format("DELETE FROM {} WHERE {} IN ({}) RETURNING {}",
                                        plan.table_q, plan.id_q, batch_ids, tx.as_text(plan.id_q)),
                            params);
    deleted += static_cast<long long>(deleted_ids.size());
    cap.add(static_cast<long long>(deleted_ids.size()));
    append_ids(ids, deleted_ids);
    return static_cast<long long>(deleted_ids.size());
  };
  const auto totals = run_in_batches(context, sql, batch_size, total, cap, batch);
  context.info("deleted", fmt::format("deleted {} expired runs from {}", deleted, plan.describe));
  result.update({{"deleted", deleted}, {"children_deleted", children}, {"ids", ids}});
  result.update(totals.to_json());
  result.update(cap.result(context, cap.remaining([&] {
    return sql.count(fmt::format("SELECT COUNT(*) FROM {} WHERE {}", plan.table_q, expired),
                     count_params);
  })));
  return result;
}

std::vector<registry::SchemaIssue> check_expired(
    const json& config, const registry::HandlerContext::SessionFactory& sessions) {
  const std::string table = optional_text(config, "table");
  if (table.empty()) return {};  // maintd's own tables: migrated by maintd itself
  const auto session = sessions(config.value("database", "app"));
  auto issues = check_table(*session, "table", table,
                            {{"id_column", config.value("id_column", "id")},
                             {"status_column", config.value("status_column", "status")},
                             {"age_column", config.value("age_column", "completed_at")}});
  const std::string foreign_key = config.value("child_foreign_key", "run_id");
  for (const auto& child : child_tables(config)) {
    for (auto& issue :
         check_table(*session, "child_tables", child, {{"child_foreign_key", foreign_key}})) {
      issues.push_back(std::move(issue));
    }
  }
  return issues;
}

}  // namespace

registry::HandlerInfo cleanup_expired_handler() {
  std::vector<registry::KeySpec> keys = {
      key("database", ValueType::database, "the target database, when table is set", "app"),
      optional_key(
          "table", ValueType::identifier,
          "the runs table; unset: maintd's own history (maintd_runs and maintd_run_events in the "
          "state database)"),
      key("id_column", ValueType::identifier, "the runs' id column", "id"),
      key("status_column", ValueType::identifier, "the runs' status column", "status"),
      key("age_column", ValueType::identifier,
          "when a run finished: runs older than the retention by it are deleted (NULL: never)",
          "completed_at"),
      key("terminal_statuses", ValueType::string_list,
          "the statuses of finished runs: no other run is ever deleted", kDefaultTerminal),
      key("retention_days", ValueType::integer, "finished runs are kept this many days", 30, 0,
          36500),
      optional_key("child_tables", ValueType::identifier_list,
                   "tables whose rows belong to a run (events, logs), deleted with it (unset or "
                   "[]: none)",
                   json::array()),
      key("child_foreign_key", ValueType::identifier,
          "the column of each child table holding its run's id", "run_id"),
      where_key(),
      batch_size_key(1000, 10000),
      max_per_run_key("runs"),
  };
  return {
      "runs.cleanup_expired",
      "Delete finished runs older than retention_days with their child rows (maintd's own "
      "history when no table is set)",
      registry::ConfigSchema(std::move(keys)),
      run_cleanup_expired,
      check_expired,
      registry::Headline{
          .key = "deleted",
          .label = "runs deleted",
          .words = {{"deleted", "deleted {} expired run", "deleted {} expired runs"},
                    {"remaining", "{} left for the next run"}},
          .none = "no expired runs",
          .dry_run_words = {{"would_change", "would delete {} expired run",
                             "would delete {} expired runs", true}},
      },
  };
}

}  // namespace maintd::handlers::runs
