// `maintd pause`, `maintd resume`, `maintd cancel`: see pause_commands.hpp.
#include "cli/pause_commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <memory>
#include <ostream>

#include "cli/loading.hpp"
#include "common/duration.hpp"
#include "common/json_text.hpp"
#include "service/one_off.hpp"
#include "service/pause_control.hpp"
#include "store/store_error.hpp"

namespace maintd::cli {
namespace {

using nlohmann::json;

struct Options {
  std::string duration;  // --for
  std::string reason;
  bool json = false;
  long long id = 0;
};

store::Clock clock_of(const Context& context) {
  return
      [&context] { return std::chrono::time_point_cast<std::chrono::milliseconds>(context.now()); };
}

int pause(Context& context, const Options& options) {
  service::PauseAsk ask;
  ask.by = cli_user(context);
  ask.reason = options.reason;
  if (!options.duration.empty()) {
    const auto duration = parse_duration(options.duration);
    if (!duration) {
      context.err << "maintd: --for: " << duration.error() << '\n';
      return kUsageError;
    }
    ask.duration = duration.value();
  }
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  auto database = open_state_database(context, *config);
  if (!database) return kStateUnavailable;
  try {
    store::PauseStore pauses(database, clock_of(context));
    const auto outcome = service::pause_everything(pauses, ask, clock_of(context)());
    if (!outcome) {
      context.err << "maintd: " << outcome.error() << " (nothing was changed)\n";
      return kUsageError;
    }
    const auto& pause = outcome.value().pause;
    if (options.json) {
      json out = service::pause_to_json(pause);
      out["changed_current"] = outcome.value().changed_current;
      context.out << json_text(json{{"pause", out}}, 2) << '\n';
      return kOk;
    }
    context.out << fmt::format(
        "{}: {}\nno scheduled run starts on any daemon sharing {} until {}\n",
        outcome.value().changed_current ? "the current pause was changed" : "maintd is paused",
        service::describe_pause(pause), database->display(),
        pause.until ? format_utc(std::chrono::floor<std::chrono::seconds>(*pause.until))
                    : "'maintd resume'");
    return kOk;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
}

int resume(Context& context, const Options& options) {
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  auto database = open_state_database(context, *config);
  if (!database) return kStateUnavailable;
  try {
    store::PauseStore pauses(database, clock_of(context));
    const auto ended = service::resume_everything(pauses, cli_user(context));
    if (options.json) {
      context.out << json_text(json{{"resumed", ended.has_value()},
                                    {"pause", ended ? service::pause_to_json(*ended) : json()}},
                               2)
                  << '\n';
      return kOk;
    }
    if (!ended) {
      context.out << "maintd was not paused: nothing to resume\n";
      return kOk;
    }
    context.out << fmt::format(
        "resumed: the pause {} ended\nschedules go on from their next slot; the slots inside "
        "the pause are recorded as skipped, not caught up\n",
        service::describe_pause(*ended));
    return kOk;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
}

int cancel(Context& context, const Options& options) {
  auto config = load_configuration(context);
  if (!config) return kUsageError;
  auto database = open_state_database(context, *config);
  if (!database) return kStateUnavailable;
  try {
    store::RunStore runs(database, clock_of(context));
    const auto outcome = service::cancel_recorded_run(runs, options.id, cli_user(context));
    using Result = scheduler::CancelOutcome::Result;
    switch (outcome.result) {
      case Result::not_found:
        context.err << fmt::format("maintd: there is no run {} (see 'maintd history')\n",
                                   options.id);
        return kUsageError;
      case Result::finished:
        context.err << fmt::format("maintd: run {} has already ended ({}): nothing to cancel\n",
                                   options.id, to_string(outcome.status));
        return kFailed;
      case Result::cancelled:
        break;
    }
    const auto run = runs.get(options.id);
    if (options.json) {
      context.out << json_text(json{{"run_id", options.id}, {"status", "cancelled"}}, 2) << '\n';
      return kOk;
    }
    context.out << fmt::format("run {} of {} cancelled{}\n", options.id, run ? run->task_name : "?",
                               run && !run->started_at
                                   ? ": it will not start"
                                   : ": its daemon stops it at its next heartbeat");
    return kOk;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
}

}  // namespace

std::string cli_user(const Context& context) {
  std::string user = context.env("USER").value_or(context.env("LOGNAME").value_or(""));
  if (user.empty()) user = fmt::format("uid {}", ::getuid());
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return user;
  return user + "@" + host.data();
}

void add_pause_commands(CLI::App& app, Context& context) {
  auto options = std::make_shared<Options>();
  CLI::App* pause_cmd = app.add_subcommand(
      "pause", "Stop every daemon sharing the state database from starting scheduled runs");
  pause_cmd->add_option("--for", options->duration,
                        "end the pause by itself after this long (30m, 1h30m); default: until "
                        "'maintd resume'");
  pause_cmd->add_option("--reason", options->reason, "why (shown by status, metrics, dashboard)");
  pause_cmd->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  pause_cmd->callback([&context, options] {
    context.action = [&context, options] { return pause(context, *options); };
  });

  CLI::App* resume_cmd =
      app.add_subcommand("resume", "End the pause: schedules go on from their next slot");
  resume_cmd->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  resume_cmd->callback([&context, options] {
    context.action = [&context, options] { return resume(context, *options); };
  });

  CLI::App* cancel_cmd = app.add_subcommand(
      "cancel", "Cancel a run: a one-off run waiting for its time, or a run in progress");
  cancel_cmd->add_option("id", options->id, "the run's id (maintd history, maintd next)")
      ->required()
      ->check(CLI::PositiveNumber);
  cancel_cmd->add_flag("--json", options->json, "machine-readable output (docs/json-output.md)");
  cancel_cmd->callback([&context, options] {
    context.action = [&context, options] { return cancel(context, *options); };
  });
}

}  // namespace maintd::cli
