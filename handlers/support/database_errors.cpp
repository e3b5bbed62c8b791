#include "handlers/support/database_errors.hpp"

#include <soci/error.h>

#include <utility>

namespace maintd::handlers {

registry::HandlerInfo reporting_database_errors(registry::HandlerInfo handler) {
  handler.run = [run = std::move(handler.run)](registry::HandlerContext& context) {
    try {
      return run(context);
    } catch (const soci::soci_error& e) {
      throw DatabaseError(database_error_text(e));
    }
  };
  if (handler.check_database) {
    handler.check_database = [check = std::move(handler.check_database)](
                                 const nlohmann::json& config,
                                 const registry::HandlerContext::SessionFactory& sessions) {
      try {
        return check(config, sessions);
      } catch (const soci::soci_error& e) {
        throw DatabaseError(database_error_text(e));
      }
    };
  }
  return handler;
}

}  // namespace maintd::handlers
