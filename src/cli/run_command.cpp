// `maintd run`: one task, now, in this process, recorded as a manual run (or, with --at, a one-off
// run recorded for a daemon to start at that time: service/one_off.hpp). TASK is a task name,
// or a type (or legacy alias) run with its defaults and --set (the documented emergency
// commands, e.g. `maintd run claims.release_expired --set timeout_minutes=0 --force`).
#include "cli/run_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <ostream>

#include "cli/config_overrides.hpp"
#include "cli/interrupt.hpp"
#include "cli/loading.hpp"
#include "cli/progress_bar.hpp"
#include "cli/run_view.hpp"
#include "common/duration.hpp"
#include "common/json_text.hpp"
#include "common/suggest.hpp"
#include "config/overrides.hpp"
#include "config/redact.hpp"
#include "scheduler/run_executor.hpp"
#include "scheduler/run_write_back.hpp"
#include "scheduler/worker_identity.hpp"
#include "service/one_off.hpp"
#include "service/pause_control.hpp"
#include "store/pause_store.hpp"
#include "store/store_error.hpp"
#include "tasks/task_load.hpp"

namespace maintd::cli {
namespace {

using nlohmann::json;
using store::RunStatus;

struct Options {
  std::string task;
  bool dry_run = false;
  std::vector<std::string> sets;
  bool json = false;
  bool force = false;
  std::string at;  // --at: a one-off run, recorded for a daemon to start then
};

// Exit status of a run cancelled by Ctrl-C: the shell convention for "killed by SIGINT".
constexpr int kInterrupted = 130;

// What `maintd run` executes: a task from config, or a bare type with its defaults.
struct Target {
  std::string name;
  std::string type;  // canonical
  json base_config;  // before --set
  const registry::ConfigSchema* schema = nullptr;
  bool dry_run = false;
  config::Policies policies;
};

std::optional<Target> find_target(Context& context, const config::Config& config,
                                  const tasks::TaskSet& tasks, const std::string& name) {
  if (const config::Task* task = tasks.find(name)) {
    const auto resolved = config.registry->resolve(task->type);
    return Target{task->name,    task->type,    task->config, &resolved->handler->schema,
                  task->dry_run, task->policies};
  }
  if (auto resolved = config.registry->resolve(name)) {
    return Target{resolved->canonical,
                  resolved->canonical,
                  resolved->preset,
                  &resolved->handler->schema,
                  false,
                  config.default_policies};
  }
  std::vector<std::string> candidates;
  for (const auto& task : tasks) candidates.push_back(task.name);
  for (const auto& entry : config.registry->types()) candidates.push_back(entry.type);
  context.err << fmt::format(
      "maintd: no task or type named '{}'{} (see 'maintd list' and "
      "'maintd handlers')\n",
      name, did_you_mean(name, candidates));
  return std::nullopt;
}

// Schedule-file tasks and table tasks; invalid table rows are reported and left out.
std::optional<tasks::TaskSet> load_tasks(Context& context, store::TaskTable& table,
                                         const config::Config& config) {
  try {
    auto set = tasks::load_tasks(table, config);
    for (const auto& error : set.diagnostics.errors()) {
      context.err << error.to_string() << " (this task is not run)\n";
    }
    return set;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return std::nullopt;
  }
}

int exit_code_for(RunStatus status) {
  switch (status) {
    case RunStatus::completed:
      return kOk;
    case RunStatus::cancelled:
      return kInterrupted;
    default:
      return kFailed;
  }
}

// `--at`: records the one-off run and returns; a daemon starts it (service/one_off.hpp).
int schedule_one_off(Context& context, const Options& options, const tasks::TaskSet& tasks,
                     store::RunStore& runs, const std::string& task_name) {
  service::OneOffAsk ask;
  ask.task = task_name;
  ask.at = options.at;
  ask.dry_run = options.dry_run;
  const auto recorded = service::schedule_one_off(runs, tasks, ask, context.now());
  if (!recorded) {
    context.err << "maintd: --at: " << recorded.error().message << " (nothing was recorded)\n";
    return kUsageError;
  }
  const auto& run = recorded.value();
  if (options.json) {
    context.out << json_text(json{{"run", run_to_json(run)}}, 2) << '\n';
    return kOk;
  }
  const Instant due = run.due_at.value_or(context.now());
  context.out << fmt::format(
      "run {}: one-off run of {} due at {} (in {}){}, pending\n"
      "the daemon that is up then starts it; 'maintd cancel {}' cancels it\n",
      run.id, run.task_name, format_utc(due), format_duration(due - context.now()),
      run.dry_run ? ", dry run" : "", run.id);
  return kOk;
}

int run_task(Context& context, const Options& options) {
  if (!options.at.empty() && !options.sets.empty()) {
    context.err << "maintd: --set cannot be combined with --at: a one-off run runs the task's "
                   "config as it is when it starts\n";
    return kUsageError;
  }
  if (!options.at.empty() && options.force) {
    context.err << "maintd: --force cannot be combined with --at: a one-off run waits out a "
                   "pause and follows the task's concurrency policy when it starts\n";
    return kUsageError;
  }
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  auto database = open_state_database(context, *config);
  if (!database) return kStateUnavailable;
  auto table = open_tasks(context, *config, database);
  if (!table) return kStateUnavailable;
  const auto tasks = load_tasks(context, *table, *config);
  if (!tasks) return kStateUnavailable;
  std::string task_name = options.task;
  try {
    task_name = tasks::resolve_task_name(*table, *config, options.task);  // an id: its name
  } catch (const store::StoreError&) {
    // Resolved by name only; an unknown name is reported below.
  }
  if (!options.at.empty()) {
    try {
      store::RunStore runs(database, store::system_clock());
      return schedule_one_off(context, options, *tasks, runs, task_name);
    } catch (const store::StoreError& e) {
      context.err << "maintd: " << e.what() << '\n';
      return kStateUnavailable;
    }
  }
  auto target = find_target(context, *config, *tasks, task_name);
  if (!target) return kUsageError;

  auto overrides = parse_overrides(options.sets, target->schema);
  if (!overrides) {
    context.err << "maintd: " << overrides.error() << '\n';
    return kUsageError;
  }
  std::set<std::string> databases;
  for (const auto& [name, url] : config->databases) databases.insert(name);
  auto effective =
      config::apply_overrides(target->base_config, *overrides, *target->schema, databases);
  if (!effective) {
    for (const auto& error : effective.error()) context.err << "maintd: " << error << '\n';
    return kUsageError;
  }

  store::RunStore runs(database, store::system_clock());
  const bool dry_run = options.dry_run || target->dry_run;
  const bool show_progress = !options.json && ::isatty(STDERR_FILENO) == 1;

  try {
    if (!options.force) {
      // A pause holds for manual runs too, unless forced (docs/daemon.md#pausing).
      store::PauseStore pauses(database, [&context] {
        return std::chrono::time_point_cast<std::chrono::milliseconds>(context.now());
      });
      if (const auto pause = pauses.current()) {
        context.err << fmt::format(
            "maintd: maintd is {}: pass --force to run '{}' anyway, or 'maintd resume'\n",
            service::describe_pause(*pause), target->name);
        return kFailed;
      }
    }
    if (target->policies.concurrency == config::Concurrency::forbid && !options.force) {
      for (const auto& active : runs.active_runs(target->name)) {
        if (active.status != RunStatus::running) continue;
        context.err << fmt::format(
            "maintd: task '{}' has run {} running since {} UTC on {} (pid {}); its concurrency "
            "is 'forbid': wait for it, or pass --force to run anyway\n",
            target->name, active.id, timestamp_text(active.started_at), active.host, active.pid);
        return kFailed;
      }
    }

    store::NewRun run;
    run.task_name = target->name;
    run.task_type = target->type;
    run.trigger = store::Trigger::manual;
    run.dry_run = dry_run;
    run.config = config::redact(*effective);  // what ran, minus secrets
    const store::RunId id = runs.create_run(run);

    ProgressBar bar(context.err);
    scheduler::RunObserver observer;
    if (!options.json) {
      context.err << fmt::format("run {}: {} ({}){}\n", id, target->name, target->type,
                                 dry_run ? ", dry run" : "");
      observer.on_event = [&](registry::EventLevel level, std::string_view event,
                              std::string_view message) {
        if (level == registry::EventLevel::debug) return;
        bar.print_line(fmt::format("  {:<7} {}: {}", to_string(level), event, message));
      };
    }
    if (show_progress) observer.on_progress = [&](const auto& p) { bar.update(p); };

    std::stop_source cancel;
    InterruptWatcher interrupts([&](int, int count) {
      if (count > 1) {
        // A second Ctrl-C: the user wants out now. The run stays `running` until its lease
        // expires and an instance marks it abandoned.
        std::_Exit(kInterrupted);
      }
      bar.print_line(
          fmt::format("maintd: interrupted: cancelling run {} (Ctrl-C again to quit "
                      "at once)",
                      id));
      cancel.request_stop();
    });

    scheduler::ExecutorSettings settings;
    settings.heartbeat_interval = config->daemon.heartbeat_interval;
    settings.worker = scheduler::this_process_worker();
    settings.log_events = false;
    // Not owned: `tasks` outlives the executor (both live in this function).
    settings.peers = std::shared_ptr<const tasks::TaskSet>(std::shared_ptr<const void>(), &*tasks);
    store::RunJournal journal(database, store::system_clock(), scheduler::journal_settings());
    scheduler::RunExecutor executor(runs, journal, *config, settings);
    scheduler::RunRequest request{id,          target->name, target->type,
                                  *effective,  dry_run,      target->policies.timeout,
                                  std::nullopt};  // a manual run: no slot
    const auto outcome = executor.execute(request, cancel.get_token(), observer);
    bar.clear();
    if (const config::Task* task = tasks->find(target->name)) {
      // The application's admin page reads the task's row: a manual run shows there too.
      scheduler::write_back_outcome(*table, *task, outcome, context.now());
    }

    const auto record = runs.get(id);
    if (options.json) {
      json out = record ? run_to_json(*record) : json{{"id", id}};
      json events = json::array();
      for (const auto& event : runs.events(id)) events.push_back(event_to_json(event));
      out["events"] = std::move(events);
      context.out << json_text(json{{"run", out}}, 2) << '\n';
    } else {
      context.out << fmt::format("run {} {} in {}\n", id, to_string(outcome.status),
                                 record ? run_duration_text(*record) : "?");
      if (!outcome.result.is_null()) context.out << json_text(outcome.result, 2) << '\n';
      if (!outcome.error.empty()) context.err << "maintd: " << outcome.error << '\n';
    }
    return exit_code_for(outcome.status);
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
}

}  // namespace

void add_run_command(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  CLI::App* command =
      app.add_subcommand("run",
                         "Run a task now in this process (recorded as a manual run), or record a "
                         "one-off run for a daemon to start later (--at)");
  command->add_option("task", options->task, "task name, or a type to run with its defaults")
      ->required();
  command->add_flag("--dry-run", options->dry_run, "report what would change; change nothing");
  command->add_option("--set", options->sets, "override a config key for this run: key=value")
      ->allow_extra_args(false);
  command->add_flag("--json", options->json, "print the run as JSON (docs/json-output.md)");
  command->add_flag("--force", options->force,
                    "run even while maintd is paused, or if concurrency is 'forbid' and a run is "
                    "in progress");
  command->add_option("--at", options->at,
                      "record a one-off run for the daemon to start at this time instead: ISO "
                      "8601 with its zone (2026-12-08T03:00:00Z) or from now (+10m, +1h30m)");
  command->callback([&context, options] {
    context.action = [&context, options] { return run_task(context, *options); };
  });
}

}  // namespace maintd::cli
