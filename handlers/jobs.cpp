#include "handlers/jobs.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "handlers/support/batches.hpp"
#include "handlers/support/config_keys.hpp"
#include "handlers/support/key_range.hpp"
#include "handlers/support/live_schema.hpp"
#include "handlers/support/results.hpp"
#include "handlers/support/target_sql.hpp"
#include "handlers/support/timestamps.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;
using registry::KeySpec;
using registry::ValueType;

// What a jobs task names, from its schema-checked config, identifiers quoted once here.
struct JobsTable {
  std::string database;
  std::string table_name;
  std::string table;
  std::string id;
  std::string status;
  std::string started_at;
  std::string completed_at;
  std::string error;  // "": not written
  std::string running_status;
  std::string failed_status;
  std::string error_message;
  std::string where;

  explicit JobsTable(const json& config)
      : database(config.at("database").get<std::string>()),
        table_name(config.at("table").get<std::string>()),
        table(quote_identifier(table_name)),
        id(quote_identifier(config.value("id_column", "id"))),
        status(quote_identifier(config.value("status_column", "status"))),
        started_at(quote_identifier(config.value("started_at_column", "started_at"))),
        completed_at(quote_identifier(config.value("completed_at_column", "completed_at"))),
        error(quoted_or_empty(config, "error_column", "error_message")),
        running_status(config.value("running_status", "running")),
        failed_status(config.value("failed_status", "failed")),
        error_message(
            config.value("error_message", "Job process terminated unexpectedly (orphaned)")),
        where(optional_text(config, "where")) {}

  // The guide's guard, word for word but for the names: running, never completed, started
  // before the grace period. The UPDATE carries it itself, so a job that completed after it
  // was read is never marked failed.
  std::string orphaned(const TargetSql& sql) const {
    auto text = fmt::format("{} = :running AND {} IS NULL AND {}", status, completed_at,
                            sql.before(started_at, "cutoff"));
    if (!where.empty()) text += fmt::format(" AND ({})", where);
    return text;
  }
  void bind(SqlParams& params, const TargetSql& sql, Millis cutoff) const {
    params.text("running", running_status);
    params.text("cutoff", sql.timestamp_value(cutoff));
  }
};

std::vector<registry::SchemaIssue> check_jobs_table(
    const json& config, const registry::HandlerContext::SessionFactory& sessions) {
  const auto session = sessions(config.at("database").get<std::string>());
  const auto table = config.at("table").get<std::string>();
  auto issues =
      check_table(*session, "table", table,
                  {{"id_column", config.value("id_column", "id")},
                   {"status_column", config.value("status_column", "status")},
                   {"started_at_column", config.value("started_at_column", "started_at")},
                   {"completed_at_column", config.value("completed_at_column", "completed_at")},
                   {"error_column", optional_text(config, "error_column", "error_message")}});
  if (!issues.empty()) return issues;
  const auto where = check_where(*session, table, optional_text(config, "where"));
  issues.insert(issues.end(), where.begin(), where.end());
  return issues;
}

}  // namespace

