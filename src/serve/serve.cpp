// The daemon and its admin HTTP server, started together (serve.hpp).
#include "serve/serve.hpp"

#include <algorithm>

#include "http/server.hpp"

namespace maintd::serve {

std::size_t state_sessions(const config::Config& config) {
  const http::ServerOptions http_options;
  const std::size_t sessions = static_cast<std::size_t>(std::max(config.daemon.workers, 1)) + 2 +
                               (config.http.listen ? http_options.threads : 0);
  return std::max<std::size_t>(sessions, 4);
}

int serve(std::shared_ptr<const config::Config> config, std::shared_ptr<store::Database> database,
          scheduler::DaemonOptions options) {
  const config::HttpSettings http_settings = config->http;
  scheduler::Daemon daemon(std::move(config), std::move(database), std::move(options));
  // Listening before the daemon starts: a port in use fails the start (exit 1, before READY=1),
  // instead of a daemon that runs without the API it was configured with. Until the daemon has
  // loaded its tasks and runs its loop (Daemon::phase), the API answers 503 with Retry-After and
  // /readyz says "starting". Opening the listener only then was the other way; it would learn
  // of a taken port only after a load (2.5 s for 100,000 tasks), and callers would meet a
  // refused connection, which looks like a daemon that is down, instead of an answer that says
  // to ask again.
  std::unique_ptr<http::Server> server;
  if (http_settings.listen) {
    try {
      server = std::make_unique<http::Server>(daemon, http_settings, http::ServerOptions{});
      server->start();
    } catch (const std::exception& e) {
      throw ListenError(e.what());
    }
  }
  const int code = daemon.run();
  if (server) server->stop();
  return code;
}

}  // namespace maintd::serve
