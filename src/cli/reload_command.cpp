// `maintd reload`: the daemons announce themselves in the state database (maintd_instances);
// those on this host whose heartbeat is current get SIGHUP. A pid is signalled only if that
// process is a maintd, so a pid reused after a crash is never hit.
#include "cli/reload_command.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstring>
#include <fstream>
#include <ostream>

#include "cli/loading.hpp"
#include "store/instance_store.hpp"
#include "store/store_error.hpp"

namespace maintd::cli {
namespace {

std::string this_host() {
  std::array<char, 256> name{};
  return ::gethostname(name.data(), name.size() - 1) == 0 ? std::string(name.data()) : "";
}

// Whether `pid` is a running maintd (its /proc/PID/comm says so).
bool is_maintd(long long pid) {
  std::ifstream comm(fmt::format("/proc/{}/comm", pid));
  std::string name;
  return std::getline(comm, name) && name == "maintd";
}

int reload(Context& context) {
  auto config = load_configuration(context, ConfigWarnings::print);
  if (!config) return kUsageError;
  auto database = open_state_database(context, *config);
  if (!database) return kStateUnavailable;
  try {
    store::InstanceStore instances(database);
    const std::string host = this_host();
    int signalled = 0;
    for (const auto& instance : instances.list(config->daemon.lease)) {
      if (instance.host != host || !instance.alive) continue;
      if (!is_maintd(instance.pid)) {
        context.err << fmt::format(
            "maintd: instance {} (pid {}) is not running any more; "
            "skipped\n",
            instance.instance_id, instance.pid);
        continue;
      }
      if (::kill(static_cast<pid_t>(instance.pid), SIGHUP) != 0) {
        context.err << fmt::format(
            "maintd: cannot signal pid {}: {} (run as the daemon's user, "
            "or use 'systemctl reload maintd')\n",
            instance.pid, std::strerror(errno));
        return kFailed;
      }
      context.out << fmt::format("sent SIGHUP to maintd pid {} ({})\n", instance.pid,
                                 instance.status);
      ++signalled;
    }
    if (signalled == 0) {
      context.err << fmt::format(
          "maintd: no running maintd daemon on {} uses the state "
          "database {}\n",
          host, database->display());
      return kFailed;
    }
    return kOk;
  } catch (const store::StoreError& e) {
    context.err << "maintd: " << e.what() << '\n';
    return kStateUnavailable;
  }
}

}  // namespace

void add_reload_command(CLI::App& app, Context& context) {
  CLI::App* command = app.add_subcommand(
      "reload", "Make the running daemon(s) on this host re-read the configuration (SIGHUP)");
  command->callback([&context] { context.action = [&context] { return reload(context); }; });
}

}  // namespace maintd::cli