json fail_orphaned_jobs(registry::HandlerContext& context,
                        const JobsBetweenReadAndUpdate& between) {
  const JobsTable t(context.config);
  const long long grace_minutes = context.config.value("grace_minutes", 10LL);
  const long long batch_size = context.config.value("batch_size", 1000LL);
  RunCap cap(context.config);
  const auto now = run_now(context);
  const auto cutoff = handlers::cutoff(now, std::chrono::minutes(grace_minutes));

  // Candidates are read on a session of their own, outside the batch's transaction, so that the
  // batch's first statement is its write (see claims.cpp: SQLite read locks are not upgraded).
  const auto reader_session = context.database(t.database);
  TargetSql reader(*reader_session);
  const std::string orphaned = t.orphaned(reader);
  SqlParams condition;
  t.bind(condition, reader, cutoff);

  const long long found =
      reader.count(fmt::format("SELECT COUNT(*) FROM {} WHERE {}", t.table, orphaned), condition);
  const auto summary = fmt::format("{} jobs {} for more than {} minutes with no completion in {}",
                                   found, t.running_status, grace_minutes, t.table_name);
  context.info("orphaned", summary);

  if (context.dry_run) {
    SqlParams params = condition;
    params.text("now", reader.timestamp_value(now));
    params.integer("sample", static_cast<long long>(kMaxIdsInResult));
    json sample = json::array();
    for (const auto& row :
         reader.rows(fmt::format("SELECT {}, {} FROM {} WHERE {} ORDER BY {} LIMIT :sample",
                                 reader.as_text(t.id), reader.seconds_between(t.started_at, "now"),
                                 t.table, orphaned, t.started_at),
                     params)) {
      sample.push_back(
          {{"id", row[0]}, {"running_minutes", rounded_to_tenth(std::stod(row[1]) / 60.0)}});
    }
    json result = {{"dry_run", true},
                   {"orphaned", found},
                   {"would_change", cap.of(found)},  // what health.report counts as stale
                   {"grace_minutes", grace_minutes},
                   {"message", summary},
                   {"sample", std::move(sample)}};
    result.update(cap.result(context, found - cap.of(found)));
    return result;
  }

  const auto writer_session = context.database(t.database);
  TargetSql writer(*writer_session);
  KeyRange pages(t.table, t.id);
  long long failed = 0;
  std::vector<std::string> ids;
  const auto totals = run_in_batches(
      context, writer, batch_size, found, cap, [&](TargetSql& sql, long long limit) -> long long {
        const bool full = pages.next(reader, orphaned, condition, limit);
        if (between) between();
        SqlParams params = condition;
        pages.bind(params);
        params.text("failed", t.failed_status);
        if (!t.error.empty()) params.text("message", t.error_message);
        params.text("now", sql.timestamp_value(now));
        const auto update =
            fmt::format("UPDATE {} SET {} = :failed, {} = {}{} WHERE {} AND {}", t.table, t.status,
                        t.completed_at, sql.timestamp_param("now"),
                        t.error.empty() ? std::string() : fmt::format(", {} = :message", t.error),
                        pages.condition(), orphaned);
        const long long changed =
            sql.execute_keeping_ids(update, params, t.id, ids, kMaxIdsInResult);
        failed += changed;
        cap.add(changed);
        // A full page counts as a full batch whatever changed meanwhile, so the batches go on;
        // the last page (fewer rows than a batch) ends them.
        return full ? limit : std::min(changed, limit - 1);
      });

  context.info("failed", failed == 0
                             ? std::string("no orphaned jobs")
                             : fmt::format("marked {} orphaned jobs {}", failed, t.failed_status));
  json result = {{"failed", failed},
                 {"orphaned", found},
                 {"grace_minutes", grace_minutes},
                 {"cutoff", utc_text(cutoff)},
                 {"ids", std::move(ids)},
                 {"ids_truncated", failed > static_cast<long long>(kMaxIdsInResult)},
                 {"dry_run", false}};
  result.update(totals.to_json());
  result.update(cap.result(context, cap.remaining([&] {
    return reader.count(fmt::format("SELECT COUNT(*) FROM {} WHERE {}", t.table, orphaned),
                        condition);
  })));
  return result;
}

void register_jobs_handlers(registry::Registry& registry) {
  registry.add_handler({
      "jobs.fail_orphaned",
      "Mark jobs still running with no completion after a grace period as failed (orphaned)",
      registry::ConfigSchema({
          required("database", ValueType::database, "the target database (under 'databases:')"),
          required("table", ValueType::identifier, "the jobs table (e.g. crawl_jobs)"),
          key("id_column", ValueType::identifier,
              "its primary key (integer or text); batches walk it in order", "id"),
          key("status_column", ValueType::identifier, "the job's status", "status"),
          key("started_at_column", ValueType::identifier, "when the job started", "started_at"),
          key("completed_at_column", ValueType::identifier,
              "when the job completed; NULL while it has not (set on failing it)", "completed_at"),
          optional_key("error_column", ValueType::identifier,
                       "where the failure's reason is written (unset: not written)",
                       "error_message"),
          key("running_status", ValueType::string, "the status of a running job", "running"),
          key("failed_status", ValueType::string, "the status an orphaned job is given", "failed"),
          key("error_message", ValueType::string, "the reason written to error_column",
              "Job process terminated unexpectedly (orphaned)"),
          key("grace_minutes", ValueType::integer,
              "a job running longer than this with no completion is orphaned (generous: a "
              "job that is about to complete must not be failed)",
              10, 1, 525600),
          where_key(),
          batch_size_key(1000),
          max_per_run_key(),
      }),
      [](registry::HandlerContext& context) { return fail_orphaned_jobs(context); },
      check_jobs_table,
      registry::Headline{
          .key = "failed",
          .label = "jobs failed",
          .words = {{"failed", "failed {} orphaned job", "failed {} orphaned jobs"},
                    {"remaining", "{} left for the next run"}},
          .none = "no orphaned jobs",
          .dry_run_words = {{"would_change", "would fail {} orphaned job",
                             "would fail {} orphaned jobs", true}},
      },
  });
}

}  // namespace maintd::handlers
