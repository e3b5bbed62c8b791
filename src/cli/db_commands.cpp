// `maintd db migrate`: the state database's schema brought up to date, saying what was applied.
// `maintd db seed`: the schedule files synced into scheduled_tasks on demand (maintd also does it
// each time it loads its configuration), or with --dry-run the difference, writing nothing.
#include "cli/db_commands.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <ostream>

#include "cli/loading.hpp"
#include "common/json_text.hpp"
#include "config/redact.hpp"
#include "store/migrations.hpp"
#include "store/store_error.hpp"
#include "tasks/task_sync.hpp"
#include "tasks/task_table_open.hpp"

namespace maintd::cli {
namespace {

using nlohmann::json;

struct Options {
  bool json = false;
  bool dry_run = false;
};

int migrate_command(Context& context, const Options& options) {
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  store::MigrationReport report;
  std::string display = config->state_database.display;
  try {
    auto database =
        store::Database::open(config->state_database, tasks::state_database_options(*config));
    display = database->display();
    report = store::migrate(*database, tasks::migration_options(*config));
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
  if (options.json) {
    context.out << json_text(json{{"database", display},
                                  {"from_version", report.from_version},
                                  {"to_version", report.to_version},
                                  {"applied", report.applied}},
                             2)
                << '\n';
    return kOk;
  }
  if (report.applied.empty()) {
    context.out << fmt::format("state database {}: schema version {}, up to date\n", display,
                               report.to_version);
    return kOk;
  }
  context.out << fmt::format("state database {}: schema version {} -> {}\n", display,
                             report.from_version, report.to_version);
  for (const auto& applied : report.applied) context.out << "applied " << applied << '\n';
  return kOk;
}

// For --dry-run: the database as it is, without creating or migrating anything. Empty when a
// SQLite file does not exist yet (the plan is then against an empty table).
std::shared_ptr<store::Database> open_without_writing(const config::Config& config) {
  const auto& url = config.state_database;
  std::error_code unreadable;  // left to Database::open, which says why
  if (url.backend == connection::DatabaseUrl::Backend::sqlite3 &&
      !std::filesystem::exists(url.connect.substr(3), unreadable) &&  // after "db="
      !unreadable) {
    return nullptr;
  }
  return store::Database::open(url, tasks::state_database_options(config));
}

json change_json(const tasks::FieldChange& change) {
  return {{"column", change.column},
          {"old", config::redact(change.before)},
          {"new", config::redact(change.after)}};
}

void print_plan_json(Context& context, const tasks::SyncPlan& plan, bool dry_run) {
  json added = json::array(), changed = json::array(), removed = json::array(),
       conflicts = json::array();
  for (const auto& a : plan.added) {
    added.push_back(
        {{"name", a.name}, {"origin", a.origin}, {"defined_at", a.defined_at.to_string()}});
  }
  for (const auto& c : plan.changed) {
    json fields = json::array();
    for (const auto& change : c.fields) fields.push_back(change_json(change));
    changed.push_back({{"name", c.name},
                       {"origin", c.origin},
                       {"defined_at", c.defined_at.to_string()},
                       {"fields", fields}});
  }
  for (const auto& r : plan.removed) removed.push_back({{"name", r.name}, {"origin", r.origin}});
  for (const auto& c : plan.conflicts) {
    conflicts.push_back(
        {{"name", c.name}, {"defined_at", c.defined_at.to_string()}, {"row_origin", c.row_origin}});
  }
  context.out << json_text(json{{"dry_run", dry_run},
                                {"added", added},
                                {"changed", changed},
                                {"removed", removed},
                                {"conflicts", conflicts},
                                {"unchanged", plan.unchanged}},
                           2)
              << '\n';
}

std::string plural(std::size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

void print_plan_text(Context& context, const tasks::SyncPlan& plan, bool dry_run) {
  std::size_t width = 0;
  for (const auto& a : plan.added) width = std::max(width, a.name.size());
  for (const auto& c : plan.changed) width = std::max(width, c.name.size());
  for (const auto& r : plan.removed) width = std::max(width, r.name.size());
  for (const auto& c : plan.conflicts) width = std::max(width, c.name.size());
  auto line = [&](const char* verb, const char* dry_verb, const std::string& name,
                  const std::string& rest) {
    context.out << fmt::format("{:<13} {:<{}}  {}\n", dry_run ? dry_verb : verb, name, width, rest);
  };
  for (const auto& a : plan.added) line("added", "would add", a.name, a.origin);
  for (const auto& c : plan.changed) {
    line("changed", "would change", c.name, c.origin);
    for (const auto& change : c.fields) context.out << "    " << describe_change(change) << '\n';
  }
  for (const auto& r : plan.removed) line("removed", "would remove", r.name, r.origin);
  for (const auto& c : plan.conflicts) {
    line("conflict", "conflict", c.name,
         fmt::format("{} and scheduled_tasks '{}' (origin {}): the file's task is used, the row "
                     "is left as it is",
                     c.defined_at.to_string(), c.name, c.row_origin));
  }
  if (plan.writes_nothing() && plan.conflicts.empty()) {
    context.out << fmt::format("scheduled_tasks matches the schedule files ({}): nothing to do\n",
                               plural(plan.unchanged, "task"));
    return;
  }
  std::string summary =
      dry_run ? fmt::format("{} to add, {} to change, {} to remove", plan.added.size(),
                            plan.changed.size(), plan.removed.size())
              : fmt::format("{} added, {} changed, {} removed", plan.added.size(),
                            plan.changed.size(), plan.removed.size());
  summary +=
      fmt::format(", {}, {} unchanged", plural(plan.conflicts.size(), "conflict"), plan.unchanged);
  if (dry_run) summary = "dry run: " + summary + "; nothing was written";
  context.out << summary << '\n';
}

int seed_command(Context& context, const Options& options) {
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  tasks::SyncPlan plan;
  try {
    if (options.dry_run) {
      auto database = open_without_writing(*config);
      plan = database ? tasks::plan_sync(*tasks::open_task_table(database, *config), *config)
                      : tasks::plan_sync(std::vector<tasks::TaskRow>{}, *config);
    } else {
      auto database = open_state_database(context, *config);
      if (!database) return kStateUnavailable;
      auto table = open_tasks(context, *config, database);
      if (!table) return kStateUnavailable;
      plan = tasks::sync_tasks(*table, *config, store::system_clock());
    }
  } catch (const store::StoreUnavailable& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kFailed;
  }
  if (options.json) {
    print_plan_json(context, plan, options.dry_run);
  } else {
    print_plan_text(context, plan, options.dry_run);
  }
  return kOk;
}

}  // namespace

std::string describe_change(const tasks::FieldChange& change) {
  return fmt::format("{}: {} -> {}", change.column, json_text(config::redact(change.before)),
                     json_text(config::redact(change.after)));
}

void add_db_commands(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  auto on_parse = [&context, options](auto command) {
    return [&context, options, command] {
      context.action = [&context, options, command] { return command(context, *options); };
    };
  };

  CLI::App* db = app.add_subcommand("db", "The state database: schema and task table");
  db->require_subcommand(1);
  db->fallthrough(true);

  CLI::App* migrate = db->add_subcommand(
      "migrate", "Bring the state database's schema up to date and say what was applied");
  migrate->fallthrough(true);
  migrate->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  migrate->callback(on_parse(migrate_command));

  CLI::App* seed = db->add_subcommand(
      "seed", "Sync the schedule files into scheduled_tasks now (maintd does it on every load)");
  seed->fallthrough(true);
  seed->add_flag("--dry-run", options->dry_run,
                 "print what would be added, changed (column by column) and removed; write "
                 "nothing");
  seed->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  seed->callback(on_parse(seed_command));
}

}  // namespace maintd::cli
