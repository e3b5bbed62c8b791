#pragma once
// `maintd serve` once its configuration is loaded and its state database open: the daemon and,
// when http.listen is set, the admin HTTP server in front of it.
//
// This is the one place that puts the two together, so that the CLI (src/cli) starts a daemon
// without knowing about HTTP, and the HTTP layer serves a daemon without knowing who started it.
#include <cstddef>
#include <memory>
#include <stdexcept>

#include "config/config.hpp"
#include "scheduler/daemon.hpp"

namespace maintd::serve {

// The admin server could not listen (a port in use, an address not on this host): nothing ran.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The state database sessions serving needs: one for the loop, one per worker and, with the
// admin API, one per HTTP thread, so that a request never waits for a worker's session, nor a
// run for a request's.
std::size_t state_sessions(const config::Config& config);

// Listens (when http.listen is set), then runs the daemon until SIGTERM or SIGINT and a graceful
// shutdown, then stops the server. Returns the daemon's exit code. Throws ListenError, and
// store::StoreError when the daemon cannot start (loading its tasks, reading the last slots).
int serve(std::shared_ptr<const config::Config> config, std::shared_ptr<store::Database> database,
          scheduler::DaemonOptions options);

}  // namespace maintd::serve
