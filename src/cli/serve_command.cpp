// `maintd serve`: read and validate the configuration, set up logging, open and migrate the
// state database, then hand over to the daemon (and its admin API: src/serve) until SIGTERM.
#include "cli/serve_command.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "cli/loading.hpp"
#include "config/loader.hpp"
#include "scheduler/daemon.hpp"
#include "scheduler/log_setup.hpp"
#include "serve/serve.hpp"
#include "store/store_error.hpp"

namespace maintd::cli {
namespace {

int serve(Context& context) {
  auto config = load_configuration(context, ConfigWarnings::print);
  if (!config) return kUsageError;
  scheduler::configure_logging(config->log, context.env);
  auto database = open_state_database(context, *config, serve::state_sessions(*config));
  if (!database) return kStateUnavailable;

  scheduler::DaemonOptions options;
  options.config_path = config::resolve_config_path(context.config_flag, context.env);
  options.handlers = context.handlers;
  options.env = context.env;
  options.now = context.now;
  try {
    return serve::serve(std::make_shared<const config::Config>(std::move(*config)),
                        std::move(database), options);
  } catch (const serve::ListenError& e) {
    spdlog::critical("{}", e.what());
    context.err << "maintd: " << e.what() << '\n';
    return kFailed;
  } catch (const store::StoreError& e) {
    // Only start-up can get here (loading tasks, reading the last slots): once running, the
    // daemon logs database failures and carries on.
    spdlog::critical("{}", e.what());
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
}

}  // namespace

void add_serve_command(CLI::App& app, Context& context) {
  CLI::App* command = app.add_subcommand(
      "serve", "Run the scheduler: fire every task on time until SIGTERM (SIGHUP reloads)");
  command->callback([&context] { context.action = [&context] { return serve(context); }; });
}

}  // namespace maintd::cli
