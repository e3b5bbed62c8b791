#include "cli/status_command.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <ostream>

#include "cli/loading.hpp"
#include "cli/run_view.hpp"
#include "cli/table.hpp"
#include "common/json_text.hpp"
#include "scheduler/failure_pause.hpp"
#include "service/pause_control.hpp"
#include "store/instance_store.hpp"
#include "store/pause_store.hpp"
#include "store/run_store.hpp"
#include "store/store_error.hpp"

namespace maintd::cli {
namespace {

using nlohmann::json;

struct Options {
  bool json = false;
  int next = 5;
};

struct NextSlot {
  Instant at;
  const config::Task* task;
};

// The `count` earliest next slots over the enabled tasks.
std::vector<NextSlot> next_slots(const tasks::TaskSet& tasks, Instant from, int count) {
  std::vector<NextSlot> slots;
  for (const auto& task : tasks) {
    if (!task.enabled) continue;
    if (const auto at = task.slots.next(from)) slots.push_back({*at, &task});
  }
  const auto keep = std::min<std::size_t>(slots.size(), static_cast<std::size_t>(count));
  std::partial_sort(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(keep), slots.end(),
                    [](const NextSlot& a, const NextSlot& b) { return a.at < b.at; });
  slots.resize(keep);
  return slots;
}

int status(Context& context, const Options& options) {
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  auto database = open_state_database(context, *config);
  if (!database) return kStateUnavailable;
  try {
    const auto instances = store::InstanceStore(database).list(config->daemon.lease);
    store::RunStore runs_store(database, store::system_clock());
    const auto running = runs_store.active_runs();
    const auto one_offs = runs_store.pending_one_offs(std::nullopt, options.next);
    const auto pause =
        store::PauseStore(database, [&context] {
          return std::chrono::time_point_cast<std::chrono::milliseconds>(context.now());
        }).current();
    const auto tasks = tasks_to_show(context, *config);
    const auto paused = scheduler::paused_by_failures(runs_store, tasks);
    const auto enabled =
        std::count_if(tasks.begin(), tasks.end(), [](const config::Task& t) { return t.enabled; });
    const auto slots = next_slots(tasks, context.now(), options.next);
    const bool any_alive = std::any_of(instances.begin(), instances.end(),
                                       [](const store::InstanceRecord& i) { return i.alive; });

    if (options.json) {
      json daemons = json::array();
      for (const auto& i : instances) {
        daemons.push_back({{"instance_id", i.instance_id},
                           {"host", i.host},
                           {"pid", i.pid},
                           {"started_at", store::format_timestamp(i.started_at)},
                           {"heartbeat_at", store::format_timestamp(i.heartbeat_at)},
                           {"alive", i.alive},
                           {"status", i.status}});
      }
      json active = json::array();
      for (const auto& run : running) active.push_back(run_to_json(run));
      json next = json::array();
      for (const auto& slot : slots) {
        next.push_back({{"task", slot.task->name}, {"at", format_utc(slot.at)}});
      }
      json paused_tasks = json::array();
      for (const auto& p : paused) {
        paused_tasks.push_back({{"task", p.task},
                                {"run_id", p.run},
                                {"at", store::format_timestamp(p.at)},
                                {"message", p.message}});
      }
      json waiting = json::array();
      for (const auto& run : one_offs) waiting.push_back(run_to_json(run));
      context.out << json_text(json{{"daemons", daemons},
                                    {"tasks", {{"total", tasks.size()}, {"enabled", enabled}}},
                                    {"pause", service::pause_to_json(pause)},
                                    {"paused_after_failures", paused_tasks},
                                    {"running", active},
                                    {"next", next},
                                    {"one_off", waiting}},
                               2)
                  << '\n';
      return any_alive ? kOk : kFailed;
    }

    if (instances.empty()) {
      context.out << "daemons: none has announced itself in this state database\n";
    } else {
      context.out << "daemons:\n";
      Table table({"HOST", "PID", "STARTED (UTC)", "HEARTBEAT (UTC)", "STATE", "STATUS"});
      for (const auto& i : instances) {
        table.add({i.host, std::to_string(i.pid), timestamp_text(i.started_at),
                   timestamp_text(i.heartbeat_at), i.alive ? "alive" : "silent (lease expired)",
                   i.status});
      }
      table.print(context.out);
    }
    if (pause) {
      // First and plain: nothing scheduled starts until it ends.
      context.out << fmt::format("\nPAUSED: {}\n", service::describe_pause(*pause));
      context.out << "no scheduled run starts on any daemon until it ends ('maintd resume')\n";
    }
    context.out << fmt::format("\ntasks: {} ({} enabled)\n", tasks.size(), enabled);
    for (const auto& p : paused) {
      context.out << fmt::format("paused: {} (by run {} at {}): {}\n", p.task, p.run,
                                 timestamp_text(p.at), p.message);
    }
    if (running.empty()) {
      context.out << "running: none\n";
    } else {
      context.out << "running:\n";
      Table table({"ID", "TASK", "STATUS", "STARTED (UTC)", "HEARTBEAT (UTC)", "HOST"});
      for (const auto& run : running) {
        table.add({std::to_string(run.id), run.task_name, std::string(to_string(run.status)),
                   timestamp_text(run.started_at), timestamp_text(run.heartbeat_at),
                   run.host.empty() ? "-" : run.host});
      }
      table.print(context.out);
    }
    if (!slots.empty()) {
      context.out << "next:\n";
      Table table({"SLOT (UTC)", "TASK"});
      for (const auto& slot : slots) table.add({format_utc(slot.at), slot.task->name});
      table.print(context.out);
    }
    if (!one_offs.empty()) {
      context.out << "one-off runs waiting:\n";
      Table table({"ID", "DUE (UTC)", "TASK"});
      for (const auto& run : one_offs) {
        table.add(
            {std::to_string(run.id), run.due_at ? format_utc(*run.due_at) : "-", run.task_name});
      }
      table.print(context.out);
    }
    return any_alive ? kOk : kFailed;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
}

}  // namespace

void add_status_command(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand(
      "status", "What the daemons sharing the state database are doing: heartbeats, runs, slots");
  command->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  command->add_option("--next,-n", options->next, "how many next slots to show")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  command->callback([&context, options] {
    context.action = [&context, options] { return status(context, *options); };
  });
}

}  // namespace maintd::cli
