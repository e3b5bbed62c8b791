// Commands that read the configuration and show what maintd will do with it, before anything
// runs: validate, list, next, handlers.
#include "cli/config_commands.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>
#include <queue>

#include "cli/database_check.hpp"
#include "cli/loading.hpp"
#include "cli/table.hpp"
#include "common/duration.hpp"
#include "common/json_text.hpp"
#include "config/redact.hpp"
#include "service/json_views.hpp"

namespace maintd::cli {
namespace {

using nlohmann::json;

struct Options {
  bool json = false;
  int count = 5;
  std::string task;
  std::string from;
  bool check_databases = false;
};

std::optional<Instant> start_instant(Context& context, const Options& options) {
  if (options.from.empty()) return context.now();
  auto parsed = parse_instant(options.from, cctz::utc_time_zone());
  if (!parsed) {
    context.err << "maintd: --from: " << parsed.error() << '\n';
    return std::nullopt;
  }
  return *parsed;
}

std::string local_text(Instant slot, const config::Task& task) {
  return cctz::format("%Y-%m-%d %H:%M:%S %Z", slot, task.slots.zone());
}

int validate(Context& context, const Options& options) {
  auto config = load_configuration(context, ConfigWarnings::print);
  if (!config) return kUsageError;
  const auto files = config->schedule_files.size();
  if (options.check_databases) {
    const auto tasks = tasks_to_show(context, *config);
    const auto problems = check_databases(*config, tasks);
    for (const auto& problem : problems) context.err << problem.to_string() << '\n';
    if (!problems.empty()) {
      context.err << fmt::format("{} problem{} found in the databases\n", problems.size(),
                                 problems.size() == 1 ? "" : "s");
      return kUsageError;
    }
    context.out << fmt::format("{} task{} in {} file{}, checked against {} database{}, OK\n",
                               tasks.size(), tasks.size() == 1 ? "" : "s", files,
                               files == 1 ? "" : "s", config->databases.size() + 1,
                               config->databases.size() == 0 ? "" : "s");
    return kOk;
  }
  context.out << fmt::format("{} task{} in {} file{}, OK\n", config->tasks.size(),
                             config->tasks.size() == 1 ? "" : "s", files, files == 1 ? "" : "s");
  return kOk;
}

int list(Context& context, const Options& options) {
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  const auto from = start_instant(context, options);
  if (!from) return kUsageError;
  const auto all = tasks_to_show(context, *config);
  if (options.json) {
    json tasks = json::array();
    for (const auto& task : all) {
      const auto next = task.enabled ? task.slots.next(*from) : std::nullopt;
      tasks.push_back(service::task_to_json(task, next));
    }
    context.out << json_text(json{{"tasks", tasks}}, 2) << '\n';
    return kOk;
  }
  Table table({"NAME", "TYPE", "SCHEDULE", "TIMEZONE", "ENABLED", "NEXT (UTC)", "NEXT (LOCAL)",
               "DEFINED AT"});
  for (const auto& task : all) {
    const auto next = task.enabled ? task.slots.next(*from) : std::nullopt;
    table.add({task.name, task.type, task.schedule, task.timezone, task.enabled ? "yes" : "no",
               next ? format_utc(*next) : "-", next ? local_text(*next, task) : "-",
               task.defined_at.to_string()});
  }
  table.print(context.out);
  return kOk;
}

int next(Context& context, const Options& options) {
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  const auto from = start_instant(context, options);
  if (!from) return kUsageError;

  struct Slot {
    Instant at;
    const config::Task* task;
  };
  std::vector<Slot> slots;
  const auto all = tasks_to_show(context, *config);
  if (!options.task.empty()) {
    const config::Task* task = nullptr;
    for (const auto& candidate : all) {
      if (candidate.name == options.task) task = &candidate;
    }
    if (task == nullptr) {
      context.err << fmt::format("maintd: no task named '{}' (see 'maintd list')\n", options.task);
      return kUsageError;
    }
    if (!task->enabled) {
      context.err << fmt::format("maintd: task '{}' is disabled: these slots will not fire\n",
                                 task->name);
    }
    Instant after = *from;
    for (int i = 0; i < options.count; ++i) {
      auto slot = task->slots.next(after);
      if (!slot) break;
      slots.push_back({*slot, task});
      after = *slot;
    }
  } else {
    // The next N across all enabled tasks: a merge of each task's slot sequence.
    auto later = [](const Slot& a, const Slot& b) {
      return a.at != b.at ? a.at > b.at : a.task->name > b.task->name;
    };
    std::priority_queue<Slot, std::vector<Slot>, decltype(later)> queue(later);
    for (const auto& task : all) {
      if (!task.enabled) continue;
      if (auto slot = task.slots.next(*from)) queue.push({*slot, &task});
    }
    while (!queue.empty() && static_cast<int>(slots.size()) < options.count) {
      const Slot slot = queue.top();
      queue.pop();
      slots.push_back(slot);
      if (auto following = slot.task->slots.next(slot.at)) queue.push({*following, slot.task});
    }
  }

  // One-off runs are not slots of a schedule: shown beside them, from the state database.
  const auto one_offs = one_offs_to_show(
      *config, options.task.empty() ? std::nullopt : std::optional<std::string>(options.task));
  if (options.json) {
    json out = json::array();
    for (const auto& slot : slots) {
      json entry = service::slot_json(slot.at, *slot.task);
      entry["task"] = slot.task->name;
      out.push_back(std::move(entry));
    }
    json waiting = json::array();
    for (const auto& run : one_offs) waiting.push_back(service::run_to_json(run));
    context.out << json_text(json{{"slots", out}, {"one_off", waiting}}, 2) << '\n';
    return kOk;
  }
  Table table({"SLOT (UTC)", "LOCAL", "TASK"});
  for (const auto& slot : slots) {
    table.add({format_utc(slot.at), local_text(slot.at, *slot.task), slot.task->name});
  }
  table.print(context.out);
  if (!one_offs.empty()) {
    context.out << "\none-off runs waiting:\n";
    Table waiting({"ID", "DUE (UTC)", "TASK", "CANCEL WITH"});
    for (const auto& run : one_offs) {
      waiting.add({std::to_string(run.id), run.due_at ? format_utc(*run.due_at) : "-",
                   run.task_name, fmt::format("maintd cancel {}", run.id)});
    }
    waiting.print(context.out);
  }
  return kOk;
}

int handlers(Context& context, const Options& options) {
  // Config is optional here: with one, its aliases and types are listed too.
  std::shared_ptr<const registry::Registry> registry;
  const bool has_config =
      context.config_flag || context.env("MAINTD_CONFIG").value_or("").size() > 0;
  if (has_config) {
    auto config = load_configuration(context);
    if (!config) return kUsageError;
    registry = config->registry;
  } else {
    registry = std::make_shared<registry::Registry>(*context.handlers);
  }
  const auto types = registry->types();
  std::vector<std::pair<std::string, std::string>> unresolved;
  for (const auto& [legacy, canonical] : registry->aliases()) {
    if (!registry->resolve(canonical)) unresolved.emplace_back(legacy, canonical);
  }
  if (options.json) {
    json out = json::array();
    for (const auto& entry : types) {
      out.push_back({{"type", entry.type},
                     {"description", entry.description},
                     {"handler", entry.handler->type},
                     {"defined_in_config", entry.defined_in_config},
                     {"preset", config::redact(entry.preset)},
                     {"aliases", entry.aliases},
                     {"config_schema", entry.handler->schema.to_json()}});
    }
    json pending = json::object();
    for (const auto& [legacy, canonical] : unresolved) pending[legacy] = canonical;
    context.out << json_text(json{{"types", out}, {"unresolved_aliases", pending}}, 2) << '\n';
    return kOk;
  }
  for (const auto& entry : types) {
    context.out << entry.type << "  " << entry.description << '\n';
    if (entry.defined_in_config) {
      context.out << "  defined in config, runs handler " << entry.handler->type << " with "
                  << json_text(config::redact(entry.preset)) << '\n';
    }
    if (!entry.aliases.empty()) {
      context.out << "  aliases: " << fmt::format("{}", fmt::join(entry.aliases, ", ")) << '\n';
    }
    const auto& keys = entry.handler->schema.keys();
    if (keys.empty()) continue;
    Table table({"  KEY", "TYPE", "DEFAULT", "DESCRIPTION"});
    for (const auto& key : keys) {
      table.add({"  " + key.name, std::string(registry::to_string(key.type)),
                 key.required ? "(required)"
                 : key.default_value.is_null()
                     ? "-"
                     : (key.default_value.is_string() ? key.default_value.get<std::string>()
                                                      : json_text(key.default_value)),
                 key.description});
    }
    table.print(context.out);
  }
  if (!unresolved.empty()) {
    context.out << "\nLegacy aliases whose type no handler provides yet:\n";
    for (const auto& [legacy, canonical] : unresolved) {
      context.out << "  " << legacy << " -> " << canonical << '\n';
    }
  }
  return kOk;
}

}  // namespace

void add_config_commands(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  auto on_parse = [&context, options](auto command) {
    return [&context, options, command] {
      context.action = [&context, options, command] { return command(context, *options); };
    };
  };

  CLI::App* validate_cmd = app.add_subcommand(
      "validate", "Check maintd.yaml and every schedule file; report all errors");
  validate_cmd->add_flag("--check-databases", options->check_databases,
                         "also connect to the state and target databases and check that the "
                         "tables and columns tasks name exist");
  validate_cmd->callback(on_parse(validate));

  CLI::App* list_cmd = app.add_subcommand("list", "List every task with its next slot");
  list_cmd->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  list_cmd->add_option("--from", options->from, "compute next slots after this instant, not now");
  list_cmd->callback(on_parse(list));

  CLI::App* next_cmd =
      app.add_subcommand("next", "The next slots of one task, or the next N across all tasks");
  next_cmd->add_option("task", options->task, "task name (default: all enabled tasks)");
  next_cmd->add_option("--count,-n", options->count, "how many slots")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  next_cmd->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  next_cmd->add_option("--from", options->from, "start after this instant, not now");
  next_cmd->callback(on_parse(next));

  CLI::App* handlers_cmd =
      app.add_subcommand("handlers", "Registered types, their aliases and config schemas");
  handlers_cmd->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  handlers_cmd->callback(on_parse(handlers));
}

}  // namespace maintd::cli
