// Where the daemon's tasks come from, on its own: a refresh reads the table again only when its
// version moved (an unchanged table costs one query), and a failing loader leaves the previous
// tasks in place.
#include <doctest/doctest.h>

#include <stdexcept>

#include "scheduler/task_source.hpp"
#include "scheduler/unit_fixture.hpp"
#include "support/captured_log.hpp"
#include "support/task_tables.hpp"

using maintd::scheduler::TaskSource;
using maintd::testing::CapturedLog;
using maintd::testing::make_task;
using maintd::testing::UnitFixture;

TEST_CASE("task source: a refresh reads the table only when its version moved") {
  UnitFixture f;
  auto config = std::make_shared<maintd::config::Config>(*f.config);
  config->tasks = {make_task({.name = "a", .schedule = "@hourly"})};
  TaskSource source(maintd::testing::table_of(*f.database), {});
  CHECK(source.load(*config).size() == 1);
  CHECK_FALSE(source.refresh(*config).has_value());  // nothing changed
  CHECK_FALSE(source.refresh(*config).has_value());

  // Another instance syncs a schedule file with one more task: the table moved.
  auto other_config = std::make_shared<maintd::config::Config>(*config);
  other_config->tasks.push_back(make_task({.name = "b", .schedule = "@daily"}));
  TaskSource other(maintd::testing::table_of(*f.database), {});
  other.load(*other_config);
  CHECK(source.refresh(*config).has_value());
  CHECK_FALSE(source.refresh(*config).has_value());
}

TEST_CASE("task source: a loader of its own is asked at every refresh, and its failure is logged") {
  UnitFixture f;
  int loads = 0;
  TaskSource::Options options;
  options.load_tasks = [&](maintd::store::TaskTable&, const maintd::config::Config&) {
    if (++loads == 3) throw std::runtime_error("a row nobody foresaw");
    return maintd::tasks::TaskSet(f.tasks);
  };
  TaskSource source(maintd::testing::table_of(*f.database), options);
  source.load(*f.config);
  CHECK(source.refresh(*f.config).has_value());
  CapturedLog log;
  CHECK_FALSE(source.refresh(*f.config).has_value());
  CHECK(log.all().find("error re-reading scheduled_tasks: a row nobody foresaw; the previous "
                       "tasks keep running") != std::string::npos);
  CHECK(loads == 3);
}
