#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/cron_command.hpp"

namespace maintd::cli {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"maintd: cron-scheduled maintenance task runner", "maintd"};
  app.set_version_flag("--version", std::string("maintd ") + MAINTD_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  Context context{out, err, {}};
  add_cron_command(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here as "errors" with exit code 0.
    const int code = app.exit(e, out, err);
    return code == 0 ? kOk : kUsageError;
  }
  return context.action ? context.action() : kUsageError;
}

}  // namespace maintd::cli
