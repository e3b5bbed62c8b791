#include "handlers/drafts.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "handlers/support/batches.hpp"
#include "handlers/support/config_keys.hpp"
#include "handlers/support/live_schema.hpp"
#include "handlers/support/results.hpp"
#include "handlers/support/target_sql.hpp"
#include "handlers/support/timestamps.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;
using registry::KeySpec;
using registry::ValueType;

constexpr const char* kDefaultMessage =
    "Generation timeout: task stuck in {status} status for {hours} hours";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The `:name` placeholders of a statement, outside its quoted literals ('...') and not PostgreSQL
// casts (`::int`). Binding a name the statement does not use is an error in SOCI, as is leaving
// one unbound, so the refund statement is bound with exactly the names it uses.
std::set<std::string> placeholders(const std::string& statement) {
  std::string bare;
  bool quoted = false;
  for (char c : statement) {
    if (c == '\'') quoted = !quoted;
    bare += quoted || c == '\'' ? ' ' : c;
  }
  // A ':' followed by a name, at the start or after a character that is neither ':' nor part of
  // the previous placeholder (":a:b" binds a; "::int" is a cast): what the regular expression
  // (^|[^:]):([A-Za-z_][A-Za-z0-9_]*) found, scanned once (libstdc++'s std::regex recurses per
  // character: a long statement overflowed the stack).
  const auto name_start = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  const auto name_char = [&](char c) { return name_start(c) || (c >= '0' && c <= '9'); };
  std::set<std::string> names;
  std::size_t taken = 0;  // bare[0, taken) belongs to placeholders already found
  for (std::size_t i = 0; i + 1 < bare.size(); ++i) {
    if (bare[i] != ':' || !name_start(bare[i + 1])) continue;
    if (i > 0 && (i - 1 < taken || bare[i - 1] == ':')) continue;
    std::size_t end = i + 2;
    while (end < bare.size() && name_char(bare[end])) ++end;
    names.insert(bare.substr(i + 1, end - i - 1));
    taken = end;
    i = end - 1;
  }
  return names;
}

// What is wrong with the refund step as configured: a placeholder it cannot bind, or one whose
// column is not configured. Reported by validation and refused by the run.
std::vector<registry::SchemaIssue> refund_issues(const json& config) {
  const auto refund = optional_text(config, "refund_sql");
  std::vector<registry::SchemaIssue> issues;
  if (refund.empty()) return issues;
  for (const auto& name : placeholders(refund)) {
    if (name == "id") continue;
    if (name == "user_id" || name == "amount") {
      const std::string column_key = name + "_column";
      if (optional_text(config, column_key.c_str()).empty()) {
        issues.push_back({"refund_sql", fmt::format("it uses :{} but {} is not set: which column "
                                                    "holds it?",
                                                    name, column_key)});
      }
      continue;
    }
    issues.push_back({"refund_sql", fmt::format("unknown placeholder :{} (only :id, :user_id and "
                                                ":amount are bound)",
                                                name)});
  }
  return issues;
}

// What a drafts task names, from its schema-checked config, identifiers quoted once here.
struct DraftsTable {
  std::string database;
  std::string table_name;
  std::string table;
  std::string id;
  std::string status;
  std::string created_at;
  std::string error;       // "": not written
  std::string updated_at;  // "": not set
  std::string user_id;     // "": not read
  std::string amount;      // ""
  std::vector<std::string> stale_statuses;
  std::string failed_status;
  std::string error_message;
  std::string where;
  std::string refund_sql;
  std::set<std::string> refund_names;

  explicit DraftsTable(const json& config)
      : database(config.at("database").get<std::string>()),
        table_name(config.at("table").get<std::string>()),
        table(quote_identifier(table_name)),
        id(quote_identifier(config.value("id_column", "id"))),
        status(quote_identifier(config.value("status_column", "status"))),
        created_at(quote_identifier(config.value("created_at_column", "created_at"))),
        error(quoted_or_empty(config, "error_column", "error")),
        updated_at(quoted_or_empty(config, "updated_at_column")),
        user_id(quoted_or_empty(config, "user_id_column")),
        amount(quoted_or_empty(config, "amount_column")),
        stale_statuses(
            config.value("stale_statuses", std::vector<std::string>{"pending", "processing"})),
        failed_status(config.value("failed_status", "failed")),
        error_message(config.value("error_message", kDefaultMessage)),
        where(optional_text(config, "where")),
        refund_sql(optional_text(config, "refund_sql")),
        refund_names(placeholders(refund_sql)) {
    if (stale_statuses.empty()) throw std::invalid_argument("stale_statuses is empty");
    if (const auto issues = refund_issues(config); !issues.empty()) {
      throw std::invalid_argument("config.refund_sql: " + issues.front().message);
    }
  }

