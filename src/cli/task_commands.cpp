// `maintd task add|edit|rm|enable|disable`. Tasks added here live only in the scheduled_tasks
// table (origin db) and are validated exactly like schedule file entries, with the same messages.
// A file-defined task is edited in its file: edit and rm refuse it, naming the file and line.
// enable|disable work on both kinds and persist across syncs and reloads (enabled_override).
//
// Every command loads the configuration, opens (and migrates) the state database and syncs the
// schedule files first, like any load, so that what it checks against is current.
#include "cli/task_commands.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <ostream>

#include "cli/config_overrides.hpp"
#include "cli/db_commands.hpp"
#include "cli/loading.hpp"
#include "common/json_parse.hpp"
#include "common/json_text.hpp"
#include "common/suggest.hpp"
#include "config/redact.hpp"
#include "config/task_entry.hpp"
#include "service/task_toggle.hpp"
#include "store/store_error.hpp"
#include "store/task_table.hpp"
#include "tasks/task_edit.hpp"
#include "tasks/task_row.hpp"
#include "tasks/task_sync.hpp"

namespace maintd::cli {
namespace {

using nlohmann::json;

// The options of add and edit; each set only when given.
struct Options {
  std::string name;
  std::optional<std::string> type, schedule, timezone, description, display_name, scope_type,
      config_json, timeout, concurrency, catchup, retries, retry_backoff, jitter,
      expect_success_within;
  std::vector<std::string> set;
  std::vector<std::string> unset;
  std::optional<bool> dry_run_mode;
  std::optional<bool> enabled;  // --enabled / --disabled
  bool json = false;            // task show --json

  bool changes_anything() const {
    return type || schedule || timezone || description || display_name || scope_type ||
           config_json || timeout || concurrency || catchup || retries || retry_backoff || jitter ||
           expect_success_within || !set.empty() || !unset.empty() || dry_run_mode || enabled;
  }
};

// What every command stands on: the configuration, the migrated state database, and the
// schedule files synced into it.
struct Loaded {
  config::Config config;
  std::shared_ptr<store::Database> database;
  std::shared_ptr<store::TaskTable> table;
};

int with_tasks(Context& context, const std::function<int(Loaded&)>& body) {
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  auto database = open_state_database(context, *config);
  if (!database) return kStateUnavailable;
  auto table = open_tasks(context, *config, database);
  if (!table) return kStateUnavailable;
  Loaded loaded{std::move(*config), std::move(database), std::move(table)};
  try {
    const tasks::SyncPlan plan =
        tasks::sync_tasks(*loaded.table, loaded.config, store::system_clock());
    config::Diagnostics conflicts;
    tasks::report_conflicts(plan, conflicts);
    for (const auto& warning : conflicts.warnings()) context.err << warning.to_string() << '\n';
    return body(loaded);
  } catch (const store::StoreUnavailable& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kFailed;
  }
}

using tasks::file_and_line;

int refuse_file_task(Context& context, const config::Task& task) {
  context.err << fmt::format("maintd: task '{}' is defined in {} \u2014 edit the file\n", task.name,
                             file_and_line(task));
  return kUsageError;
}

int unknown_task(Context& context, const Loaded& loaded, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& task : loaded.config.tasks) names.push_back(task.name);
  for (const auto& row : tasks::read_task_rows(*loaded.table)) names.push_back(row.name);
  context.err << fmt::format("maintd: no task named '{}'{}\n", name, did_you_mean(name, names));
  return kUsageError;
}

// --config-json, then --set, then --unset, over `config` (the row's, for edit). Empty after
// printing the error.
std::optional<json> apply_config_options(Context& context, const Options& options, json config) {
  if (options.config_json) {
    // The text is not echoed: it may hold a secret.
    auto parsed = parse_json(*options.config_json);
    if (!parsed) {
      context.err << fmt::format("maintd: --config-json: not valid JSON: {}\n",
                                 parsed.error().message);
      return std::nullopt;
    }
    config = std::move(parsed).value();
  }
  if (options.set.empty() && options.unset.empty()) return config;
  if (!config.is_object()) {
    context.err << "maintd: --set/--unset: the config is not a map (give one with --config-json)\n";
    return std::nullopt;
  }
  auto overrides = parse_overrides(options.set);
  if (!overrides) {
    context.err << "maintd: " << overrides.error() << '\n';
    return std::nullopt;
  }
  for (const auto& [key, value] : overrides->items()) config[key] = value;
  for (const auto& key : options.unset) {
    if (!config.contains(key)) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : config.items()) keys.push_back(k);
      context.err << fmt::format("maintd: --unset {}: the config has no key '{}'{}\n", key, key,
                                 did_you_mean(key, keys));
      return std::nullopt;
    }
    config.erase(key);
  }
  return config;
}

