// Pauses in the state database (store/pause_store.hpp), on both backends and the hand-moved
// clock: the current pause, changing it, resuming it, its end by itself, and the one skipped run
// per task per pause that two instances record once.
#include <nlohmann/json.hpp>

#include "store/pause_store.hpp"
#include "store/slot_history.hpp"
#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;

namespace {

store::PausedFiring paused_firing(store::PauseId pause, const std::string& slot) {
  return store::PausedFiring{.task_name = "nightly",
                             .task_type = "debug.noop",
                             .pause_id = pause,
                             .slot = instant(slot),
                             .describe = [](Instant first, Instant last) {
                               return std::pair<std::string, nlohmann::json>(
                                   "paused from " + format_utc(first) + " to " + format_utc(last),
                                   nlohmann::json{{"first_slot", store::format_timestamp(first)},
                                                  {"last_slot", store::format_timestamp(last)}});
                             }};
}

}  // namespace

TEST_CASE_TEMPLATE("store: pauses: pause, change, resume, nothing current before or after", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  TestClock clock(TestClock::parse("2026-03-29T10:00:00.000Z"));
  store::PauseStore pauses(open_migrated(backend), clock.clock());
  CHECK_FALSE(pauses.current().has_value());
  CHECK_FALSE(pauses.resume("bob").has_value());  // nothing to resume

  const auto first = pauses.pause({.by = "alice@db1", .reason = "deploy"});
  CHECK_FALSE(first.changed_current);
  CHECK(first.pause.paused_by == "alice@db1");
  CHECK(first.pause.reason == "deploy");
  CHECK(store::format_timestamp(first.pause.paused_at) == "2026-03-29T10:00:00.000Z");
  CHECK_FALSE(first.pause.until.has_value());

  clock.advance(5min);
  // A second pause while one lasts changes it (its start and id kept): one pause, not two.
  const auto second = pauses.pause(
      {.by = "bob", .reason = "longer deploy", .until = TestClock::parse("2026-03-29T11:00:00Z")});
  CHECK(second.changed_current);
  CHECK(second.pause.id == first.pause.id);
  CHECK(store::format_timestamp(second.pause.paused_at) == "2026-03-29T10:00:00.000Z");
  CHECK(second.pause.paused_by == "bob");
  REQUIRE(second.pause.until.has_value());
  const auto current = pauses.current();
  REQUIRE(current.has_value());
  CHECK(current->reason == "longer deploy");

  clock.advance(1min);
  const auto ended = pauses.resume("carol");
  REQUIRE(ended.has_value());
  CHECK(ended->id == first.pause.id);
  CHECK(ended->resumed_by == "carol");
  CHECK(store::format_timestamp(*ended->resumed_at) == "2026-03-29T10:06:00.000Z");
  CHECK_FALSE(pauses.current().has_value());
  CHECK_FALSE(pauses.resume("carol").has_value());  // a second resume finds none

  // Kept after it ended: a slot is judged by the pause it fell in.
  const auto kept = pauses.since(TestClock::parse("2026-03-29T10:03:00Z"));
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].covers(TestClock::parse("2026-03-29T10:05:59Z")));
  CHECK_FALSE(kept[0].covers(TestClock::parse("2026-03-29T10:06:00Z")));
  CHECK(pauses.since(TestClock::parse("2026-03-29T10:06:00Z")).empty());
}

TEST_CASE_TEMPLATE("store: pauses: a pause with an end stops being current by itself", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  TestClock clock(TestClock::parse("2026-03-29T10:00:00.000Z"));
  store::PauseStore pauses(open_migrated(backend), clock.clock());
  pauses.pause({.by = "ci", .reason = "", .until = TestClock::parse("2026-03-29T10:30:00Z")});
  clock.advance(29min + 59s);
  CHECK(pauses.current().has_value());
  clock.advance(1s);
  CHECK_FALSE(pauses.current().has_value());
  CHECK_FALSE(pauses.resume("late").has_value());  // ended already: nothing to resume
  // A new pause after it is a new pause.
  const auto next = pauses.pause({.by = "ci"});
  CHECK_FALSE(next.changed_current);
  CHECK(next.pause.id != 0);
  CHECK(pauses.since(TestClock::parse("2026-03-29T10:00:00Z")).size() == 2);
}

