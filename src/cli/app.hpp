#pragma once
// The command line: `maintd <command> ...`. main() only forwards to run(), so tests can drive the
// whole CLI in-process with their own streams.
#include <functional>
#include <iosfwd>

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

// What a command needs besides its own options.
struct Context {
  std::ostream& out;
  std::ostream& err;
  // The chosen command's action; set by the subcommand's parse callback, run after parsing.
  std::function<int()> action;
};

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace maintd::cli
