// A task in the table is validated exactly like a task in a schedule file: the same entry,
// written as YAML or stored as a row, gets the same messages (only the place differs).
#include <algorithm>
#include <functional>
#include <regex>

#include "support/config_state.hpp"
#include "support/test_registry.hpp"

using namespace maintd;
using namespace maintd::testing;

namespace {

struct Case {
  const char* yaml;                           // one task entry, a flow map
  std::function<void(tasks::TaskRow&)> edit;  // the same entry as a change of the base row
};

std::vector<std::string> messages(const config::Diagnostics& diagnostics, const std::regex& place) {
  std::vector<std::string> out;
  for (const auto& error : diagnostics.errors()) {
    out.push_back(
        std::regex_replace(error.to_string(), place, "", std::regex_constants::format_first_only));
  }
  // A file's errors are sorted by position; a row's all share one place and keep reading order.
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("tasks: a table row is validated exactly like a schedule file entry") {
  const registry::Registry registry = test_registry();
  const std::vector<Case> cases = {
      {"{name: t, type: debug.noop, schedule: '61 * * * *'}",
       [](tasks::TaskRow& r) { r.schedule_expression = "61 * * * *"; }},
      {"{name: t, type: debug.nop, schedule: '0 1 * * *'}",
       [](tasks::TaskRow& r) { r.task_type = "debug.nop"; }},
      {"{name: t, type: debug.noop, schedule: '0 1 * * *', timezone: Europe/Berln}",
       [](tasks::TaskRow& r) { r.timezone = "Europe/Berln"; }},
      {"{name: t, type: debug.noop, schedule: '0 1 * * *', config: {slep: 1s}}",
       [](tasks::TaskRow& r) {
         r.config = {{"slep", "1s"}};
       }},
      {"{name: t, type: debug.noop, schedule: '0 1 * * *', config: {sleep: 5}}",
       [](tasks::TaskRow& r) {
         r.config = {{"sleep", 5}};
       }},
      {"{name: t, type: test.schema, schedule: '0 1 * * *', config: {table: x, database: ap}}",
       [](tasks::TaskRow& r) {
         r.task_type = "test.schema";
         r.config = {{"table", "x"}, {"database", "ap"}};
       }},
      {"{name: t, type: test.schema, schedule: '0 1 * * *'}",
       [](tasks::TaskRow& r) { r.task_type = "test.schema"; }},
      {"{name: t, type: debug.noop, schedule: '0 1 * * *', retries: 101}",
       [](tasks::TaskRow& r) { r.retries = 101; }},
      {"{name: t, type: debug.noop, schedule: '0 1 * * *', concurrency: forbidd}",
       [](tasks::TaskRow& r) { r.concurrency = "forbidd"; }},
      {"{name: t, type: debug.noop, schedule: '0 1 * * *', timeout: 0s}",
       [](tasks::TaskRow& r) { r.timeout_seconds = 0; }},
      {"{name: t, type: debug.noop, schedule: '0 1 * * *', jitter: -5s}",
       [](tasks::TaskRow& r) { r.jitter_seconds = -5; }},
      {"{name: 'bad name!', type: debug.noop, schedule: '0 1 * * *'}",
       [](tasks::TaskRow& r) { r.name = "bad name!"; }},
      {"{name: t, type: debug.noop, schedule: '', timezone: Mars/Base}",
       [](tasks::TaskRow& r) {
         r.schedule_expression = "";
         r.timezone = "Mars/Base";
       }},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.yaml));
    TempDir dir;
    dir.write("maintd.yaml", "schedules: [s.yaml]\ndatabases:\n  app: sqlite3://app.db\n");
    dir.write("s.yaml", std::string("tasks:\n  - ") + c.yaml + "\n");
    config::LoadOptions options;
    options.config_path = dir.path() / "maintd.yaml";
    options.handlers = &registry;
    options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    const auto from_file = config::load_config(options);
    REQUIRE(from_file.diagnostics.has_errors());
    const auto file_messages =
        messages(from_file.diagnostics, std::regex("^[^ ]*:[0-9]+:[0-9]+: "));

    // The configuration the row is checked against: the same, without the bad task.
    dir.write("s.yaml", "tasks: []\n");
    const auto settings = config::load_config(options);
    REQUIRE(settings.config.has_value());
    tasks::TaskRow row;
    row.name = "t";
    row.display_name = "t";
    row.task_type = "debug.noop";
    row.schedule_expression = "0 1 * * *";
    row.origin = "db";
    c.edit(row);
    config::Diagnostics diagnostics;
    CHECK_FALSE(tasks::task_from_row(row, *settings.config, diagnostics).has_value());
    const auto row_messages = messages(diagnostics, std::regex("^scheduled_tasks '[^']*': "));
    CHECK(row_messages == file_messages);
    for (const auto& error : diagnostics.errors()) {
      CHECK(error.where.file == "scheduled_tasks '" + row.name + "'");
    }
  }
}

TEST_CASE("tasks: a valid row round-trips: db_row_from_task, entry_from_row, task_from_row") {
  ConfigState<SqliteBackend> env;
  env.write_settings("defaults: {timezone: Asia/Tokyo, retries: 1}\n");
  env.schedule("a.yaml", "tasks: []\n");
  const config::Config config = env.load();
  const nlohmann::json entry = {{"name", "round"},
                                {"type", "debug.noop"},
                                {"schedule", "*/7 * * * *"},
                                {"description", "d"},
                                {"display_name", "Round trip"},
                                {"timeout", "90s"},
                                {"concurrency", "allow"},
                                {"jitter", "1h30m"},
                                {"dry_run", true},
                                {"config", {{"fail", true}, {"message", "m"}}}};
  config::Diagnostics diagnostics;
  auto task = config::read_task_entry(entry, config::SourceMap("x"), config, diagnostics);
  REQUIRE(task.has_value());
  const tasks::TaskRow row = tasks::db_row_from_task(*task, entry);
  CHECK(row.timezone == "Asia/Tokyo");
  CHECK(row.timeout_seconds == 90);
  CHECK(row.concurrency == "allow");
  CHECK(row.jitter_seconds == 5400);
  CHECK_FALSE(row.retries.has_value());
  CHECK_FALSE(row.catchup_seconds.has_value());
  CHECK(row.config == nlohmann::json{{"fail", true}, {"message", "m"}});
  auto back = tasks::task_from_row(row, config, diagnostics);
  REQUIRE(back.has_value());
  CHECK(all_text(diagnostics).empty());
  CHECK(back->name == "round");
  CHECK(back->display_name == "Round trip");
  CHECK(back->description == "d");
  CHECK(back->schedule == "*/7 * * * *");
  CHECK(back->timezone == "Asia/Tokyo");
  CHECK(back->policies.timeout == task->policies.timeout);
  CHECK(back->policies.concurrency == config::Concurrency::allow);
  CHECK(back->policies.jitter == std::chrono::seconds(5400));
  CHECK(back->policies.retries == 1);
  CHECK(back->dry_run);
  CHECK(back->config == task->config);
  CHECK(back->origin() == "db");
}
