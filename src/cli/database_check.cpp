#include "cli/database_check.hpp"

#include <fmt/format.h>

#include <map>
#include <set>
#include <stdexcept>

#include "config/redact.hpp"
#include "store/target_session.hpp"

namespace maintd::cli {

std::vector<config::Diagnostic> check_databases(const config::Config& config,
                                                const tasks::TaskSet& tasks) {
  std::vector<config::Diagnostic> found;
  try {
    store::open_target_session(config.state_database);
  } catch (const std::exception& e) {
    found.push_back({config::Diagnostic::Severity::error,
                     {},
                     fmt::format("state_database: {}", connection::mask_secrets(e.what()))});
  }

  // Unreachable databases, by name, with the reason: reported once, never retried.
  std::map<std::string, std::string> unreachable;
  std::set<std::string> tried;
  bool already_reported = false;  // set when a session fails for a database reported before
  const auto sessions = [&](const std::string& name) {
    if (const auto it = unreachable.find(name); it != unreachable.end()) {
      already_reported = true;
      throw std::runtime_error(it->second);
    }
    tried.insert(name);
    try {
      return store::open_named_session(config.databases, name);
    } catch (const std::exception& e) {
      unreachable.emplace(name, e.what());
      throw;
    }
  };

  for (const auto& task : tasks) {
    const auto resolved = config.registry->resolve(task.type);
    if (!resolved || !resolved->handler->check_database) continue;
    already_reported = false;
    try {
      for (const auto& issue : resolved->handler->check_database(task.config, sessions)) {
        found.push_back(
            {config::Diagnostic::Severity::error, task.defined_at,
             fmt::format("task '{}' config.{}: {}", task.name, issue.key, issue.message)});
      }
    } catch (const std::exception& e) {
      if (already_reported) continue;  // the first task that needed it said so
      found.push_back(
          {config::Diagnostic::Severity::error, task.defined_at,
           fmt::format("task '{}': {}", task.name, connection::mask_secrets(e.what()))});
    }
  }
  // Every declared database is connected to, with its real credentials, whether or not a
  // handler looked inside it above (sql.exec, command.exec and the HTTP handlers do not): a
  // refused login or a server that is down must not pass as OK and fail the first run instead.
  for (const auto& [name, url] : config.databases) {
    if (tried.count(name) != 0) continue;
    try {
      store::open_target_session(url);
    } catch (const std::exception& e) {
      found.push_back({config::Diagnostic::Severity::error,
                       {},
                       fmt::format("databases.{}: {}", name, connection::mask_secrets(e.what()))});
    }
  }
  return found;
}

}  // namespace maintd::cli
