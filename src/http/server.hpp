#pragma once
// The admin HTTP server behind `maintd serve` (http.listen): HTTP/1.1 with keep-alive on
// Boost.Beast, on an io_context of its own run by its own threads. Handlers make blocking calls
// to the state database (through the Database pool), so they must never run on the daemon's
// scheduling loop, and a slow request never delays a slot. Nor do they run on the threads that
// read and write connections: they have a pool of their own, so the health probes (which never
// wait on the database) answer while every database call waits.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "http/auth.hpp"
#include "http/router.hpp"

namespace maintd::scheduler {
class Daemon;
enum class DaemonPhase;
}  // namespace maintd::scheduler

namespace maintd::http {

struct ServerOptions {
  // Threads handling requests that may wait on the state database; each holds a session while
  // its handler runs. As many again read and write connections (and answer the health probes).
  std::size_t threads = 2;
  std::size_t body_limit = 1024 * 1024;   // larger bodies get 413
  std::chrono::seconds idle_timeout{30};  // a connection that sends nothing for this long closes
  // Where the daemon is (Daemon::phase): the API is held while it starts, /readyz answers 200
  // while it runs. Empty: the daemon's own. Tests that drive the daemon by its steps, without
  // its loop, say it here.
  std::function<scheduler::DaemonPhase()> phase = {};
};

class Server {
 public:
  // Registers the API (and the dashboard) on the router; binds nothing yet. Throws
  // std::invalid_argument when settings.listen is missing or not HOST:PORT.
  Server(scheduler::Daemon& daemon, const config::HttpSettings& settings,
         ServerOptions options = {});
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (port 0: any free port), then serves on the threads. Throws
  // std::runtime_error naming the address and the reason when it cannot listen.
  void start();
  // Stops serving and waits for the threads (a request being handled finishes first), then
  // closes the listener; open connections close when the server is destroyed. Idempotent.
  void stop();

  unsigned short port() const;  // the bound port, after start()
  std::string address() const;  // "127.0.0.1:8089", after start()
  Router& router();
  const Auth& auth() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "127.0.0.1:8089" -> {"127.0.0.1", "8089"}; "[::1]:80" -> {"::1", "80"}. Throws
// std::invalid_argument when it is not HOST:PORT.
std::pair<std::string, std::string> split_listen(const std::string& listen);

}  // namespace maintd::http