  // Old enough (and not excluded by `where`): the part of the guard every UPDATE repeats.
  std::string old_enough(const TargetSql& sql) const {
    auto text = sql.before(created_at, "cutoff");
    if (!where.empty()) text += fmt::format(" AND ({})", where);
    return text;
  }
  // In a stale status, and old enough.
  std::string stale(const TargetSql& sql) const {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < stale_statuses.size(); ++i) {
      names.push_back(fmt::format(":stale_{}", i));
    }
    return fmt::format("{} IN ({}) AND {}", status, fmt::join(names, ", "), old_enough(sql));
  }
  void bind_stale(SqlParams& params, const TargetSql& sql, Millis cutoff) const {
    for (std::size_t i = 0; i < stale_statuses.size(); ++i) {
      params.text(fmt::format("stale_{}", i), stale_statuses[i]);
    }
    params.text("cutoff", sql.timestamp_value(cutoff));
  }
  std::string selected(const TargetSql& sql) const {
    return fmt::format("{}, {}, {}, {}, {}", sql.as_text(id), sql.as_text(status),
                       sql.seconds_between(created_at, "now"),
                       user_id.empty() ? "NULL" : sql.as_text(user_id),
                       amount.empty() ? "NULL" : sql.as_text(amount));
  }
};

// One candidate as read: columns of DraftsTable::selected().
struct Draft {
  std::string id;
  std::string status;
  double age_hours = 0;
  std::string user_id;  // "" for NULL or not read
  std::string amount;

  explicit Draft(const std::vector<std::string>& row)
      : id(row.at(0)),
        status(row.at(1)),
        age_hours(std::stod(row.at(2)) / 3600.0),
        user_id(row.at(3)),
        amount(row.at(4)) {}
};

std::vector<registry::SchemaIssue> check_drafts_table(
    const json& config, const registry::HandlerContext::SessionFactory& sessions) {
  auto issues = refund_issues(config);
  const auto session = sessions(config.at("database").get<std::string>());
  const auto table = config.at("table").get<std::string>();
  auto columns =
      check_table(*session, "table", table,
                  {{"id_column", config.value("id_column", "id")},
                   {"status_column", config.value("status_column", "status")},
                   {"created_at_column", config.value("created_at_column", "created_at")},
                   {"error_column", optional_text(config, "error_column", "error")},
                   {"updated_at_column", optional_text(config, "updated_at_column")},
                   {"user_id_column", optional_text(config, "user_id_column")},
                   {"amount_column", optional_text(config, "amount_column")}});
  issues.insert(issues.end(), columns.begin(), columns.end());
  if (!columns.empty()) return issues;
  const auto where = check_where(*session, table, optional_text(config, "where"));
  issues.insert(issues.end(), where.begin(), where.end());
  return issues;
}

}  // namespace

