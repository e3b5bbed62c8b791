#include "handlers/sql.hpp"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/support/statement_text.hpp"
#include "handlers/support/target_sql.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;
using registry::KeySpec;
using registry::ValueType;

struct Statement {
  std::string text;  // as executed: without comments
  std::string shown;
  std::vector<std::string> params;
  bool bare_colon = false;
};

struct Plan {
  std::string database;
  std::vector<Statement> statements;
  std::map<std::string, json> params;
  bool transaction = true;
};

Plan plan_of(const registry::HandlerContext& context) {
  const auto& config = context.config;
  Plan plan;
  plan.database = config.at("database").get<std::string>();
  plan.transaction = config.value("transaction", true);

  const bool one = config.contains("statement");
  const bool several = config.contains("statements");
  if (one == several) {
    throw std::invalid_argument(one ? "sql.exec: give 'statement' or 'statements', not both"
                                    : "sql.exec: nothing to run: give 'statement' (one SQL "
                                      "statement) or 'statements' (a list, run in order)");
  }
  std::vector<std::string> texts;
  if (one) {
    texts.push_back(config.at("statement").get<std::string>());
  } else {
    texts = config.at("statements").get<std::vector<std::string>>();
  }
  if (texts.empty()) throw std::invalid_argument("sql.exec: 'statements' is empty");

  if (const auto it = config.find("params"); it != config.end()) {
    for (const auto& [name, value] : it->items()) {
      if (name.empty() || !parameter_name_start(name[0]) ||
          !std::all_of(name.begin(), name.end(), parameter_name_char)) {
        throw std::invalid_argument(fmt::format(
            "sql.exec: params.{}: a parameter name is letters, digits and '_', not starting "
            "with a digit",
            name));
      }
      if (!value.is_string() && !value.is_number() && !value.is_boolean()) {
        throw std::invalid_argument(
            fmt::format("sql.exec: params.{}: expected a string, number or boolean, got {}{}", name,
                        value.type_name(),
                        value.is_null() ? " (write NULL in the statement for a null value)" : ""));
      }
      plan.params.emplace(name, value);
    }
  }

  std::set<std::string> used;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    Statement statement;
    statement.shown = statement_summary(texts[i]);
    statement.text = without_comments(texts[i]);
    if (statement_summary(statement.text).empty()) {
      throw std::invalid_argument(fmt::format("sql.exec: statement {} is empty", i + 1));
    }
    auto scan = scan_parameters(statement.text);
    for (const auto& name : scan.names) {
      if (!plan.params.contains(name)) {
        std::vector<std::string> defined;
        for (const auto& [key, value] : plan.params) defined.push_back(key);
        throw std::invalid_argument(
            fmt::format("sql.exec: statement {} ({}) uses :{}, which is not under 'params' ({})",
                        i + 1, statement.shown, name,
                        defined.empty() ? std::string("there are none")
                                        : fmt::format("defined: {}", fmt::join(defined, ", "))));
      }
      used.insert(name);
    }
    statement.params = std::move(scan.names);
    statement.bare_colon = scan.bare_colon;
    plan.statements.push_back(std::move(statement));
  }
  for (const auto& [name, value] : plan.params) {
    if (!used.contains(name)) {
      // Probably a typo in a statement or in the key; not fatal, the statements are complete.
      context.warning("params", fmt::format("params.{} is not used by any statement", name));
    }
  }
  return plan;
}

// Each statement gets only the values it names: both backends refuse a value bound to a name
// the statement does not have.
SqlParams bound(const Plan& plan, const Statement& statement) {
  SqlParams params;
  for (const auto& name : statement.params) {
    const auto& value = plan.params.at(name);
    if (value.is_string()) {
      params.text(name, value.get<std::string>());
    } else if (value.is_boolean()) {
      // 1/0: SQLite's booleans; PostgreSQL reads the text '1'/'0' as a boolean too.
      params.integer(name, value.get<bool>() ? 1 : 0);
    } else if (value.is_number_integer()) {
      params.integer(name, value.get<long long>());
    } else {
      params.real(name, value.get<double>());
    }
  }
  return params;
}

// Rows changed by one statement. SQLite's changes() still holds the previous INSERT/UPDATE/
// DELETE's count after DDL or a SELECT; total_changes() not moving says this one changed none.
long long execute_counted(TargetSql& sql, const std::string& text, const SqlParams& params) {
  // PostgreSQL reports -1 for a statement that has no row count (DDL): it changed no rows.
  if (sql.dialect() != Dialect::sqlite) return std::max(sql.execute(text, params), 0LL);
  const auto before = sql.count("SELECT total_changes()");
  const auto rows = sql.execute(text, params);
  return sql.count("SELECT total_changes()") == before ? 0 : rows;
}

json statements_report(const Plan& plan) {
  json out = json::array();
  for (std::size_t i = 0; i < plan.statements.size(); ++i) {
    out.push_back({{"statement", i + 1}, {"sql", plan.statements[i].shown}});
  }
  return out;
}

