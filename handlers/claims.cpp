#include "handlers/claims.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>
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

// A WHERE fragment and the values it binds (never spliced into it).
struct Condition {
  std::string sql;
  std::vector<std::pair<std::string, std::string>> values;

  void bind(SqlParams& params) const {
    for (const auto& [name, value] : values) params.text(name, value);
  }
  SqlParams params() const {
    SqlParams params;
    bind(params);
    return params;
  }
};

// What a claims task names, from its schema-checked config. Identifiers are quoted here, once:
// quote_identifier refuses anything that is not one, even if schema checking was bypassed.
struct ClaimsTable {
  std::string database;
  std::string table_name;  // as written, for messages
  std::string table;
  std::string id;
  std::string claimed_at;
  std::string claimed_by;  // "" when not configured
  std::string status;      // ""
  std::vector<std::string> completed_statuses;
  std::string completed;  // "": no boolean completion flag
  std::string where;      // operator SQL, trusted

  explicit ClaimsTable(const json& config)
      : database(config.at("database").get<std::string>()),
        table_name(config.at("table").get<std::string>()),
        table(quote_identifier(table_name)),
        id(quote_identifier(config.value("id_column", "id"))),
        claimed_at(quote_identifier(config.value("claimed_at_column", "claimed_at"))),
        claimed_by(quoted_or_empty(config, "claimed_by_column")),
        status(quoted_or_empty(config, "status_column")),
        completed_statuses(config.value("completed_statuses", std::vector<std::string>{})),
        completed(quoted_or_empty(config, "completed_column")),
        where(optional_text(config, "where")) {}

  // The claim is held and its work is not complete (nor excluded by `where`).
  Condition open_claim() const {
    Condition c{claimed_at + " IS NOT NULL", {}};
    if (!status.empty() && !completed_statuses.empty()) {
      std::vector<std::string> names;
      for (std::size_t i = 0; i < completed_statuses.size(); ++i) {
        names.push_back(fmt::format(":done_{}", i));
        c.values.emplace_back(fmt::format("done_{}", i), completed_statuses[i]);
      }
      c.sql +=
          fmt::format(" AND ({0} IS NULL OR {0} NOT IN ({1}))", status, fmt::join(names, ", "));
    }
    if (!completed.empty()) c.sql += fmt::format(" AND NOT COALESCE({}, FALSE)", completed);
    if (!where.empty()) c.sql += fmt::format(" AND ({})", where);
    return c;
  }

  // Held for longer than the timeout and not complete; every held claim when `all`.
  Condition expired(const TargetSql& sql, Millis cutoff, bool all) const {
    Condition c = open_claim();
    if (!all) {
      c.sql += " AND " + sql.before(claimed_at, "cutoff");
      c.values.emplace_back("cutoff", sql.timestamp_value(cutoff));
    }
    return c;
  }

  std::string release_set() const {
    return claimed_by.empty() ? fmt::format("{} = NULL", claimed_at)
                              : fmt::format("{} = NULL, {} = NULL", claimed_at, claimed_by);
  }
};

std::vector<KeySpec> table_keys() {
  return {
      required("database", ValueType::database, "the target database (under 'databases:')"),
      required("table", ValueType::identifier, "the table holding the claims (e.g. soup_dedupe)"),
      key("id_column", ValueType::identifier,
          "its primary key (integer or text); batches walk it in order", "id"),
      key("claimed_at_column", ValueType::identifier,
          "when the claim was taken; NULL when unclaimed (set to NULL on release)", "claimed_at"),
      optional_key("claimed_by_column", ValueType::identifier,
                   "optional: who holds the claim; set to NULL on release too"),
      optional_key("status_column", ValueType::identifier,
                   "optional: a status column: rows whose status is in completed_statuses are "
                   "complete and keep their claim"),
      key("completed_statuses", ValueType::string_list,
          "the statuses meaning the work is complete (with status_column)",
          json::array({"completed"})),
      optional_key("completed_column", ValueType::identifier,
                   "optional: a boolean column, true when the work is complete"),
      where_key(),
  };
}

std::vector<registry::SchemaIssue> check_claims_table(
    const json& config, const registry::HandlerContext::SessionFactory& sessions) {
  const auto session = sessions(config.at("database").get<std::string>());
  const auto table = config.at("table").get<std::string>();
  auto issues = check_table(*session, "table", table,
                            {{"id_column", config.value("id_column", "id")},
                             {"claimed_at_column", config.value("claimed_at_column", "claimed_at")},
                             {"claimed_by_column", optional_text(config, "claimed_by_column")},
                             {"status_column", optional_text(config, "status_column")},
                             {"completed_column", optional_text(config, "completed_column")}});
  if (!issues.empty()) return issues;
  const auto where = check_where(*session, table, optional_text(config, "where"));
  issues.insert(issues.end(), where.begin(), where.end());
  return issues;
}

