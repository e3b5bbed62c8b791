#include "cli/loading.hpp"

#include <fmt/format.h>

#include <ostream>

#include "config/loader.hpp"
#include "store/migrations.hpp"
#include "store/store_error.hpp"

namespace maintd::cli {

std::optional<config::Config> load_configuration(Context& context) {
  config::LoadOptions options;
  options.config_path = config::resolve_config_path(context.config_flag, context.env);
  options.handlers = context.handlers;
  options.env = context.env;
  auto result = config::load_config(options);
  for (const auto& warning : result.diagnostics.warnings()) {
    context.err << warning.to_string() << '\n';
  }
  for (const auto& error : result.diagnostics.errors()) context.err << error.to_string() << '\n';
  if (!result.config) {
    const auto errors = result.diagnostics.error_count();
    context.err << fmt::format("maintd: {} error{} in the configuration; nothing was loaded\n",
                               errors, errors == 1 ? "" : "s");
  }
  return std::move(result.config);
}

std::shared_ptr<store::Database> open_state_database(Context& context,
                                                     const config::Config& config) {
  try {
    auto database = store::Database::open(config.state_database);
    store::migrate(*database);
    return database;
  } catch (const store::StoreError& e) {
    // StoreError messages are already masked and name the database.
    context.err << "maintd: " << e.what() << '\n';
    return nullptr;
  }
}

}  // namespace maintd::cli
