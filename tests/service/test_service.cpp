// The service layer: enable/disable written once (task_toggle.hpp), the history's pages, and the
// wait for the daemon's re-read that lets the dashboard show a change at once (service.hpp).
#include <doctest/doctest.h>

#include "http/api_fixture.hpp"
#include "service/service.hpp"
#include "service/task_toggle.hpp"
#include "support/task_tables.hpp"
#include "tasks/task_row.hpp"

namespace {

using maintd::service::Service;
using maintd::service::set_task_enabled;
using maintd::service::ToggleOutcome;
using Result = ToggleOutcome::Result;

}  // namespace

TEST_CASE("set_task_enabled: unknown, changed, then unchanged, for a file task") {
  maintd::testing::ApiFixture f;
  auto& database = *f.daemon->task_table();
  CHECK(set_task_enabled(database, *f.config, "nope", false).result == Result::unknown_task);

  const ToggleOutcome off = set_task_enabled(database, *f.config, "nightly", false);
  CHECK(off.result == Result::done);
  CHECK(off.changed);
  CHECK(off.invalid.errors().empty());
  const auto row = maintd::tasks::read_task_row(database, "nightly");
  REQUIRE(row);
  CHECK_FALSE(row->enabled);
  CHECK(row->enabled_override == std::optional<bool>(false));

  const ToggleOutcome again = set_task_enabled(database, *f.config, "nightly", false);
  CHECK(again.result == Result::done);
  CHECK_FALSE(again.changed);
  CHECK(set_task_enabled(database, *f.config, "nightly", true).changed);
}

TEST_CASE("set_task_enabled: a name a schedule file and a db row both define is refused") {
  maintd::testing::ApiFixture f;
  auto& database = *f.daemon->task_table();
  // The configuration now also defines db-task in a file: the row (origin db) conflicts.
  maintd::config::Config both = *f.config;
  maintd::config::Task file_task = *f.config->find_task("nightly");
  file_task.name = "db-task";
  file_task.defined_at = {.file = "schedules/more.yaml", .line = 7, .column = 5};
  both.tasks.push_back(file_task);

  const ToggleOutcome outcome = set_task_enabled(database, both, "db-task", false);
  CHECK(outcome.result == Result::defined_twice);
  CHECK(outcome.defined_at == "schedules/more.yaml:7");
  CHECK(outcome.row_origin == "db");
  // Nothing was written.
  const auto row = maintd::tasks::read_task_row(database, "db-task");
  REQUIRE(row);
  CHECK(row->enabled);
  CHECK_FALSE(row->enabled_override.has_value());
}

TEST_CASE("set_task_enabled: a db row that does not validate is switched and says why it is off") {
  maintd::testing::ApiFixture f;
  auto& database = *f.daemon->task_table();
  database.state().with_session("breaking a row", [](soci::session& sql) {
    sql << "UPDATE scheduled_tasks SET schedule_expression = 'every tuesday' "
           "WHERE name = 'db-task'";
  });
  const ToggleOutcome outcome = set_task_enabled(database, *f.config, "db-task", true);
  CHECK(outcome.result == Result::done);
  REQUIRE_FALSE(outcome.invalid.errors().empty());
  CHECK(outcome.invalid.errors()[0].to_string().find("every tuesday") != std::string::npos);
  const auto row = maintd::tasks::read_task_row(database, "db-task");
  REQUIRE(row);
  CHECK(row->enabled_override == std::optional<bool>(true));
}

TEST_CASE("Service::history pages by id and offers a cursor only when older runs exist") {
  maintd::testing::ApiFixture f;
  Service service(*f.daemon);
  std::vector<maintd::service::RunId> ids;
  for (int i = 0; i < 3; ++i) {
    auto started = service.run_now({.task = "nightly"});
    REQUIRE_MESSAGE(started, started.error().message);
    ids.push_back(started.value());
    // One at a time: the task's concurrency policy refuses a run while one is in progress.
    REQUIRE(f.daemon->wait_idle(std::chrono::seconds(30)));
  }

  const auto first = service.history({.task = "nightly"}, 2);
  REQUIRE(first.runs.size() == 2);
  CHECK(first.runs[0].id == ids[2]);
  CHECK(first.runs[1].id == ids[1]);
  REQUIRE(first.next_cursor);
  CHECK(*first.next_cursor == ids[1]);

  const auto last = service.history({.task = "nightly", .before_id = first.next_cursor}, 2);
  REQUIRE(last.runs.size() == 1);
  CHECK(last.runs[0].id == ids[0]);
  CHECK_FALSE(last.next_cursor);

  // Exactly a page's worth: no cursor to an empty page.
  CHECK_FALSE(service.history({.task = "nightly"}, 3).next_cursor);
}

TEST_CASE("Service::set_enabled returns once the running daemon has re-read the change") {
  maintd::testing::ApiFixture f(maintd::testing::ApiFixture::default_http(), 2,
                                maintd::testing::ApiFixture::Start::held);
  f.release();
  REQUIRE(f.daemon->wait_started(std::chrono::seconds(60)));
  // A generous wait: the assertion below holds as soon as the re-read is over, however loaded
  // the machine; the daemon's loop has nothing else to do.
  Service service(*f.daemon, std::chrono::seconds(60));
  REQUIRE(service.tasks()->find("nightly")->enabled);

  CHECK(service.set_enabled("nightly", false, "a test").result == Result::done);
  CHECK_FALSE(service.tasks()->find("nightly")->enabled);  // no poll: the loop has re-read
  CHECK(service.set_enabled("nightly", true, "a test").changed);
  CHECK(service.tasks()->find("nightly")->enabled);

  // A stopped daemon re-reads nothing: the call does not wait for it.
  f.stop_daemon();
  CHECK(service.set_enabled("nightly", false, "a test").changed);
}
