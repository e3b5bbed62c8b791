#pragma once
// jobs.fail_orphaned: the crawl-job guide's safe orphan cleanup
// (shared/seeds/robust-completion-solution-race-condition-eliminated.md).
#include <functional>
#include <nlohmann/json.hpp>

#include "registry/registry.hpp"

namespace maintd::handlers {

void register_jobs_handlers(registry::Registry& registry);

// Called inside each batch after its candidates were read and before the conditional UPDATE
// runs: a test seam, so that a test can complete a job exactly in that window and see the
// UPDATE leave it alone. The registered handler passes none.
using JobsBetweenReadAndUpdate = std::function<void()>;

// jobs.fail_orphaned itself (what the registered handler runs), with the test seam.
nlohmann::json fail_orphaned_jobs(registry::HandlerContext& context,
                                  const JobsBetweenReadAndUpdate& between = {});

}  // namespace maintd::handlers