json run_sql(registry::HandlerContext& context) {
  const Plan plan = plan_of(context);
  const auto n = plan.statements.size();
  const bool rollback_dry_run =
      context.config.value("dry_run_mode", std::string("rollback")) == "rollback";

  if (context.dry_run && (!rollback_dry_run || !plan.transaction)) {
    // Without a transaction to roll back, a dry run must not execute anything.
    context.info(
        "dry_run",
        fmt::format("would run {} statement{} on '{}' (not executed{})", n, n == 1 ? "" : "s",
                    plan.database,
                    plan.transaction ? "" : ": transaction is false, nothing to roll back"));
    return {{"database", plan.database},
            {"dry_run", true},
            {"executed", false},
            {"transaction", plan.transaction},
            {"statements", statements_report(plan)}};
  }

  const auto session = context.database(plan.database);
  TargetSql sql(*session);
  if (sql.dialect() == Dialect::postgresql) {
    for (std::size_t i = 0; i < n; ++i) {
      if (plan.statements[i].bare_colon) {
        throw std::invalid_argument(fmt::format(
            "sql.exec: statement {} ({}) has a ':' that starts no parameter name outside a "
            "string literal; on PostgreSQL every such ':' is read as a parameter",
            i + 1, plan.statements[i].shown));
      }
    }
  }

  json results = json::array();
  long long total = 0;
  std::size_t done = 0;
  bool in_transaction = false;
  try {
    if (plan.transaction) {
      sql.begin_write();
      in_transaction = true;
    }
    for (; done < n; ++done) {
      const auto& statement = plan.statements[done];
      if (context.stop_requested()) {
        throw std::runtime_error(fmt::format("stopped before statement {} of {}", done + 1, n));
      }
      long long rows = 0;
      try {
        rows = execute_counted(sql, statement.text, bound(plan, statement));
      } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("statement {} of {} ({}) failed: {}", done + 1, n,
                                             statement.shown, database_error_text(e)));
      }
      total += rows;
      results.push_back({{"statement", done + 1}, {"sql", statement.shown}, {"rows", rows}});
      context.info("statement",
                   fmt::format("statement {} of {}: {} row{}{}", done + 1, n, rows,
                               rows == 1 ? "" : "s", context.dry_run ? " (dry run)" : ""));
      context.progress(
          {static_cast<std::int64_t>(done + 1), static_cast<std::int64_t>(n), "statements", 0});
    }
    if (plan.transaction) {
      in_transaction = false;
      if (context.dry_run) {
        session->rollback();
      } else {
        try {
          session->commit();
        } catch (const std::exception& e) {
          throw std::runtime_error(fmt::format("commit failed: {}", database_error_text(e)));
        }
      }
    }
  } catch (const std::exception& e) {
    if (in_transaction) {
      try {
        session->rollback();
      } catch (const std::exception&) {
        // The connection is gone: the server rolls the transaction back with it.
      }
    }
    std::string outcome;
    if (plan.transaction) {
      outcome = "rolled back: nothing was applied";
    } else if (done == 0) {
      outcome = "nothing was applied";
    } else {
      outcome = fmt::format("statement{} 1{} applied (transaction: false)", done == 1 ? "" : "s",
                            done == 1 ? " was" : fmt::format("-{} were", done));
    }
    throw std::runtime_error(
        fmt::format("sql.exec on '{}': {}; {}", plan.database, e.what(), outcome));
  }

  json result = {{"database", plan.database},
                 {"dry_run", context.dry_run},
                 {"transaction", plan.transaction},
                 {"statements", std::move(results)},
                 {"rows_affected", total}};
  if (context.dry_run) {
    result["executed"] = true;
    result["rolled_back"] = true;
  }
  return result;
}

}  // namespace

void register_sql_handlers(registry::Registry& registry) {
  registry.add_handler({
      "sql.exec",
      "Runs configured SQL statements on a target database, in one transaction, with bound "
      "parameters",
      registry::ConfigSchema({
          KeySpec{"database",
                  ValueType::database,
                  "the target database, declared under 'databases:'",
                  true,
                  {},
                  {},
                  {},
                  {}},
          KeySpec{"statement",
                  ValueType::string,
                  "one SQL statement (trusted input: written by the operator); or 'statements'",
                  false,
                  {},
                  {},
                  {},
                  {}},
          KeySpec{"statements",
                  ValueType::string_list,
                  "SQL statements run in order, in one transaction; or 'statement'",
                  false,
                  {},
                  {},
                  {},
                  {}},
          KeySpec{"params",
                  ValueType::object,
                  "values bound to the statements' :name parameters (strings, numbers, booleans)",
                  false,
                  json::object(),
                  {},
                  {},
                  {}},
          KeySpec{"transaction",
                  ValueType::boolean,
                  "run all statements in one transaction (false: each commits on its own, for "
                  "VACUUM and the like)",
                  false,
                  true,
                  {},
                  {},
                  {}},
          KeySpec{"dry_run_mode",
                  ValueType::string,
                  "dry run: 'rollback' executes and rolls back (reports rows), 'report' executes "
                  "nothing",
                  false,
                  "rollback",
                  {},
                  {},
                  {"rollback", "report"}},
      }),
      run_sql,
      /*check_database=*/{},
      // A dry run executes and rolls back: its rows_affected is what a run would affect.
      registry::Headline{
          .key = "rows_affected",
          .label = "rows affected",
          .words = {{"rows_affected", "{} row affected", "{} rows affected", true}},
          .none = "",
          .dry_run_words = {{"rows_affected", "would affect {} row", "would affect {} rows", true}},
          .dry_run_key = "rows_affected"},
  });
}

}  // namespace maintd::handlers
