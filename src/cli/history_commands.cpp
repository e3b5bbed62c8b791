// Reading what ran: the run history and one run with its events.
#include "cli/history_commands.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/loading.hpp"
#include "cli/run_view.hpp"
#include "cli/table.hpp"
#include "common/duration.hpp"
#include "common/json_text.hpp"
#include "store/store_error.hpp"

namespace maintd::cli {
namespace {

using nlohmann::json;

struct Options {
  std::string task;
  std::string status;
  std::string since;
  int limit = 20;
  bool json = false;
  long long run_id = 0;
};

// Builds the filter from the options; empty (after printing why) when one is invalid.
std::optional<store::HistoryFilter> history_filter(Context& context, const Options& options) {
  store::HistoryFilter filter;
  filter.limit = options.limit;
  if (!options.task.empty()) filter.task = options.task;
  if (!options.status.empty()) {
    filter.status = store::parse_run_status(options.status);
    if (!filter.status) {
      context.err << fmt::format(
          "maintd: --status '{}' is not a run status (pending, running, completed, failed, "
          "timed_out, cancelled, abandoned, skipped)\n",
          options.status);
      return std::nullopt;
    }
  }
  if (!options.since.empty()) {
    const auto window = parse_duration(options.since);
    if (!window) {
      context.err << "maintd: --since: " << window.error() << '\n';
      return std::nullopt;
    }
    filter.since = std::chrono::time_point_cast<std::chrono::milliseconds>(context.now() - *window);
  }
  return filter;
}

// The runs store of the configured state database; empty after printing why.
std::optional<store::RunStore> open_runs(Context& context, int& exit_code) {
  auto config = load_configuration(context);
  if (!config) {
    exit_code = kUsageError;
    return std::nullopt;
  }
  auto database = open_state_database(context, *config);
  if (!database) {
    exit_code = kStateUnavailable;
    return std::nullopt;
  }
  return store::RunStore(database, store::system_clock());
}

std::string summary(const store::RunRecord& run) {
  if (!run.error.empty()) return run.error;
  if (run.result.is_null()) return "";
  std::string text = json_text(run.result);
  constexpr std::size_t kWidth = 60;
  if (text.size() > kWidth) text = text.substr(0, kWidth - 3) + "...";
  return text;
}

int history(Context& context, const Options& options) {
  const auto filter = history_filter(context, options);
  if (!filter) return kUsageError;
  int code = kOk;
  auto runs = open_runs(context, code);
  if (!runs) return code;
  try {
    const auto records = runs->history(*filter);
    if (options.json) {
      json out = json::array();
      for (const auto& run : records) out.push_back(run_to_json(run));
      context.out << json_text(json{{"runs", out}}, 2) << '\n';
      return kOk;
    }
    if (records.empty()) {
      context.err << "no runs match\n";
      return kOk;
    }
    Table table({"ID", "TASK", "TRIGGER", "STATUS", "SCHEDULED (UTC)", "STARTED (UTC)", "DURATION",
                 "RESULT / ERROR"});
    for (const auto& run : records) {
      table.add({std::to_string(run.id), run.task_name, std::string(to_string(run.trigger)),
                 std::string(to_string(run.status)) + (run.dry_run ? " (dry run)" : ""),
                 run.scheduled_for ? format_utc(*run.scheduled_for) : "-",
                 timestamp_text(run.started_at), run_duration_text(run), summary(run)});
    }
    table.print(context.out);
    return kOk;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
}

int show_run(Context& context, const Options& options) {
  int code = kOk;
  auto runs = open_runs(context, code);
  if (!runs) return code;
  try {
    const auto run = runs->get(options.run_id);
    if (!run) {
      context.err << fmt::format("maintd: there is no run {} (see 'maintd history')\n",
                                 options.run_id);
      return kUsageError;
    }
    const auto events = runs->events(run->id);
    if (options.json) {
      json out = run_to_json(*run);
      json list = json::array();
      for (const auto& event : events) list.push_back(event_to_json(event));
      out["events"] = std::move(list);
      context.out << json_text(json{{"run", out}}, 2) << '\n';
      return kOk;
    }
    auto field = [&](std::string_view name, const std::string& value) {
      context.out << fmt::format("{:<14} {}\n", name, value);
    };
    field("run", std::to_string(run->id));
    field("task", run->task_name);
    field("type", run->task_type);
    field("status", std::string(to_string(run->status)) + (run->dry_run ? " (dry run)" : ""));
    field("trigger", std::string(to_string(run->trigger)) +
                         (run->attempt > 1 ? fmt::format(", attempt {}", run->attempt) : ""));
    field("scheduled for", run->scheduled_for ? format_utc(*run->scheduled_for) : "-");
    field("created", timestamp_text(run->created_at));
    field("started", timestamp_text(run->started_at));
    field("finished", timestamp_text(run->finished_at));
    field("duration", run_duration_text(*run));
    if (!run->host.empty()) field("worker", fmt::format("{} (pid {})", run->host, run->pid));
    field("config", json_text(run->config));
    if (!run->result.is_null()) field("result", json_text(run->result));
    if (!run->error.empty()) field("error", run->error);
    context.out << "\nevents:\n";
    if (events.empty()) context.out << "  (none)\n";
    for (const auto& event : events) context.out << "  " << event_line(event) << '\n';
    return kOk;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
}

}  // namespace

void add_history_commands(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  auto on_parse = [&context, options](auto command) {
    return [&context, options, command] {
      context.action = [&context, options, command] { return command(context, *options); };
    };
  };

  CLI::App* history_cmd = app.add_subcommand("history", "Recent runs, newest first");
  history_cmd->add_option("task", options->task, "only runs of this task");
  history_cmd->add_option("--status", options->status, "only runs in this status");
  history_cmd->add_option("--since", options->since, "only runs created in this window (1h, 2d)");
  history_cmd->add_option("--limit,-n", options->limit, "at most this many runs")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  history_cmd->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  history_cmd->callback(on_parse(history));

  CLI::App* show_cmd = app.add_subcommand("show-run", "One run with its events");
  show_cmd->add_option("id", options->run_id, "the run's id (see 'maintd history')")->required();
  show_cmd->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  show_cmd->callback(on_parse(show_run));
}

}  // namespace maintd::cli