// The options laid over `entry` (a schedule-file entry: empty for add, the row's for edit).
std::optional<json> entry_with_options(Context& context, const Options& options, json entry) {
  auto text = [&](const char* key, const std::optional<std::string>& value) {
    if (value) entry[key] = *value;
  };
  // Policies are typed like YAML scalars, so `--retries 2` is a number and `--timeout 10` gets
  // the schedule file's "10 has no unit" message.
  auto scalar = [&](const char* key, const std::optional<std::string>& value) {
    if (value) entry[key] = config::yaml_scalar(*value);
  };
  text("type", options.type);
  text("schedule", options.schedule);
  text("timezone", options.timezone);
  text("description", options.description);
  text("display_name", options.display_name);
  text("scope_type", options.scope_type);
  scalar("timeout", options.timeout);
  scalar("concurrency", options.concurrency);
  scalar("catchup", options.catchup);
  scalar("retries", options.retries);
  scalar("retry_backoff", options.retry_backoff);
  scalar("jitter", options.jitter);
  scalar("expect_success_within", options.expect_success_within);
  if (options.dry_run_mode) entry["dry_run"] = *options.dry_run_mode;
  if (options.enabled) entry["enabled"] = *options.enabled;
  if (options.config_json || !options.set.empty() || !options.unset.empty()) {
    auto config = apply_config_options(
        context, options, entry.contains("config") ? entry.at("config") : json::object());
    if (!config) return std::nullopt;
    entry["config"] = std::move(*config);
  }
  return entry;
}

// Validates like a schedule file entry; prints warnings, and errors as "maintd: task 'x': ...".
std::optional<config::Task> validate(Context& context, const Loaded& loaded, const json& entry,
                                     const std::string& name) {
  config::Diagnostics diagnostics;
  auto task = tasks::validate_task_entry(entry, loaded.config, name, diagnostics);
  for (const auto& warning : diagnostics.warnings()) {
    context.err << "maintd: " << warning.to_string() << '\n';
  }
  for (const auto& error : diagnostics.errors()) {
    context.err << "maintd: " << error.to_string() << '\n';
  }
  return task;
}

std::string next_slot_text(Context& context, const config::Task& task) {
  if (!task.enabled) return "disabled: it never fires until 'maintd task enable " + task.name + "'";
  const auto next = task.slots.next(context.now());
  return next ? "next slot " + format_utc(*next) : "no further slot";
}

int add_command(Context& context, const Options& options) {
  return with_tasks(context, [&](Loaded& loaded) -> int {
    if (const config::Task* file_task = loaded.config.find_task(options.name)) {
      context.err << fmt::format("maintd: task '{}' already exists: it is defined in {}\n",
                                 options.name, file_and_line(*file_task));
      return kUsageError;
    }
    if (auto row = tasks::read_task_row(*loaded.table, options.name)) {
      context.err << fmt::format(
          "maintd: task '{}' already exists in scheduled_tasks (origin {}); change it with "
          "'maintd task edit {}'\n",
          options.name, row->origin, options.name);
      return kUsageError;
    }
    json base = json::object();
    base["name"] = options.name;
    auto entry = entry_with_options(context, options, std::move(base));
    if (!entry) return kUsageError;
    auto task = validate(context, loaded, *entry, options.name);
    if (!task) {
      context.err << fmt::format("maintd: task '{}' was not added\n", options.name);
      return kUsageError;
    }
    if (!tasks::insert_db_task(*loaded.table, tasks::db_row_from_task(*task, *entry),
                               store::system_clock())) {
      context.err << fmt::format(
          "maintd: task '{}' already exists in scheduled_tasks (added meanwhile)\n", options.name);
      return kUsageError;
    }
    context.out << fmt::format("added task '{}' ({}, '{}' in {}); {}\n", task->name, task->type,
                               task->schedule, task->timezone, next_slot_text(context, *task));
    return kOk;
  });
}