TEST_CASE_TEMPLATE(
    "store: pauses: each task's slots in one pause are one skipped run, recorded once by two "
    "instances",
    Backend, MAINTD_BACKENDS) {
  Backend backend;
  TestClock clock(TestClock::parse("2026-03-29T10:00:00.000Z"));
  auto db_a = open_migrated(backend);
  auto db_b = open(backend);  // a second instance on the same database
  store::PauseStore a(db_a, clock.clock()), b(db_b, clock.clock());
  const auto pause = a.pause({.by = "alice", .reason = "deploy"}).pause;

  // Both instances meet the first slot: one inserts the record, the other changes nothing.
  CHECK(a.record_paused({paused_firing(pause.id, "2026-03-29T10:01:00Z")}) ==
        std::vector{store::PausedRecord::created});
  CHECK(b.record_paused({paused_firing(pause.id, "2026-03-29T10:01:00Z")}) ==
        std::vector{store::PausedRecord::unchanged});
  // The next slots move it on, once each; a slot older than the record's changes nothing.
  CHECK(b.record_paused({paused_firing(pause.id, "2026-03-29T10:02:00Z")}) ==
        std::vector{store::PausedRecord::moved_on});
  CHECK(a.record_paused({paused_firing(pause.id, "2026-03-29T10:02:00Z"),
                         paused_firing(pause.id, "2026-03-29T10:03:00Z")}) ==
        std::vector{store::PausedRecord::unchanged, store::PausedRecord::moved_on});
  CHECK(b.record_paused({paused_firing(pause.id, "2026-03-29T10:02:00Z")}) ==
        std::vector{store::PausedRecord::unchanged});

  auto sql = backend.raw();
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs") == 1);
  CHECK(scalar(*sql, "SELECT status FROM maintd_runs") == "skipped");
  CHECK(scalar(*sql, "SELECT trigger_type FROM maintd_runs") == "schedule");
  CHECK(scalar(*sql, "SELECT scheduled_for FROM maintd_runs") == "2026-03-29T10:03:00.000Z");
  CHECK(scalar(*sql, "SELECT error FROM maintd_runs") ==
        "paused from 2026-03-29T10:01:00Z to 2026-03-29T10:03:00Z");
  // The record is the task's last slot dealt with: a restart does not catch the slots up.
  CHECK(format_utc(store::last_scheduled_slots(*db_a).at("nightly")) == "2026-03-29T10:03:00Z");

  // The next pause is another record.
  a.resume("alice");
  const auto again = a.pause({.by = "alice"}).pause;
  CHECK(a.record_paused({paused_firing(again.id, "2026-03-29T10:04:00Z")}) ==
        std::vector{store::PausedRecord::created});
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs WHERE status = 'skipped'") == 2);
}

TEST_CASE_TEMPLATE("store: pauses: a slot that has a run of its own is not recorded over", Backend,
                   MAINTD_BACKENDS) {
  Backend backend;
  TestClock clock;
  auto db = open_migrated(backend);
  store::RunStore runs(db, clock.clock());
  store::PauseStore pauses(db, clock.clock());
  // Claimed (and so run) just before the pause was written.
  store::NewRun claimed;
  claimed.task_name = "nightly";
  claimed.task_type = "debug.noop";
  claimed.trigger = store::Trigger::schedule;
  claimed.scheduled_for = instant("2026-03-29T10:01:00Z");
  REQUIRE(runs.claim_slot(claimed));
  const auto pause = pauses.pause({.by = "alice"}).pause;
  CHECK(pauses.record_paused({paused_firing(pause.id, "2026-03-29T10:01:00Z")}) ==
        std::vector{store::PausedRecord::unchanged});
  CHECK(pauses.record_paused({paused_firing(pause.id, "2026-03-29T10:02:00Z")}) ==
        std::vector{store::PausedRecord::created});
  auto sql = backend.raw();
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs") == 2);
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs WHERE status = 'pending'") == 1);
}