// The expired-tasks diagnostic: how many, and the oldest ones with their ages.
json expired_report(registry::HandlerContext& context, TargetSql& sql, const ClaimsTable& t,
                    const Condition& expired, long long timeout_minutes, Millis now,
                    const RunCap& cap) {
  const long long count = sql.count(
      fmt::format("SELECT COUNT(*) FROM {} WHERE {}", t.table, expired.sql), expired.params());
  SqlParams params = expired.params();
  params.text("now", sql.timestamp_value(now));
  params.integer("sample", static_cast<long long>(kMaxIdsInResult));
  json sample = json::array();
  for (const auto& row :
       sql.rows(fmt::format("SELECT {}, {} FROM {} WHERE {} ORDER BY {} LIMIT :sample",
                            sql.as_text(t.id), sql.seconds_between(t.claimed_at, "now"), t.table,
                            expired.sql, t.claimed_at),
                params)) {
    sample.push_back(
        {{"id", row[0]}, {"claimed_minutes", rounded_to_tenth(std::stod(row[1]) / 60.0)}});
  }
  const auto message = timeout_minutes == 0
                           ? fmt::format("{} tasks hold a claim", count)
                           : fmt::format("{} tasks have been claimed for more than {} minutes",
                                         count, timeout_minutes);
  context.info("expired", message);
  json result = {{"dry_run", true},
                 {"expired", count},
                 {"would_change", cap.of(count)},  // what health.report counts as stale
                 {"timeout_minutes", timeout_minutes},
                 {"message", message},
                 {"sample", std::move(sample)}};
  result.update(cap.result(context, count - cap.of(count)));
  return result;
}

json run_unclaim(registry::HandlerContext& context) {
  const ClaimsTable t(context.config);
  const auto id = optional_text(context.config, "id");
  if (id.empty()) {
    throw std::invalid_argument("claims.unclaim: which task? give its id: --set id=...");
  }
  const auto session = context.database(t.database);
  TargetSql sql(*session);

  SqlParams read;
  read.text("id", id);
  read.text("now", sql.timestamp_value(run_now(context)));
  const auto rows = sql.rows(
      fmt::format("SELECT {}, {} FROM {} WHERE {} = :id", sql.seconds_between(t.claimed_at, "now"),
                  t.claimed_by.empty() ? std::string("NULL") : sql.as_text(t.claimed_by), t.table,
                  t.id),
      read);
  json result = {{"id", id}, {"dry_run", context.dry_run}};
  if (rows.empty()) {
    result.update({{"found", false}, {"held", false}, {"released", false}});
    result["message"] = fmt::format("no task with id '{}' in {}", id, t.table_name);
    context.warning("unclaim", result["message"].get<std::string>());
    return result;
  }
  const bool held = !rows[0][0].empty();
  result.update({{"found", true}, {"held", held}});
  if (held) result["claimed_minutes"] = rounded_to_tenth(std::stod(rows[0][0]) / 60.0);
  if (held && !t.claimed_by.empty()) result["claimed_by"] = rows[0][1];

  // Conditional on the claim still being open: a task completed meanwhile keeps its claim.
  const Condition open = t.open_claim();
  SqlParams params = open.params();
  params.text("id", id);
  bool released = false;
  if (context.dry_run) {
    released = sql.count(fmt::format("SELECT COUNT(*) FROM {} WHERE {} = :id AND {}", t.table, t.id,
                                     open.sql),
                         params) == 1;
  } else if (held) {
    released = sql.execute(fmt::format("UPDATE {} SET {} WHERE {} = :id AND {}", t.table,
                                       t.release_set(), t.id, open.sql),
                           params) == 1;
  }
  result["released"] = released;
  if (released) {
    result["message"] =
        context.dry_run ? "the claim would be released" : "Task unclaimed successfully";
  } else if (!held) {
    result["message"] = "the task is not claimed: nothing to release";
  } else {
    result["message"] =
        "the task is claimed but its work is complete (or 'where' excludes it): claim kept";
  }
  context.info("unclaim", fmt::format("{}: {}", id, result["message"].get<std::string>()));
  return result;
}

}  // namespace