// The options with the task named by its name, whichever of its name or id was given.
Options with_task_name(Loaded& loaded, const Options& given) {
  Options options = given;
  options.name = tasks::resolve_task_name(*loaded.table, loaded.config, given.name);
  return options;
}

int edit_command(Context& context, const Options& given) {
  if (!given.changes_anything()) {
    context.err << "maintd: task edit: nothing to change (give --schedule, --set key=value, ...; "
                   "see 'maintd task edit --help')\n";
    return kUsageError;
  }
  return with_tasks(context, [&](Loaded& loaded) -> int {
    const Options options = with_task_name(loaded, given);
    // The checks, validation and write are tasks/task_edit.hpp's, shared with the admin API.
    auto row = tasks::find_editable_row(*loaded.table, loaded.config, options.name);
    if (!row) {
      switch (row.error().reason) {
        case tasks::EditRefusal::Reason::file_task:
          return refuse_file_task(context, *loaded.config.find_task(options.name));
        case tasks::EditRefusal::Reason::unknown:
          return unknown_task(context, loaded, options.name);
        case tasks::EditRefusal::Reason::not_db:
          context.err << fmt::format(
              "maintd: the row of task '{}' has origin '{}': maintd edits only rows of origin "
              "db\n",
              options.name, row.error().origin);
          return kUsageError;
      }
    }
    auto entry = entry_with_options(context, options, tasks::entry_from_row(row.value()));
    if (!entry) return kUsageError;
    // --enabled/--disabled set the definition and drop an earlier `task enable|disable`.
    const tasks::EditOutcome outcome =
        tasks::apply_task_edit(*loaded.table, loaded.config, row.value(), *entry,
                               options.enabled.has_value(), store::system_clock());
    for (const auto& warning : outcome.diagnostics.warnings()) {
      context.err << "maintd: " << warning.to_string() << '\n';
    }
    switch (outcome.result) {
      case tasks::EditOutcome::Result::invalid:
        for (const auto& error : outcome.diagnostics.errors()) {
          context.err << "maintd: " << error.to_string() << '\n';
        }
        context.err << fmt::format("maintd: task '{}' was not changed\n", options.name);
        return kUsageError;
      case tasks::EditOutcome::Result::unchanged:
        context.out << fmt::format("task '{}' unchanged\n", options.name);
        return kOk;
      case tasks::EditOutcome::Result::conflict:
        context.err << fmt::format(
            "maintd: task '{}' was changed or removed by someone else meanwhile; nothing was "
            "written (run the command again)\n",
            options.name);
        return kFailed;
      case tasks::EditOutcome::Result::changed:
        break;
    }
    context.out << fmt::format("changed task '{}':\n", options.name);
    for (const auto& change : outcome.changes) {
      context.out << "  " << describe_change(change) << '\n';
    }
    return kOk;
  });
}

// Every column of a task as stored: the task table's (the guide's) and maintd_tasks'.
int show_command(Context& context, const Options& given) {
  return with_tasks(context, [&](Loaded& loaded) -> int {
    const Options options = with_task_name(loaded, given);
    auto row = tasks::read_task_row(*loaded.table, options.name);
    if (!row) return unknown_task(context, loaded, options.name);
    json out = json::object();
    std::vector<std::string> columns = {"id", "name"};
    for (const auto& column : tasks::definition_columns()) columns.push_back(column);
    for (const char* column : {"enabled_override", "last_run_id", "last_run_at", "last_run_status",
                               "next_run_at", "created_at", "updated_at"}) {
      columns.push_back(column);
    }
    for (const auto& column : columns) {
      json value = tasks::column_value(*row, column);
      out[column] = column == "config" ? config::redact(value) : std::move(value);
    }
    if (options.json) {
      context.out << json_text(json{{"task", out}}, 2) << '\n';
      return kOk;
    }
    for (const auto& [column, value] : out.items()) {
      context.out << fmt::format("{}: {}\n", column,
                                 value.is_string() ? value.get<std::string>() : json_text(value));
    }
    return kOk;
  });
}

