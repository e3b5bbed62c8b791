// `maintd serve`: read and validate the configuration, set up logging, open and migrate the
// state database, then hand over to the daemon until SIGTERM.
#include "cli/serve_command.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <ostream>

#include "cli/loading.hpp"
#include "config/loader.hpp"
#include "http/server.hpp"
#include "scheduler/daemon.hpp"
#include "scheduler/log_setup.hpp"
#include "store/store_error.hpp"

namespace maintd::cli {
namespace {

int serve(Context& context) {
  auto config = load_configuration(context, ConfigWarnings::print);
  if (!config) return kUsageError;
  scheduler::configure_logging(config->log, context.env);
  // A session for the loop, one per worker and, with the admin API, one per HTTP thread: a
  // request never waits for a worker's session, nor a run for a request's.
  const http::ServerOptions http_options;
  const std::size_t sessions = static_cast<std::size_t>(std::max(config->daemon.workers, 1)) + 2 +
                               (config->http.listen ? http_options.threads : 0);
  auto database = open_state_database(context, *config, std::max<std::size_t>(sessions, 4));
  if (!database) return kStateUnavailable;
  const config::HttpSettings http_settings = config->http;

  scheduler::DaemonOptions options;
  options.config_path = config::resolve_config_path(context.config_flag, context.env);
  options.handlers = context.handlers;
  options.env = context.env;
  options.now = context.now;
  try {
    scheduler::Daemon daemon(std::make_shared<const config::Config>(std::move(*config)),
                             std::move(database), options);
    // Listening before the daemon starts: a port in use fails the start (exit 1, before
    // READY=1), instead of a daemon that runs without the API it was configured with. Until the
    // daemon has loaded its tasks and runs its loop (Daemon::phase), the API answers 503 with
    // Retry-After and /readyz says "starting". Opening the listener only then was the other way;
    // it would learn of a taken port only after a load (2.5 s for 100,000 tasks), and callers
    // would meet a refused connection, which looks like a daemon that is down, instead of an
    // answer that says to ask again.
    std::unique_ptr<http::Server> server;
    if (http_settings.listen) {
      try {
        server = std::make_unique<http::Server>(daemon, http_settings, http_options);
        server->start();
      } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        context.err << "maintd: " << e.what() << '\n';
        return kFailed;
      }
    }
    const int code = daemon.run();
    if (server) server->stop();
    return code;
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
