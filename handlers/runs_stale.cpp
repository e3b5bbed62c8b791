// runs.cleanup_stale: runs stuck in a non-terminal state past its threshold. Resumable ones
// (progress, a checkpoint) are left alone; dead ones are retried (back to pending, retry count
// + 1) up to max_retries, then marked with the failed status. Nothing is ever deleted.
#include <fmt/format.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "handlers/runs_common.hpp"
#include "handlers/support/batches.hpp"

namespace maintd::handlers::runs {
namespace {

using nlohmann::json;
using registry::ValueType;

// Ids for one line of the run's log, not a whole batch of them.
std::string some_ids(const std::vector<std::string>& ids) {
  constexpr std::size_t kShown = 20;
  if (ids.size() <= kShown) return fmt::format("{}", fmt::join(ids, ", "));
  return fmt::format("{}, ... ({} more)",
                     fmt::join(ids.begin(), ids.begin() + static_cast<long>(kShown), ", "),
                     ids.size() - kShown);
}

struct Tally {
  long long stale = 0;
  std::vector<std::string> resumable, retried, failed, changed_meanwhile;
  json ids = {{"resumable", json::array()},
              {"retried", json::array()},
              {"failed", json::array()},
              {"changed_meanwhile", json::array()}};
  long long resumable_count = 0, retried_count = 0, failed_count = 0, changed_count = 0;