int rm_command(Context& context, const Options& given) {
  return with_tasks(context, [&](Loaded& loaded) -> int {
    const Options options = with_task_name(loaded, given);
    const config::Task* file_task = loaded.config.find_task(options.name);
    auto row = tasks::read_task_row(*loaded.table, options.name);
    if (!row || !row->from_db()) {
      if (file_task != nullptr) return refuse_file_task(context, *file_task);
      if (!row) return unknown_task(context, loaded, options.name);
      context.err << fmt::format(
          "maintd: the row of task '{}' has origin '{}': maintd removes only rows of origin db\n",
          options.name, row->origin);
      return kUsageError;
    }
    // A db row whose name a file also defines (a conflict) is removed too: that resolves it.
    if (!store::remove_db_task(*loaded.table, options.name)) {
      context.err << fmt::format("maintd: task '{}' was removed meanwhile\n", options.name);
      return kFailed;
    }
    const auto runs = store::count_runs(*loaded.database, options.name);
    context.out << fmt::format(
        "removed task '{}' from scheduled_tasks; its {} stay{} in the "
        "history\n",
        options.name, runs == 1 ? "1 run" : fmt::format("{} runs", runs), runs == 1 ? "s" : "");
    if (file_task != nullptr) {
      context.out << fmt::format("the task '{}' defined in {} stays\n", options.name,
                                 file_and_line(*file_task));
    }
    return kOk;
  });
}

int set_enabled_command(Context& context, const Options& given, bool enabled) {
  return with_tasks(context, [&](Loaded& loaded) -> int {
    const Options options = with_task_name(loaded, given);
    // The checks and the write are the service's, shared with the admin API and the dashboard.
    const service::ToggleOutcome outcome =
        service::set_task_enabled(*loaded.table, loaded.config, options.name, enabled);
    using Result = service::ToggleOutcome::Result;
    switch (outcome.result) {
      case Result::unknown_task:
        return unknown_task(context, loaded, options.name);
      case Result::defined_twice:
        context.err << fmt::format(
            "maintd: task '{}' is defined in {} and is also a row of scheduled_tasks (origin "
            "{}); remove the row first ('maintd task rm {}')\n",
            options.name, outcome.defined_at, outcome.row_origin, options.name);
        return kUsageError;
      case Result::removed_meanwhile:
        context.err << fmt::format("maintd: task '{}' was removed meanwhile\n", options.name);
        return kFailed;
      case Result::done:
        break;
    }
    const char* state = enabled ? "enabled" : "disabled";
    if (!outcome.changed) {
      context.out << fmt::format("task '{}' is already {}\n", options.name, state);
    } else if (enabled) {
      context.out << fmt::format("task '{}' enabled\n", options.name);
    } else {
      context.out << fmt::format(
          "task '{}' disabled: it stays listed and never fires, across reloads, until 'maintd "
          "task enable {}'\n",
          options.name, options.name);
    }
    // A table task that does not validate stays off whatever its flag says: say why.
    if (!outcome.invalid.errors().empty()) {
      for (const auto& error : outcome.invalid.errors()) {
        context.err << "maintd: " << error.to_string() << '\n';
      }
      context.err << fmt::format(
          "maintd: warning: task '{}' is invalid and does not run until its row is fixed "
          "('maintd task edit {}')\n",
          options.name, options.name);
    }
    return kOk;
  });
}

