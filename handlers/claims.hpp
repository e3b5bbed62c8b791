#pragma once
// claims.release_expired and claims.unclaim: the Human Staging Portal's claim maintenance
// (shared/seeds/task-claim-management-guide.md) against any table with a claim timestamp.
#include <functional>
#include <nlohmann/json.hpp>

#include "registry/registry.hpp"

namespace maintd::handlers {

void register_claims_handlers(registry::Registry& registry);

// Called inside each batch after its candidates were read and before the conditional UPDATE
// runs: a test seam, so that a test can complete a row exactly in that window and see the
// UPDATE leave it alone. The registered handler passes none.
using ClaimsBetweenReadAndUpdate = std::function<void()>;

// claims.release_expired itself (what the registered handler runs), with the test seam.
nlohmann::json release_expired_claims(registry::HandlerContext& context,
                                      const ClaimsBetweenReadAndUpdate& between = {});

}  // namespace maintd::handlers
