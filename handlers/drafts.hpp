#pragma once
// drafts.mark_stale: the stale-draft guide's cleanup (shared/seeds/stale-draft-detection-cleanup-
// system.md): creations stuck in pending/processing become failed, with an optional refund.
#include <functional>
#include <nlohmann/json.hpp>

#include "registry/registry.hpp"

namespace maintd::handlers {

void register_drafts_handlers(registry::Registry& registry);

// Called inside each batch after its candidates were read and before their conditional UPDATEs
// run: a test seam, so that a test can complete a creation exactly in that window and see it
// left alone (and not refunded). The registered handler passes none.
using DraftsBetweenReadAndUpdate = std::function<void()>;

// drafts.mark_stale itself (what the registered handler runs), with the test seam.
nlohmann::json mark_stale_drafts(registry::HandlerContext& context,
                                 const DraftsBetweenReadAndUpdate& between = {});

}  // namespace maintd::handlers
