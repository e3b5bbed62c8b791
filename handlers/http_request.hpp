#pragma once
#include "registry/registry.hpp"

namespace maintd::handlers {

// http.request: an HTTP(S) endpoint of the application called on schedule, through the
// outbound client (docs/handlers/http.md).
void register_http_handlers(registry::Registry& registry);

}  // namespace maintd::handlers