  void add(std::vector<std::string>& batch_list, const char* name, long long& count,
           const std::string& id) {
    batch_list.push_back(id);
    ++count;
    if (ids[name].size() < kMaxIdsInResult) ids[name].push_back(id);
  }
};

// The retry count column, when max_retries needs one: retries are counted there, so without it
// a dead run would be retried for ever. "" when max_retries is 0 (the column is not used).
std::string retry_column(const json& config) {
  const long long max_retries = config.value("max_retries", 3LL);
  if (max_retries <= 0) return {};
  auto column = optional_text(config, "retry_count_column", "retry_count");
  if (column.empty()) {
    throw std::invalid_argument(fmt::format(
        "retry_count_column is unset, but max_retries is {}: name the column that counts "
        "retries, or set max_retries: 0 to fail dead runs at once",
        max_retries));
  }
  return column;
}

json run_cleanup_stale(registry::HandlerContext& context) {
  const auto config = StaleConfig::from(context.config, false);
  const long long max_retries = context.config.value("max_retries", 3LL);
  const auto retry_column_name = retry_column(context.config);
  const std::string retry_q =
      retry_column_name.empty() ? std::string() : quote_identifier(retry_column_name);
  const std::string retry_status = context.config.value("retry_status", "pending");
  const long long batch_size = context.config.value("batch_size", 500LL);
  RunCap cap(context.config);
  const auto now = run_now(context);

  // Candidates are read on one session and changed on another: see runs_common.hpp.
  const auto reader_session = context.database(config.database);
  const auto writer_session = context.database(config.database);
  TargetSql reader(*reader_session);
  TargetSql writer(*writer_session);

  const auto stale_from = fmt::format("FROM {} WHERE {}{}", config.table_q,
                                      config.stale_predicate(reader), config.user_where());
  SqlParams count_params;
  config.bind_times(reader, count_params, now);
  const long long total = reader.count("SELECT COUNT(*) " + stale_from, count_params);

  // The text casts are aliased: PostgreSQL resolves `ORDER BY "id"` to an output column of
  // that name before the table's, which would order the keyset by text ("10" before "2").
  const auto select = [&](bool after) {
    return fmt::format(
        "SELECT {}, {}, {}, {}, {}, {} {}{} ORDER BY {} LIMIT :limit",
        reader.as_text(config.id_q) + " AS maintd_id",
        reader.as_text(config.status_q) + " AS maintd_status",
        reader.seconds_between(config.age_q, "now"), config.progressed_expression(),
        retry_q.empty() ? "0" : fmt::format("COALESCE({}, 0)", retry_q),
        config.key_column_q.empty() ? "''" : reader.as_text(config.key_column_q) + " AS maintd_key",
        stale_from, after ? fmt::format(" AND {} > :after", config.id_q) : "", config.id_q);
  };
  const auto first_page = select(false);
  const auto next_page = select(true);

  std::string retry_set =
      fmt::format("{} = :retry_status", config.status_q) +
      (retry_q.empty() ? "" : fmt::format(", {0} = COALESCE({0}, 0) + 1", retry_q)) +
      (config.updated_at_q.empty()
           ? ""
           : fmt::format(", {} = {}", config.updated_at_q, writer.timestamp_param("now")));
  const auto retry_statement =
      retry_q.empty()
          ? std::string()
          : fmt::format(
                "UPDATE {} SET {} WHERE {} = :id AND {} = :read_status AND COALESCE({}, 0) = "
                ":retries AND {} AND {}{}",
                config.table_q, retry_set, config.id_q, config.status_q, retry_q,
                writer.before(config.age_q, "cutoff"), config.no_progress_predicate(),
                config.user_where());

  Tally tally;
  std::optional<std::string> after;  // keyset: each run is looked at once per execution
  // A page is never longer than the cap has room for: every run of it may be one to change.
  const auto batch = [&](TargetSql& sql, long long limit) -> long long {
    SqlParams params;
    config.bind_times(reader, params, now);
    params.text("now", reader.timestamp_value(now));
    params.integer("limit", limit);
    if (after) params.text("after", *after);
    const auto rows = reader.rows(after ? next_page : first_page, params);
    if (rows.empty()) return 0;
    after = rows.back()[0];

    std::vector<StaleRun> to_retry, to_fail;
    std::vector<std::string> resumable_ids, retried_ids, failed_ids, changed_ids;
    for (const auto& row : rows) {
      StaleRun run;
      run.id = row[0];
      run.status = row[1];
      run.age_seconds = row[2].empty() ? 0 : std::stod(row[2]);
      run.progressed = row[3] == "1";
      run.retries = row[4].empty() ? 0 : std::stoll(row[4]);
      run.key = row[5];
      ++tally.stale;
      if (!run.progressed) find_checkpoint(config, run);
      if (run.resumable()) {
        tally.add(resumable_ids, "resumable", tally.resumable_count, run.id);
      } else if (run.retries < max_retries) {
        to_retry.push_back(std::move(run));
      } else {
        to_fail.push_back(std::move(run));
      }
    }
    // Said before anything changes: the plan of this batch, in the run's own log.
    context.log(registry::EventLevel::debug, "planned",
                fmt::format("{} stale: {} resumable, {} to retry, {} to fail", rows.size(),
                            resumable_ids.size(), to_retry.size(), to_fail.size()));

    for (const auto& run : to_retry) {
      bool changed = true;
      if (!context.dry_run) {
        const auto* state = config.state_of(run.status);
        SqlParams update;
        update.text("retry_status", retry_status)
            .text("id", run.id)
            .text("read_status", run.status)
            .integer("retries", run.retries)
            .text("cutoff", sql.timestamp_value(cutoff(now, state->threshold)));
        if (!config.updated_at_q.empty()) update.text("now", sql.timestamp_value(now));
        changed = sql.execute(retry_statement, update) == 1;
      }
      if (changed) {
        tally.add(retried_ids, "retried", tally.retried_count, run.id);
      } else {
        tally.add(changed_ids, "changed_meanwhile", tally.changed_count, run.id);
      }
    }
    for (const auto& run : to_fail) {
      auto message = dead_reason(config, run);
      if (max_retries > 0) {
        message +=
            fmt::format("; failed after {} retr{}", run.retries, run.retries == 1 ? "y" : "ies");
      }
      const bool changed =
          context.dry_run ||
          fail_run(sql, config, run, message, now, retry_q,
                   retry_q.empty() ? std::nullopt : std::optional<long long>(run.retries));
      if (changed) {
        tally.add(failed_ids, "failed", tally.failed_count, run.id);
        if (failed_ids.size() <= 20) {
          context.info(context.dry_run ? "would_fail" : "failed",
                       fmt::format("run {}: {}", run.id, message));
        }
      } else {
        tally.add(changed_ids, "changed_meanwhile", tally.changed_count, run.id);
      }
    }

    cap.add(static_cast<long long>(retried_ids.size() + failed_ids.size()));
    const char* verb = context.dry_run ? "would " : "";
    if (!resumable_ids.empty()) {
      context.info("resumable",
                   fmt::format("left alone (progress or checkpoint): {}", some_ids(resumable_ids)));
    }
    if (!retried_ids.empty()) {
      context.info("retried", fmt::format("{}set back to '{}': {}", verb, retry_status,
                                          some_ids(retried_ids)));
    }
    if (!failed_ids.empty()) {
      context.info("failed_runs", fmt::format("{}mark '{}': {}", verb, config.failed_status,
                                              some_ids(failed_ids)));
    }
    if (!changed_ids.empty()) {
      context.warning("changed_meanwhile",
                      fmt::format("changed by someone else since they were read, left as they "
                                  "are now: {}",
                                  some_ids(changed_ids)));
    }
    return static_cast<long long>(rows.size());
  };

  const auto totals = run_in_batches(context, writer, batch_size, total, cap, batch);
  json result = {{"dry_run", context.dry_run},
                 {"stale", tally.stale},
                 {"resumable", tally.resumable_count},
                 {"retried", tally.retried_count},
                 {"failed", tally.failed_count},
                 {"changed_meanwhile", tally.changed_count},
                 {"ids", tally.ids},
                 {"max_retries", max_retries}};
  result.update(totals.to_json());
  // The stale runs after the last one looked at: some may be resumable, and be left alone then.
  result.update(cap.result(context, cap.remaining([&] {
    SqlParams params;
    config.bind_times(reader, params, now);
    params.text("after", after.value_or(""));
    return reader.count(fmt::format("SELECT COUNT(*) {} AND {} > :after", stale_from, config.id_q),
                        params);
  })));
  // What health.report counts as stale: the runs this run would retry or fail. `stale` also
  // counts the resumable runs, which are left alone: no work, and no alert.
  if (context.dry_run) result["would_change"] = tally.retried_count + tally.failed_count;
  context.info("done", fmt::format("{} stale: {} resumable, {} {}retried, {} {}failed{}",
                                   tally.stale, tally.resumable_count, tally.retried_count,
                                   context.dry_run ? "to be " : "", tally.failed_count,
                                   context.dry_run ? "to be " : "",
                                   tally.changed_count == 0 ? std::string()
                                                            : fmt::format(", {} changed meanwhile",
                                                                          tally.changed_count)));
  return result;
}

}  // namespace

registry::HandlerInfo cleanup_stale_handler() {
  auto keys = stale_keys();
  keys.push_back(key("max_retries", ValueType::integer,
                     "dead runs are set back to retry_status this many times before they are "
                     "failed (0: fail at once)",
                     3, 0, 1000));
  keys.push_back(optional_key("retry_count_column", ValueType::identifier,
                              "the column counting retries (read and written only when "
                              "max_retries > 0, which needs it)",
                              "retry_count"));
  keys.push_back(
      key("retry_status", ValueType::string, "the status a retried run goes back to", "pending"));
  keys.push_back(batch_size_key(500, 10000));
  keys.push_back(max_per_run_key("runs"));
  return {
      "runs.cleanup_stale",
      "Retry or fail runs stuck in submitted/pending/running past their threshold; resumable "
      "runs (progress, checkpoint) are left alone",
      registry::ConfigSchema(std::move(keys)),
      run_cleanup_stale,
      [](const json& config, const registry::HandlerContext::SessionFactory& sessions)
          -> std::vector<registry::SchemaIssue> {
        std::vector<std::pair<std::string, std::string>> extra;
        try {
          if (auto column = retry_column(config); !column.empty()) {
            extra.emplace_back("retry_count_column", std::move(column));
          }
        } catch (const std::invalid_argument& e) {
          return {{"retry_count_column", e.what()}};
        }
        return check_stale_columns(config, sessions, false, extra);
      },
      registry::Headline{
          .key = "failed",
          .label = "runs failed",
          .words = {{"failed", "failed {} stale run", "failed {} stale runs"},
                    {"retried", "retried {}"},
                    {"resumable", "{} resumable left alone"},
                    {"remaining", "{} left for the next run"}},
          .none = "no stale runs",
          .dry_run_words = {{"would_change", "would retry or fail {} run",
                             "would retry or fail {} runs", true},
                            {"resumable", "{} resumable left alone"}},
      },
  };
}

}  // namespace maintd::handlers::runs
