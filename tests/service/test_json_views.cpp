// The JSON views shared by the API and the CLI.
#include <doctest/doctest.h>

#include "cron/time_zone.hpp"
#include "scheduler/task_factory.hpp"
#include "service/json_views.hpp"

TEST_CASE("slot_text writes exactly what slot_json serializes, in any zone") {
  for (const char* zone : {"UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"}) {
    CAPTURE(zone);
    const auto task =
        maintd::testing::make_task({.name = "t", .schedule = "30 2 * * *", .zone = zone});
    for (const char* at :
         {"2026-03-29T00:59:59Z", "2026-07-01T12:00:00Z", "2026-12-31T23:30:00Z"}) {
      const auto slot = maintd::testing::at(at);
      CHECK(maintd::service::slot_text(slot, task) ==
            maintd::service::slot_json(slot, task).dump());
    }
  }
}

TEST_CASE("task_to_json has the fields of maintd list --json, secrets masked") {
  auto task = maintd::testing::make_task({.name = "t", .schedule = "0 3 * * *"});
  task.config = nlohmann::json{{"password", "hunter2"}, {"limit", 5}};
  const auto json = maintd::service::task_to_json(task, std::nullopt);
  CHECK(json.at("config").at("password") == "***");
  CHECK(json.at("config").at("limit") == 5);
  CHECK(json.at("next").is_null());
  CHECK(json.at("policies").contains("expect_success_within"));
  CHECK(json.size() == 14);
}
