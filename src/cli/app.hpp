#pragma once
// The command line: `maintd <command> ...`. main() only forwards to run(), so tests can drive the
// whole CLI in-process with their own streams.
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "common/instant.hpp"
#include "config/environment.hpp"
#include "registry/registry.hpp"

namespace CLI {
class App;
}

namespace maintd::cli {

// Exit codes shared by every command.
enum ExitCode : int {
  kOk = 0,
  kFailed = 1,      // the work ran and failed (a run failed or timed out)
  kUsageError = 2,  // bad arguments, invalid expression or config
  kStateUnavailable = 3,
};

// What a command needs besides its own options. Tests build one with their own streams,
// environment and clock; main() uses the process's.
struct Context {
  Context(std::ostream& out_stream, std::ostream& err_stream) : out(out_stream), err(err_stream) {}
  std::ostream& out;
  std::ostream& err;
  config::Environment env = config::process_environment();
  std::function<Instant()> now = [] {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  };
  const registry::Registry* handlers = nullptr;  // the built-in registry
  std::optional<std::string> config_flag;        // --config, before $MAINTD_CONFIG
  // The chosen command's action; set by the subcommand's parse callback, run after parsing.
  std::function<int()> action;
};

int run(int argc, const char* const* argv, Context& context);
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace maintd::cli
