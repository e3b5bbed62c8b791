#pragma once
// claims.release_expired and claims.unclaim: the Human Staging Portal's claim maintenance
// (shared/seeds/task-claim-management-guide.md) against any table with a claim timestamp.
#include <functional>
#include <nlohmann/json.hpp>

#include "registry/registry.hpp"

namespace maintd::handlers {

void register_claims_handlers(registry::Registry& registry);

// Called in each batch just before its conditional UPDATE runs (after the batch read where its
// page ends, for a key that is not an integer): a test seam, so that a test can complete a row
// exactly then and see the UPDATE leave it alone. The registered handler passes none.
using ClaimsBetweenReadAndUpdate = std::function<void()>;

// claims.release_expired itself (what the registered handler runs), with the test seam.
nlohmann::json release_expired_claims(registry::HandlerContext& context,
                                      const ClaimsBetweenReadAndUpdate& between = {});

}  // namespace maintd::handlers
