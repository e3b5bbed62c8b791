// The lease keeper on its own, against a real SQLite state database: when the leases of runs
// waiting for a worker are renewed (by LocalRuns' clock, moved by the test), expired runs marked
// abandoned with their log line, count and alert, and this instance's row with the write
// problem readiness reports.
#include <doctest/doctest.h>

#include <string>

#include "scheduler/alerts.hpp"
#include "scheduler/lease_keeper.hpp"
#include "scheduler/unit_fixture.hpp"
#include "store/instance_store.hpp"
#include "support/captured_log.hpp"

using maintd::scheduler::Alerts;
using maintd::scheduler::LeaseKeeper;
using maintd::store::RunStatus;
using maintd::testing::CapturedLog;
using maintd::testing::UnitFixture;
using namespace std::chrono_literals;

namespace {

struct Keeper {
  Alerts alerts;
  LeaseKeeper keeper;
  explicit Keeper(UnitFixture& f)
      : alerts([&f] { return f.now; }),
        keeper(f.database, *f.run_store, f.local, f.metrics, alerts,
               maintd::store::Worker{"this-instance", "this-host", 7}, [&f] { return f.now; }) {}
};

}  // namespace

TEST_CASE(
    "lease keeper: a waiting run's lease is renewed when it would pass half the lease by "
    "the next round") {
  UnitFixture f;
  Keeper k(f);
  maintd::config::DaemonSettings settings;
  settings.heartbeat_interval = 10s;
  settings.lease = 60s;  // renewed once the last write is 20 s old: 20 + 10 >= 30
  const auto id = f.run_in_progress("t", RunStatus::pending);
  f.local.add(id);  // its claim wrote the lease: now, by LocalRuns' clock
  const auto claimed = f.steady;
  f.heartbeat_ago(id, 3600);

  struct Step {
    std::chrono::seconds since_claim;
    bool renewed;
  };
  for (const auto& step :
       {Step{0s, false}, Step{19s, false}, Step{20s, true}, Step{39s, false}, Step{40s, true}}) {
    CAPTURE(step.since_claim.count());
    f.steady = claimed + step.since_claim;
    const auto before = f.heartbeat_of(id);
    k.keeper.renew_waiting(settings);
    CHECK((f.heartbeat_of(id) != before) == step.renewed);
    if (step.renewed) {
      CHECK(f.local.lease_writes().at(0).second == f.steady);
      f.heartbeat_ago(id, 3600);
    }
  }
  // A run that left LocalRuns (its worker recorded it) is the executor's to renew, not ours.
  f.local.remove(id);
  f.steady += 1h;
  const auto before = f.heartbeat_of(id);
  k.keeper.renew_waiting(settings);
  CHECK(f.heartbeat_of(id) == before);
}

TEST_CASE("lease keeper: runs whose lease expired are abandoned, logged, counted and alerted") {
  UnitFixture f;
  f.config->notify.command = {"true"};
  Keeper k(f);
  k.alerts.configure(f.config->notify);
  const auto dead = f.run_in_progress("t", RunStatus::running);
  const auto alive = f.run_in_progress("u", RunStatus::running);
  f.heartbeat_ago(dead, 120);
  f.heartbeat_ago(alive, 30);
  CapturedLog log;
  k.keeper.abandon_expired(60s);
  CHECK(f.run_store->get(dead)->status == RunStatus::abandoned);
  CHECK(f.run_store->get(alive)->status == RunStatus::running);
  CHECK(log.warnings() ==
        std::vector<std::string>{"task t run 1: abandoned: no heartbeat for more than 1m"});
  CHECK(f.metrics.render({}).find("maintd_runs_total{task=\"t\",status=\"abandoned\"} 1\n") !=
        std::string::npos);
  CHECK(k.alerts.counts().queued == 1);
  REQUIRE(k.alerts.wait_idle(10s));
  CHECK(k.alerts.counts().delivered == 1);

  k.keeper.abandon_expired(60s);  // once only
  CHECK(k.alerts.counts().queued == 1);
}

TEST_CASE("lease keeper: this instance's row, and a refused write as readiness's write problem") {
  UnitFixture f(100ms);
  Keeper k(f);
  maintd::store::InstanceStore instances(f.database);
  k.keeper.announce(true, "1 task, 0 running, nothing scheduled");
  auto rows = instances.list(60s);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].instance_id == "this-instance");
  CHECK(rows[0].status == "1 task, 0 running, nothing scheduled");
  CHECK(k.keeper.write_problem().empty());

  {
    UnitFixture::WriteLock lock(f);
    CapturedLog log;
    k.keeper.announce(false, "later");
    CHECK_FALSE(k.keeper.write_problem().empty());
    CHECK(log.all().find("announcing this instance in the state database: ") != std::string::npos);
  }
  k.keeper.announce(false, "later");
  CHECK(k.keeper.write_problem().empty());
  CHECK(instances.list(60s).at(0).status == "later");

  k.keeper.withdraw();
  CHECK(instances.list(60s).empty());
}
