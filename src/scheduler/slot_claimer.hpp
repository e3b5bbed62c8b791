#pragma once
// The slot claimer: turns the firings of one wake into claimed runs or recorded skips.
//
//   - A skip (the planner's: missed slots past the catch-up window) is recorded as a skipped run.
//   - A slot is claimed by inserting its run (UNIQUE (task_name, scheduled_for): with several
//     instances one wins, the others log at debug level and move on), after the task's
//     concurrency policy had its say against the runs in progress: forbid records the slot
//     skipped while one is pending or running, replace cancels them (this instance's at once,
//     another's row marked cancelled, which its executor notices at its next heartbeat), allow
//     lets them overlap. The runs in progress are read once per wake, not once per firing, and
//     kept up to date with the runs the wake claims.
//   - The firings of one wake are claimed together, up to kClaimBatch in one transaction: 10,000
//     tasks due in the same second cost a few dozen statements on the loop, not 20,000, and the
//     first runs start while the rest is being claimed.
//   - A firing that meets an unavailable state database is held and tried again at the next wake
//     (the loop wakes every kRetryUnclaimed while any is held) as long as it is inside its
//     catch-up window; held slots of one task are coalesced into one catch-up run.
//   - Before any of that, the pause gate (pause_gate.hpp) takes out the firings that fall inside
//     a pause and records them: a pause written by any process holds from the next wake on.
//   - Claimed runs go to the launcher.
//
// A unit of its own because it is the exactly-once half of the daemon (DESIGN.md): what it
// reads and writes is the state database, what it decides is which run starts. The `claims`
// mutex is shared with manual runs (run_control.hpp): a policy's read and the insert it allowed
// are one step within this process.
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/launch.hpp"
#include "scheduler/local_runs.hpp"
#include "scheduler/metrics.hpp"
#include "scheduler/pause_gate.hpp"
#include "scheduler/planner.hpp"
#include "store/run_journal.hpp"
#include "store/run_store.hpp"
#include "store/store_error.hpp"
#include "tasks/task_set.hpp"

namespace maintd::scheduler {

class SlotClaimer {
 public:
  // The most firings claimed in one transaction: the first runs of a large batch start while
  // the rest is being claimed, and the state database's write lock is held briefly.
  static constexpr std::size_t kClaimBatch = 256;
  // How often firings that met an unavailable state database are tried again.
  static constexpr std::chrono::seconds kRetryUnclaimed{5};

  // `gate`: the pause gate every wake's firings pass first (pause_gate.hpp); may be null.
  SlotClaimer(store::RunStore& runs, store::RunJournal& journal, LocalRuns& local, Metrics& metrics,
              std::mutex& claims, Launcher launch, PauseGate* gate = nullptr);
  SlotClaimer(const SlotClaimer&) = delete;
  SlotClaimer& operator=(const SlotClaimer&) = delete;

  // Claims the firings held back before (coalesced), then `due` (the planner's, in fire-time
  // order), for `tasks` as they are now; `config` goes with the runs started.
  void claim(std::vector<Firing> due, const std::shared_ptr<const tasks::TaskSet>& tasks,
             const std::shared_ptr<const config::Config>& config, Instant now);
  // Whether firings are held for the state database to come back.
  bool holding() const;

  // The concurrency policy for a firing of `task`, given its runs in progress: empty to run
  // it, else why the slot is recorded as skipped (forbid). replace cancels the runs in progress.
  // The caller holds the `claims` mutex. Also what one-off runs follow (one_off_runs.hpp).
  std::string apply_concurrency(const config::Task& task, const Firing& firing,
                                const std::vector<store::RunRecord>& active);

 private:
  // Runs pending or running, by task, as the concurrency policies see them during one wake.
  using ActiveRuns = std::unordered_map<std::string, std::vector<store::RunRecord>>;
  // A firing on its way to its claim: a run to start, or a skip to record.
  struct Claim {
    Firing firing;
    TaskPtr task;
    store::NewRun run;
  };

  // Claims `batch` in one transaction and launches the runs won; empties it.
  void claim_batch(std::vector<Claim>& batch, ActiveRuns* active,
                   const std::shared_ptr<const config::Config>& config, Instant now);
  // A firing that met an unavailable state database: held for the next try while it is inside
  // its catch-up window, else logged as lost.
  void hold(const Firing& firing, const config::Task& task, Instant now,
            const store::StoreError& error);

  store::RunStore& runs_;
  store::RunJournal& journal_;
  LocalRuns& local_;
  Metrics& metrics_;
  std::mutex& claims_;
  Launcher launch_;
  PauseGate* gate_;
  mutable std::mutex held_mutex_;
  std::vector<Firing> held_;  // firings that met an unavailable state database
};

}  // namespace maintd::scheduler