json mark_stale_drafts(registry::HandlerContext& context,
                       const DraftsBetweenReadAndUpdate& between) {
  const DraftsTable t(context.config);
  const double max_age_hours = context.config.value("max_age_hours", 1.0);
  const long long batch_size = context.config.value("batch_size", 500LL);
  RunCap cap(context.config);
  const auto now = run_now(context);
  const auto cutoff =
      handlers::cutoff(now, std::chrono::duration<double, std::ratio<3600>>(max_age_hours));

  // Candidates are read on a session of their own, outside the batch's transaction, so that the
  // batch's first statement is its write (see claims.cpp: SQLite read locks are not upgraded).
  const auto reader_session = context.database(t.database);
  TargetSql reader(*reader_session);
  const std::string stale = t.stale(reader);
  SqlParams condition;
  t.bind_stale(condition, reader, cutoff);
  const long long found =
      reader.count(fmt::format("SELECT COUNT(*) FROM {} WHERE {}", t.table, stale), condition);
  const auto summary = fmt::format("{} creations in {} older than {} hours in {}", found,
                                   fmt::join(t.stale_statuses, "/"), max_age_hours, t.table_name);
  context.info("stale", summary);

  SqlParams read = condition;
  read.text("now", reader.timestamp_value(now));
  if (context.dry_run) {
    SqlParams params = read;
    params.integer("sample", static_cast<long long>(kMaxIdsInResult));
    json sample = json::array();
    for (const auto& row :
         reader.rows(fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT :sample",
                                 t.selected(reader), t.table, stale, t.created_at),
                     params)) {
      const Draft draft(row);
      json entry = {{"id", draft.id},
                    {"status", draft.status},
                    {"age_hours", std::round(draft.age_hours * 10.0) / 10.0}};
      if (!t.user_id.empty()) entry["user_id"] = draft.user_id;
      if (!t.amount.empty()) entry["amount"] = draft.amount;
      sample.push_back(std::move(entry));
    }
    json result = {{"dry_run", true},
                   {"stale", found},
                   {"would_change", cap.of(found)},  // what health.report counts as stale
                   {"max_age_hours", max_age_hours},
                   {"refund", !t.refund_sql.empty()},
                   {"message", summary},
                   {"sample", std::move(sample)}};
    result.update(cap.result(context, found - cap.of(found)));
    return result;
  }

  const auto writer_session = context.database(t.database);
  TargetSql writer(*writer_session);
  // Conditional on what was read: still in the status it was read in, still old enough. A
  // creation that completed (or was failed by a concurrent run) since is not touched, and then
  // not refunded either.
  // The optional columns are set only when configured (and their values bound only then).
  const std::string update = fmt::format(
      "UPDATE {} SET {} = :failed{}{} WHERE {} = :id AND {} = :was AND {}", t.table, t.status,
      t.error.empty() ? std::string() : fmt::format(", {} = :message", t.error),
      t.updated_at.empty() ? std::string()
                           : fmt::format(", {} = {}", t.updated_at, writer.timestamp_param("now")),
      t.id, t.status, t.old_enough(writer));

  std::optional<std::string> after;
  long long marked = 0;
  long long refunded = 0;
  long long not_refunded = 0;
  std::map<std::string, long long> by_status;
  json ids = json::array();
  const auto totals = run_in_batches(
      context, writer, batch_size, found, cap, [&](TargetSql& sql, long long limit) -> long long {
        SqlParams page = read;
        page.integer("limit", limit);
        if (after) page.text("after", *after);
        const auto rows = reader.rows(
            fmt::format("SELECT {} FROM {} WHERE {}{} ORDER BY {} LIMIT :limit", t.selected(reader),
                        t.table, stale, after ? fmt::format(" AND {} > :after", t.id) : "",
                        // Qualified: PostgreSQL would otherwise sort by the output column of
                        // the same name, the id as text ('9' after '10').
                        t.table + "." + t.id),
            page);
        if (rows.empty()) return 0;
        after = rows.back().at(0);
        if (between) between();
        for (const auto& row : rows) {
          const Draft draft(row);
          const auto message = replace_all(replace_all(t.error_message, "{status}", draft.status),
                                           "{hours}", fmt::format("{:.1f}", draft.age_hours));
          SqlParams params;
          params.text("failed", t.failed_status);
          if (!t.error.empty()) params.text("message", message);
          if (!t.updated_at.empty()) params.text("now", sql.timestamp_value(now));
          params.text("id", draft.id);
          params.text("was", draft.status);
          params.text("cutoff", sql.timestamp_value(cutoff));
          if (sql.execute(update, params) != 1) continue;  // changed meanwhile: not ours
          ++marked;
          cap.add(1);
          ++by_status[draft.status];
          if (ids.size() < kMaxIdsInResult) ids.push_back(draft.id);
          if (t.refund_sql.empty()) continue;
          // Only the run whose UPDATE changed the row refunds it, in the same transaction: the
          // status change and the refund commit together or not at all.
          if ((t.refund_names.count("user_id") && draft.user_id.empty()) ||
              (t.refund_names.count("amount") && draft.amount.empty())) {
            ++not_refunded;
            context.warning(
                "refund",
                fmt::format("creation {}: no {} to refund: marked {} "
                            "without a refund",
                            draft.id, draft.user_id.empty() ? "user" : "amount", t.failed_status));
            continue;
          }
          SqlParams refund;
          if (t.refund_names.count("id")) refund.text("id", draft.id);
          if (t.refund_names.count("user_id")) refund.text("user_id", draft.user_id);
          if (t.refund_names.count("amount")) refund.text("amount", draft.amount);
          sql.execute(t.refund_sql, refund);
          ++refunded;
        }
        return static_cast<long long>(rows.size());
      });

  context.info("failed",
               marked == 0
                   ? std::string("no stale creations")
                   : fmt::format("marked {} stale creations {}{}", marked, t.failed_status,
                                 t.refund_sql.empty() ? std::string()
                                                      : fmt::format(", {} refunded", refunded)));
  json result = {{"marked_failed", marked},
                 {"stale", found},
                 {"by_status", by_status},
                 {"max_age_hours", max_age_hours},
                 {"cutoff", utc_text(cutoff)},
                 {"ids", std::move(ids)},
                 {"ids_truncated", marked > static_cast<long long>(kMaxIdsInResult)},
                 {"dry_run", false}};
  if (!t.refund_sql.empty()) {
    result["refunded"] = refunded;
    result["not_refunded"] = not_refunded;
  }
  result.update(totals.to_json());
  result.update(cap.result(context, cap.remaining([&] {
    return reader.count(fmt::format("SELECT COUNT(*) FROM {} WHERE {}", t.table, stale), condition);
  })));
  return result;
}

