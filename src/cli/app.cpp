#include "cli/app.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/config_commands.hpp"
#include "cli/cron_command.hpp"
#include "cli/db_commands.hpp"
#include "cli/history_commands.hpp"
#include "cli/pause_commands.hpp"
#include "cli/reload_command.hpp"
#include "cli/run_command.hpp"
#include "cli/serve_command.hpp"
#include "cli/status_command.hpp"
#include "cli/task_commands.hpp"
#include "handlers/builtin.hpp"

namespace maintd::cli {

int run(int argc, const char* const* argv, Context& context) {
  CLI::App app{"maintd: cron-scheduled maintenance task runner", "maintd"};
  app.set_version_flag("--version", std::string("maintd ") + MAINTD_VERSION);
  app.require_subcommand(1);
  // Options of `maintd` itself (--config) may also follow the subcommand.
  app.fallthrough(true);
  app.add_option("--config,-c", context.config_flag,
                 "maintd.yaml to read (default: $MAINTD_CONFIG, else /etc/maintd/maintd.yaml)");

  // The process log goes to stderr, never stdout (which carries --json output). Commands in
  // the foreground print what matters themselves, so only warnings reach the log there;
  // `serve` sets up its own logging from config.
  static const auto stderr_logger = spdlog::stderr_logger_mt("maintd");
  spdlog::set_default_logger(stderr_logger);
  spdlog::set_level(spdlog::level::warn);

  const registry::Registry builtin = handlers::builtin_registry();
  if (context.handlers == nullptr) context.handlers = &builtin;

  add_cron_command(app, context);
  add_config_commands(app, context);
  add_run_command(app, context);
  add_serve_command(app, context);
  add_reload_command(app, context);
  add_status_command(app, context);
  add_history_commands(app, context);
  add_db_commands(app, context);
  add_task_commands(app, context);
  add_pause_commands(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here as "errors" with exit code 0.
    const int code = app.exit(e, context.out, context.err);
    return code == 0 ? kOk : kUsageError;
  }
  const int code = context.action ? context.action() : kUsageError;
  if (context.handlers == &builtin) context.handlers = nullptr;  // do not outlive `builtin`
  return code;
}

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Context context{out, err};
  return run(argc, argv, context);
}

}  // namespace maintd::cli
