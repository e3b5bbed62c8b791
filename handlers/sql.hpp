#pragma once
#include "registry/registry.hpp"

namespace maintd::handlers {

// sql.exec: operator-written statements on a named target database, with bound parameters, in
// one transaction (docs/handlers/sql.md).
void register_sql_handlers(registry::Registry& registry);

}  // namespace maintd::handlers