void register_drafts_handlers(registry::Registry& registry) {
  registry.add_handler({
      "drafts.mark_stale",
      "Mark creations stuck in pending/processing longer than max_age_hours as failed, with an "
      "optional refund",
      registry::ConfigSchema({
          required("database", ValueType::database, "the target database (under 'databases:')"),
          required("table", ValueType::identifier, "the creations table (e.g. creations)"),
          key("id_column", ValueType::identifier,
              "its primary key (integer or text); batches walk it in order", "id"),
          key("status_column", ValueType::identifier, "the creation's status", "status"),
          key("stale_statuses", ValueType::string_list, "the statuses a creation can be stuck in",
              json::array({"pending", "processing"})),
          key("failed_status", ValueType::string, "the status a stale creation is given", "failed"),
          key("created_at_column", ValueType::identifier, "when the creation was made (its age)",
              "created_at"),
          optional_key("error_column", ValueType::identifier,
                       "where the reason is written (unset: not written)", "error"),
          key("error_message", ValueType::string,
              "the reason; {status} and {hours} (one decimal) are filled in", kDefaultMessage),
          optional_key("updated_at_column", ValueType::identifier,
                       "optional: a column set to now on change"),
          key("max_age_hours", ValueType::number,
              "a creation older than this in a stale status is failed", 1.0, 0, 8760),
          optional_key("refund_sql", ValueType::string,
                       "optional: a statement run for each creation this run failed, in the same "
                       "transaction, with :id, :user_id and :amount bound (trusted operator "
                       "input)"),
          optional_key("user_id_column", ValueType::identifier,
                       "optional: the column bound as :user_id in refund_sql"),
          optional_key("amount_column", ValueType::identifier,
                       "optional: the column bound as :amount in refund_sql, e.g. the tokens "
                       "spent"),
          where_key(),
          batch_size_key(500, 100000, "creations"),
          max_per_run_key("creations"),
      }),
      [](registry::HandlerContext& context) { return mark_stale_drafts(context); },
      check_drafts_table,
      // The drafts failed, not the refunds: a task without refund_sql refunds nothing, and its
      // count would read 0 while it did its work.
      registry::Headline{
          .key = "marked_failed",
          .label = "drafts failed",
          .words = {{"marked_failed", "{} draft failed", "{} drafts failed"},
                    {"refunded", "{} refunded"},
                    {"not_refunded", "{} not refunded"},
                    {"remaining", "{} left for the next run"}},
          .none = "no stale drafts",
          .dry_run_words = {{"would_change", "{} draft would fail", "{} drafts would fail", true}},
      },
  });
}

}  // namespace maintd::handlers