json release_expired_claims(registry::HandlerContext& context,
                            const ClaimsBetweenReadAndUpdate& between) {
  const ClaimsTable t(context.config);
  const long long timeout_minutes = context.config.value("timeout_minutes", 15LL);
  const long long batch_size = context.config.value("batch_size", 1000LL);
  RunCap cap(context.config);
  const bool all = timeout_minutes == 0;
  const auto now = run_now(context);
  const auto cutoff = handlers::cutoff(now, std::chrono::minutes(timeout_minutes));

  // One session for reads and writes: every statement runs on its own (no transaction spans a
  // read and a write, which on SQLite fails rather than waits while another writer is active),
  // and each write tests the rows as they are when it runs, not as they were read.
  const auto session = context.database(t.database);
  TargetSql sql(*session);
  const Condition expired = t.expired(sql, cutoff, all);
  if (all) {
    context.warning("release_all",
                    fmt::format("timeout_minutes is 0: releasing every open claim in {}, whatever "
                                "its age",
                                t.table_name));
  }
  if (context.dry_run) return expired_report(context, sql, t, expired, timeout_minutes, now, cap);

  // No count first: it would scan the table once more (a third of the work on a large table).
  // The progress bar shows rows and batches without a total. Each batch is one UPDATE, run on its
  // own: the statement is the batch's transaction (see run_statement_batches).
  long long released = 0;
  std::vector<std::string> ids;
  // The condition of every UPDATE, whatever the batch: a claim completed or released since the
  // batch began (or since it was read) is not touched, and of two concurrent runs only one
  // changes each row.
  const auto release = [&](const std::string& key_condition, const SqlParams& params) {
    const auto update = fmt::format("UPDATE {} SET {} WHERE {} AND {}", t.table, t.release_set(),
                                    key_condition, expired.sql);
    const long long changed = sql.execute_keeping_ids(update, params, t.id, ids, kMaxIdsInResult);
    released += changed;
    cap.add(changed);
    return changed;
  };

  // Releasing is done again by the next run if a crash undoes it: commits need not wait for the
  // disk (see RelaxedBatchCommits).
  RelaxedBatchCommits relaxed(sql);
  BatchTotals totals;
  if (auto spans = KeySpans::open(sql, t.table, t.id, batch_size)) {
    // An integer key: spans of it, each sized from the ones before it to change about batch_size
    // rows, read first only where expired claims are sparse (see KeySpans), or where a span could
    // hold more than the cap leaves.
    totals = run_statement_batches(
        context, std::nullopt, cap,
        [&]() -> BatchStep {
          const auto started = std::chrono::steady_clock::now();
          spans->next(sql, expired.sql, expired.params(), cap.left());
          if (between) between();
          SqlParams params = expired.params();
          spans->bind(params);
          const long long changed = release(spans->condition(), params);
          spans->done(changed, std::chrono::steady_clock::now() - started);
          return {changed, spans->more()};
        },
        [&] { relaxed.between_batches(); });
  } else {
    // Any other key (text, UUID): each batch reads where its page of batch_size expired claims
    // ends, then releases that key range.
    KeyRange pages(t.table, t.id);
    totals = run_statement_batches(
        context, std::nullopt, cap,
        [&]() -> BatchStep {
          const bool full = pages.next(sql, expired.sql, expired.params(), cap.batch(batch_size));
          if (between) between();
          SqlParams params = expired.params();
          pages.bind(params);
          // A full page means more may follow whatever changed meanwhile; the last page (fewer rows
          // than a batch) ends them.
          return {release(pages.condition(), params), full};
        },
        [&] { relaxed.between_batches(); });
  }

  context.info("released", released == 0 ? std::string("no expired claims to release")
                           : all ? fmt::format("released {} open claims (release-all)", released)
                                 : fmt::format("released {} expired claims (claimed >{} min ago)",
                                               released, timeout_minutes));
  json result = {{"released", released},
                 {"timeout_minutes", timeout_minutes},
                 {"cutoff", all ? json(nullptr) : json(utc_text(cutoff))},
                 {"ids", std::move(ids)},
                 {"ids_truncated", released > static_cast<long long>(kMaxIdsInResult)},
                 {"dry_run", false}};
  result.update(totals.to_json());
  result.update(cap.result(context, cap.remaining([&] {
    return sql.count(fmt::format("SELECT COUNT(*) FROM {} WHERE {}", t.table, expired.sql),
                     expired.params());
  })));
  return result;
}

void register_claims_handlers(registry::Registry& registry) {
  auto release_keys = table_keys();
  release_keys.push_back(key("timeout_minutes", ValueType::integer,
                             "release claims held longer than this; 0 releases every open claim "
                             "(the emergency release-all)",
                             15, 0, 525600));
  release_keys.push_back(batch_size_key(1000));
  release_keys.push_back(max_per_run_key("claims"));
  registry.add_handler({
      "claims.release_expired",
      "Release claims held longer than timeout_minutes whose work is not complete",
      registry::ConfigSchema(std::move(release_keys)),
      [](registry::HandlerContext& context) { return release_expired_claims(context); },
      check_claims_table,
      registry::Headline{
          .key = "released",
          .label = "claims released",
          .words = {{"released", "released {} claim", "released {} claims"},
                    {"remaining", "{} left for the next run"}},
          .none = "no expired claims",
          .dry_run_words = {{"would_change", "would release {} claim", "would release {} claims",
                             true}},
      },
  });

  auto unclaim_keys = table_keys();
  // Not required by the schema: a task or `types:` entry names the table once, and each run
  // names the row (--set id=...); a run without one fails, saying so.
  unclaim_keys.push_back(key("id", ValueType::string,
                             "the task whose claim to release (given per run: --set id=...)"));
  registry.add_handler({
      "claims.unclaim",
      "Release one task's claim (--set id=...), reporting whether it held one",
      registry::ConfigSchema(std::move(unclaim_keys)),
      run_unclaim,
      check_claims_table,
      // `released` is true or false: one claim at most.
      registry::Headline{.key = "released",
                         .label = "claims released",
                         .words = {{"message", "{}"}},
                         .none = "",
                         .dry_run_words = {{"message", "{}"}}},
  });
}

}  // namespace maintd::handlers