void add_definition_options(CLI::App* command, Options& options) {
  command->add_option("--timezone", options.timezone,
                      "IANA time zone of the schedule (default: defaults.timezone)");
  command->add_option("--description", options.description, "what the task does");
  command->add_option("--display-name", options.display_name, "a title (default: the name)");
  command->add_option("--scope-type", options.scope_type, "scope type (default: global)");
  command
      ->add_option("--set", options.set,
                   "config key=value, typed like YAML (repeatable; see 'maintd handlers')")
      ->allow_extra_args(false);
  command->add_option("--config-json", options.config_json,
                      "the task's whole config as a JSON object (--set applies on top)");
  command->add_option("--timeout", options.timeout, "policy: e.g. 10m (default: defaults)");
  command->add_option("--concurrency", options.concurrency, "policy: forbid, allow or replace");
  command->add_option("--catchup", options.catchup, "policy: e.g. 5m");
  command->add_option("--retries", options.retries, "policy: further attempts, 0-100");
  command->add_option("--retry-backoff", options.retry_backoff, "policy: e.g. 30s");
  command->add_option("--jitter", options.jitter, "policy: e.g. 10s");
  command->add_option("--expect-success-within", options.expect_success_within,
                      "policy: overdue (alerted) after this long without a completed run, e.g. "
                      "2h; 0s: not watched");
  command->add_flag_callback(
      "--dry-run-mode", [&options] { options.dry_run_mode = true; },
      "the task only reports what it would do (dry_run: true)");
  command->add_flag_callback(
      "--disabled", [&options] { options.enabled = false; },
      "the task stays listed and never fires");
}

}  // namespace

void add_task_commands(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  auto on_parse = [&context, options](auto command) {
    return [&context, options, command] {
      context.action = [&context, options, command] { return command(context, *options); };
    };
  };

  CLI::App* task = app.add_subcommand(
      "task", "Tasks in the scheduled_tasks table: add, edit, rm; enable or disable any task");
  task->require_subcommand(1);
  task->fallthrough(true);

  CLI::App* add = task->add_subcommand(
      "add", "Add a task to scheduled_tasks (origin db), validated like a schedule file entry");
  add->fallthrough(true);
  add->add_option("name", options->name, "task name (letters, digits, _ - .)")->required();
  add->add_option("--type", options->type, "domain.action, or a legacy alias")->required();
  add->add_option("--schedule", options->schedule,
                  "cron expression or @every interval (docs/cron.md)")
      ->required();
  add_definition_options(add, *options);
  add->callback(on_parse(add_command));

  CLI::App* edit = task->add_subcommand(
      "edit", "Change a task of scheduled_tasks (origin db); file tasks are edited in their file");
  edit->fallthrough(true);
  edit->add_option("name", options->name, "task name")->required();
  edit->add_option("--type", options->type, "domain.action, or a legacy alias");
  edit->add_option("--schedule", options->schedule,
                   "cron expression or @every interval (docs/cron.md)");
  add_definition_options(edit, *options);
  edit->add_option("--unset", options->unset, "remove a config key (repeatable)")
      ->allow_extra_args(false);
  edit->add_flag_callback(
      "--no-dry-run-mode", [options] { options->dry_run_mode = false; },
      "the task does its work (dry_run: false)");
  edit->add_flag_callback(
      "--enabled", [options] { options->enabled = true; },
      "the definition is enabled (and an earlier 'task disable' is dropped)");
  edit->callback(on_parse(edit_command));

  CLI::App* show = task->add_subcommand(
      "show", "Show a task as stored: the task table's columns and maintd's (by name or id)");
  show->fallthrough(true);
  show->add_option("name", options->name, "task name or id")->required();
  show->add_flag("--json", options->json, "print JSON");
  show->callback(on_parse(show_command));

  CLI::App* rm = task->add_subcommand(
      "rm", "Remove a task of scheduled_tasks (origin db); its runs stay in the history");
  rm->fallthrough(true);
  rm->add_option("name", options->name, "task name")->required();
  rm->callback(on_parse(rm_command));

  CLI::App* enable = task->add_subcommand(
      "enable", "Enable a task (file or table); persists across reloads until 'task disable'");
  enable->fallthrough(true);
  enable->add_option("name", options->name, "task name")->required();
  enable->callback(
      on_parse([](Context& c, const Options& o) { return set_enabled_command(c, o, true); }));

  CLI::App* disable = task->add_subcommand(
      "disable", "Disable a task (file or table); persists across reloads until 'task enable'");
  disable->fallthrough(true);
  disable->add_option("name", options->name, "task name")->required();
  disable->callback(
      on_parse([](Context& c, const Options& o) { return set_enabled_command(c, o, false); }));
}

}  // namespace maintd::cli
