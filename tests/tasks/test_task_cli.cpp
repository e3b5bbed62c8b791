// `maintd db migrate|seed` and `maintd task add|edit|rm|enable|disable` in-process, on a SQLite
// state database in a per-test directory with a maintd.yaml and schedule files.
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/app.hpp"
#include "store/migrations.hpp"
#include "support/task_tables.hpp"
#include "support/temp_dir.hpp"

using maintd::testing::TempDir;

namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome run(std::vector<std::string> args) {
  args.insert(args.begin(), "maintd");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  maintd::cli::Context context(out, err);
  context.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  context.now = [] {
    return maintd::parse_instant("2026-03-28T12:00:00Z", cctz::utc_time_zone()).value();
  };
  const int code = maintd::cli::run(static_cast<int>(argv.size()), argv.data(), context);
  return {code, out.str(), err.str()};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kSchedule = R"(tasks:
  - {name: every-5, type: debug.noop, schedule: "*/5 * * * *"}
  - name: nightly
    type: debug.noop
    schedule: "30 2 * * *"
    timeout: 10m
)";

// A configuration directory: maintd.yaml (SQLite state database next to it) and schedules/.
struct Setup {
  TempDir dir;
  std::string config = (dir.path() / "maintd.yaml").string();
  std::string file = (dir.path() / "schedules/a.yaml").string();  // as messages show it

  explicit Setup(const std::string& schedule = kSchedule,
                 const std::string& state = "sqlite3://state.db") {
    dir.write("maintd.yaml", "state_database: " + state +
                                 "\nschedules: [schedules/]\ndatabases:\n  app: "
                                 "sqlite3://app.db\n");
    dir.write("schedules/a.yaml", schedule);
  }
  Outcome maintd(std::vector<std::string> args) const {
    args.push_back("--config");
    args.push_back(config);
    return run(args);
  }
  bool has_state() const { return std::filesystem::exists(dir.path() / "state.db"); }
  soci::session sql() const {
    return soci::session(soci::sqlite3, "db=" + (dir.path() / "state.db").string() + " timeout=5");
  }
  std::string value(const std::string& query) const {
    soci::session s = sql();
    std::string text;
    soci::indicator ind = soci::i_ok;
    s << query, soci::into(text, ind);
    return ind == soci::i_ok ? text : "NULL";
  }
  long long count(const std::string& query) const {
    soci::session s = sql();
    long long n = -1;
    s << query, soci::into(n);
    return n;
  }
  std::string column(const std::string& name, const std::string& column) const {
    return value(maintd::testing::task_column_query(name, column));
  }
};

}  // namespace

// ---------------------------------------------------------------- db migrate

TEST_CASE("db migrate: says which schema versions and migrations, then that it is up to date") {
  Setup s;
  const int latest = maintd::store::latest_schema_version();
  auto r = s.maintd({"db", "migrate"});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  const std::string display = "sqlite3://" + (s.dir.path() / "state.db").string();
  CHECK(r.out.rfind("state database " + display + ": schema version 0 -> " +
                        std::to_string(latest) + "\napplied 1 initial schema\n",
                    0) == 0);
  std::size_t applied = 0;
  for (std::size_t at = r.out.find("\napplied "); at != std::string::npos;
       at = r.out.find("\napplied ", at + 1)) {
    ++applied;
  }
  CHECK(applied == static_cast<std::size_t>(latest));
  r = s.maintd({"db", "migrate"});
  CHECK(r.code == 0);
  CHECK(r.out == "state database " + display + ": schema version " + std::to_string(latest) +
                     ", up to date\n");
  r = s.maintd({"db", "migrate", "--json"});
  REQUIRE(r.code == 0);
  const auto json = nlohmann::json::parse(r.out);
  CHECK(json == nlohmann::json{{"database", display},
                               {"from_version", latest},
                               {"to_version", latest},
                               {"applied", nlohmann::json::array()}});
}

TEST_CASE("db migrate: an unusable state database exits 3 with the reason") {
  Setup s(kSchedule, "sqlite3://no-such-dir/state.db");
  const auto r = s.maintd({"db", "migrate"});
  CHECK(r.code == 3);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "maintd: cannot open the state database"));
  CHECK(contains(r.err, "no-such-dir does not exist"));
}

// ---------------------------------------------------------------- db seed

TEST_CASE("db seed: syncs the files into the table, and a second seed has nothing to do") {
  Setup s;
  auto r = s.maintd({"db", "seed"});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out ==
        "added         every-5  file:schedules/a.yaml\n"
        "added         nightly  file:schedules/a.yaml\n"
        "2 added, 0 changed, 0 removed, 0 conflicts, 0 unchanged\n");
  CHECK(s.count("SELECT COUNT(*) FROM maintd_tasks WHERE origin = 'file:schedules/a.yaml'") == 2);
  r = s.maintd({"db", "seed"});
  CHECK(r.code == 0);
  CHECK(r.out == "scheduled_tasks matches the schedule files (2 tasks): nothing to do\n");
}

TEST_CASE("db seed --dry-run on a fresh state database creates nothing at all") {
  Setup s;
  const auto r = s.maintd({"db", "seed", "--dry-run"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "would add     every-5  file:schedules/a.yaml\n"
        "would add     nightly  file:schedules/a.yaml\n"
        "dry run: 2 to add, 0 to change, 0 to remove, 0 conflicts, 0 unchanged; nothing was "
        "written\n");
  CHECK_FALSE(s.has_state());
}

TEST_CASE("db seed --dry-run prints added, changed column by column, removed, writes nothing") {
  Setup s;
  REQUIRE(s.maintd({"db", "seed"}).code == 0);
  const std::string before = s.value(
      "SELECT t.name || t.schedule_expression || m.timeout_seconds || t.updated_at FROM "
      "scheduled_tasks t JOIN maintd_tasks m ON m.task_id = t.id WHERE t.name = 'nightly'");
  s.dir.write("schedules/a.yaml", R"(tasks:
  - name: nightly
    type: debug.noop
    schedule: "45 3 * * *"
    timeout: 20m
    config: {sleep: 2s}
  - {name: fresh, type: debug.noop, schedule: "@daily"}
)");
  auto r = s.maintd({"db", "seed", "--dry-run"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "would add     fresh    file:schedules/a.yaml\n"
        "would change  nightly  file:schedules/a.yaml\n"
        "    schedule_expression: \"30 2 * * *\" -> \"45 3 * * *\"\n"
        "    config: {\"fail\":false,\"sleep\":\"0s\"} -> {\"fail\":false,\"sleep\":\"2s\"}\n"
        "    timeout_seconds: 600 -> 1200\n"
        "would remove  every-5  file:schedules/a.yaml\n"
        "dry run: 1 to add, 1 to change, 1 to remove, 0 conflicts, 0 unchanged; nothing was "
        "written\n");
  CHECK(s.value("SELECT t.name || t.schedule_expression || m.timeout_seconds || t.updated_at "
                "FROM scheduled_tasks t JOIN maintd_tasks m ON m.task_id = t.id "
                "WHERE t.name = 'nightly'") == before);
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks") == 2);
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks WHERE name = 'fresh'") == 0);

  r = s.maintd({"db", "seed", "--dry-run", "--json"});
  REQUIRE(r.code == 0);
  const auto json = nlohmann::json::parse(r.out);
  CHECK(json["dry_run"] == true);
  CHECK(json["added"] == nlohmann::json::parse(R"([{"name": "fresh", "origin":
        "file:schedules/a.yaml", "defined_at": ")" +
                                               s.file + R"(:7:5"}])"));
  CHECK(json["removed"] ==
        nlohmann::json::parse(R"([{"name": "every-5", "origin": "file:schedules/a.yaml"}])"));
  REQUIRE(json["changed"].size() == 1);
  CHECK(json["changed"][0]["name"] == "nightly");
  CHECK(json["changed"][0]["defined_at"] == s.file + ":2:5");
  CHECK(json["changed"][0]["fields"][0] == nlohmann::json{{"column", "schedule_expression"},
                                                          {"old", "30 2 * * *"},
                                                          {"new", "45 3 * * *"}});
  CHECK(json["changed"][0]["fields"][2] ==
        nlohmann::json{{"column", "timeout_seconds"}, {"old", 600}, {"new", 1200}});
  CHECK(json["conflicts"] == nlohmann::json::array());
  CHECK(json["unchanged"] == 0);
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks WHERE name = 'fresh'") == 0);

  r = s.maintd({"db", "seed", "--json"});
  REQUIRE(r.code == 0);
  CHECK(nlohmann::json::parse(r.out)["dry_run"] == false);
  CHECK(s.column("nightly", "schedule_expression") == "45 3 * * *");
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks") == 2);
}

TEST_CASE("db seed shows a conflict with a db row at both places and leaves the row alone") {
  Setup s;
  REQUIRE(
      s.maintd({"task", "add", "later", "--type", "debug.noop", "--schedule", "0 1 * * *"}).code ==
      0);
  s.dir.write("schedules/b.yaml",
              "tasks:\n  - {name: later, type: debug.noop, schedule: '0 2 * * *'}\n");
  const auto r = s.maintd({"db", "seed"});
  CHECK(r.code == 0);
  const std::string b = (s.dir.path() / "schedules/b.yaml").string();
  CHECK(contains(r.out, "conflict      later  " + b +
                            ":2:5 and scheduled_tasks 'later' (origin db): the file's task is "
                            "used, the row is left as it is\n"));
  CHECK(contains(r.out, "0 added, 0 changed, 0 removed, 1 conflict, 2 unchanged\n"));
  CHECK(s.column("later", "origin") == "db");
  CHECK(s.column("later", "schedule_expression") == "0 1 * * *");
}

// ---------------------------------------------------------------- task add

TEST_CASE("task add: a table task, validated like YAML, stored with origin db") {
  Setup s;
  const auto r = s.maintd({"task",
                           "add",
                           "hourly",
                           "--type",
                           "debug.noop",
                           "--schedule",
                           "0 * * * *",
                           "--timezone",
                           "Europe/Berlin",
                           "--description",
                           "every hour",
                           "--display-name",
                           "Hourly",
                           "--set",
                           "sleep=2s",
                           "--set",
                           "fail=false",
                           "--retries",
                           "2",
                           "--timeout",
                           "5m",
                           "--concurrency",
                           "allow",
                           "--dry-run-mode",
                           "--disabled"});
  CHECK(r.err.empty());
  CHECK(r.code == 0);
  CHECK(r.out ==
        "added task 'hourly' (debug.noop, '0 * * * *' in Europe/Berlin); disabled: it never "
        "fires until 'maintd task enable hourly'\n");
  CHECK(s.column("hourly", "origin") == "db");
  CHECK(s.column("hourly", "display_name") == "Hourly");
  CHECK(s.column("hourly", "description") == "every hour");
  CHECK(s.column("hourly", "timezone") == "Europe/Berlin");
  CHECK(nlohmann::json::parse(s.column("hourly", "config")) ==
        nlohmann::json{{"sleep", "2s"}, {"fail", false}});
  CHECK(s.column("hourly", "retries") == "2");
  CHECK(s.column("hourly", "timeout_seconds") == "300");
  CHECK(s.column("hourly", "concurrency") == "allow");
  CHECK(s.column("hourly", "catchup_seconds") == "NULL");
  CHECK(s.column("hourly", "dry_run") == "1");
  CHECK(s.column("hourly", "enabled") == "0");
  // The file tasks were synced on the way.
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks") == 3);

  const auto enabled =
      s.maintd({"task", "add", "other", "--type", "debug.noop", "--schedule", "*/15 * * * *"});
  CHECK(enabled.code == 0);
  CHECK(enabled.out ==
        "added task 'other' (debug.noop, '*/15 * * * *' in UTC); next slot "
        "2026-03-28T12:15:00Z\n");
}

TEST_CASE("task add: invalid options get the schedule file's messages, exit 2, nothing written") {
  Setup s;
  auto r =
      s.maintd({"task", "add", "bad", "--type", "debug.noop", "--schedule", "61 * * * *", "--set",
                "slep=1s", "--retries", "x", "--timeout", "10", "--timezone", "Europe/Berln"});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "maintd: task 'bad': timezone: unknown time zone 'Europe/Berln' (did you mean "
        "'Europe/Berlin'?)\n"
        "maintd: task 'bad': schedule: invalid cron expression '61 * * * *': minute: value 61 is "
        "out of range 0-59\n"
        "maintd: task 'bad': timeout: 10 has no unit (write 10s, 10m, 10h or 10d)\n"
        "maintd: task 'bad': retries: expected a whole number 0-100, got a string ('x')\n"
        "maintd: task 'bad': config: unknown key 'slep' (did you mean 'sleep'?) (handler "
        "debug.noop)\n"
        "maintd: task 'bad' was not added\n");
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks WHERE name = 'bad'") == 0);

  r = s.maintd({"task", "add", "bad name", "--type", "debug.nop", "--schedule", "@daily"});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "maintd: task 'bad name': name: 'bad name' is not a valid task name"));
  CHECK(contains(r.err,
                 "maintd: task 'bad name': type: unknown type 'debug.nop' (did you mean "
                 "'debug.noop'?)"));

  // The text is not echoed (it may hold a secret); where the parser stopped is.
  r = s.maintd({"task", "add", "j", "--type", "debug.noop", "--schedule", "@daily", "--config-json",
                "{\"token\": \"hunter2\" sleep"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "maintd: --config-json: not valid JSON: parse error at line 1, column 21: syntax error "
        "while parsing object - invalid literal; expected '}'\n");
  CHECK_FALSE(contains(r.err, "hunter2"));

  r = s.maintd({"task", "add", "j", "--type", "debug.noop", "--schedule", "@daily", "--config-json",
                std::string(100000, '[')});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "maintd: --config-json: not valid JSON: arrays and objects nest deeper than 128 levels, "
        "the most maintd accepts\n");

  r = s.maintd(
      {"task", "add", "j", "--type", "debug.noop", "--schedule", "@daily", "--set", "novalue"});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "--set 'novalue': expected key=value"));

  r = s.maintd(
      {"task", "add", "j", "--type", "debug.noop", "--schedule", "@daily", "--config-json", "[1]"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "maintd: task 'j': config: expected a map, got a list\nmaintd: task 'j' was "
        "not added\n");

  r = s.maintd({"task", "add", "j", "--type", "debug.noop"});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "--schedule is required"));
  CHECK(s.count("SELECT COUNT(*) FROM maintd_tasks WHERE origin = 'db'") == 0);
}

TEST_CASE("task add: a name that exists, in a file or in the table, is refused") {
  Setup s;
  auto r = s.maintd({"task", "add", "nightly", "--type", "debug.noop", "--schedule", "@daily"});
  CHECK(r.code == 2);
  CHECK(r.err == "maintd: task 'nightly' already exists: it is defined in " + s.file + ":3\n");
  REQUIRE(s.maintd({"task", "add", "mine", "--type", "debug.noop", "--schedule", "@daily"}).code ==
          0);
  r = s.maintd({"task", "add", "mine", "--type", "debug.noop", "--schedule", "@hourly"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "maintd: task 'mine' already exists in scheduled_tasks (origin db); change it with "
        "'maintd task edit mine'\n");
  CHECK(s.column("mine", "schedule_expression") == "@daily");
}

TEST_CASE("task add: a legacy alias is stored as its canonical type, with the warning") {
  Setup s;
  s.dir.write("maintd.yaml",
              "state_database: sqlite3://state.db\nschedules: [schedules/]\naliases:\n  "
              "old.noop: debug.noop\n");
  const auto r = s.maintd({"task", "add", "legacy", "--type", "old.noop", "--schedule", "@daily"});
  CHECK(r.code == 0);
  CHECK(contains(r.err,
                 "maintd: task 'legacy': warning: type 'old.noop' is a legacy alias of "
                 "'debug.noop'"));
  CHECK(s.column("legacy", "task_type") == "debug.noop");
}

// ---------------------------------------------------------------- task edit

TEST_CASE("task edit: changes a table task and prints each column that changed") {
  Setup s;
  REQUIRE(s.maintd({"task", "add", "mine", "--type", "debug.noop", "--schedule", "@daily", "--set",
                    "sleep=1s", "--timeout", "5m"})
              .code == 0);
  const std::string created = s.column("mine", "created_at");
  auto r = s.maintd({"task", "edit", "mine", "--schedule", "0 4 * * *", "--unset", "sleep", "--set",
                     "message=hi", "--timeout", "7m", "--description", "four"});
  CHECK(r.err.empty());
  CHECK(r.code == 0);
  CHECK(r.out ==
        "changed task 'mine':\n"
        "  description: \"\" -> \"four\"\n"
        "  schedule_expression: \"@daily\" -> \"0 4 * * *\"\n"
        "  config: {\"sleep\":\"1s\"} -> {\"message\":\"hi\"}\n"
        "  timeout_seconds: 300 -> 420\n");
  CHECK(s.column("mine", "schedule_expression") == "0 4 * * *");
  CHECK(s.column("mine", "created_at") == created);

  r = s.maintd({"task", "edit", "mine", "--schedule", "0 4 * * *"});
  CHECK(r.code == 0);
  CHECK(r.out == "task 'mine' unchanged\n");

  r = s.maintd({"task", "edit", "mine", "--schedule", "0 4 * * 8"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "maintd: task 'mine': schedule: invalid cron expression '0 4 * * 8': day-of-week: value 8 "
        "is out of range 0-7 (hint: days of the week are 0-7 (0 and 7 are Sunday) or SUN-SAT)\n"
        "maintd: task 'mine' was not changed\n");
  CHECK(s.column("mine", "schedule_expression") == "0 4 * * *");

  r = s.maintd({"task", "edit", "mine", "--unset", "slep"});
  CHECK(r.code == 2);
  CHECK(r.err == "maintd: --unset slep: the config has no key 'slep'\n");

  r = s.maintd({"task", "edit", "mine"});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "maintd: task edit: nothing to change"));
}

TEST_CASE("task edit and rm refuse a file task, naming its file and line") {
  Setup s;
  auto r = s.maintd({"task", "edit", "nightly", "--schedule", "@daily"});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "maintd: task 'nightly' is defined in " + s.file + ":3 \u2014 edit the file\n");
  r = s.maintd({"task", "rm", "every-5"});
  CHECK(r.code == 2);
  CHECK(r.err == "maintd: task 'every-5' is defined in " + s.file + ":2 \u2014 edit the file\n");
  CHECK(s.column("nightly", "schedule_expression") == "30 2 * * *");
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks") == 2);
}

TEST_CASE("task edit|rm|enable|disable of an unknown task: exit 2, did you mean") {
  Setup s;
  REQUIRE(
      s.maintd({"task", "add", "cleanup-orders", "--type", "debug.noop", "--schedule", "@daily"})
          .code == 0);
  for (const char* command : {"rm", "enable", "disable"}) {
    CAPTURE(std::string(command));
    const auto r = s.maintd({"task", command, "cleanup-order"});
    CHECK(r.code == 2);
    CHECK(r.err == "maintd: no task named 'cleanup-order' (did you mean 'cleanup-orders'?)\n");
  }
  auto r = s.maintd({"task", "edit", "nightli", "--schedule", "@daily"});
  CHECK(r.code == 2);
  CHECK(r.err == "maintd: no task named 'nightli' (did you mean 'nightly'?)\n");
  r = s.maintd({"task", "rm", "zzz"});
  CHECK(r.code == 2);
  CHECK(r.err == "maintd: no task named 'zzz'\n");
}

TEST_CASE("task edit --enabled/--disabled set the definition and drop an earlier override") {
  Setup s;
  REQUIRE(s.maintd({"task", "add", "mine", "--type", "debug.noop", "--schedule", "@daily"}).code ==
          0);
  REQUIRE(s.maintd({"task", "disable", "mine"}).code == 0);
  CHECK(s.column("mine", "enabled_override") == "0");
  // An edit of something else keeps the override.
  REQUIRE(s.maintd({"task", "edit", "mine", "--description", "x"}).code == 0);
  CHECK(s.column("mine", "enabled_override") == "0");
  CHECK(s.column("mine", "enabled") == "0");
  const auto r = s.maintd({"task", "edit", "mine", "--enabled"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "changed task 'mine':\n  enabled: false -> true\n  enabled_override: false -> "
        "null\n");
  CHECK(s.column("mine", "enabled") == "1");
  CHECK(s.column("mine", "enabled_override") == "NULL");
}

// ---------------------------------------------------------------- task rm

TEST_CASE("task rm: removes a table task and keeps its run history") {
  Setup s;
  REQUIRE(s.maintd({"task", "add", "mine", "--type", "debug.noop", "--schedule", "@daily"}).code ==
          0);
  {
    soci::session sql = s.sql();
    sql << "INSERT INTO maintd_runs (task_name, task_type, trigger_type, status, created_at) "
           "VALUES "
           "('mine', 'debug.noop', 'manual', 'completed', '2026-03-28T00:00:00.000Z')";
  }
  const auto r = s.maintd({"task", "rm", "mine"});
  CHECK(r.code == 0);
  CHECK(r.out == "removed task 'mine' from scheduled_tasks; its 1 run stays in the history\n");
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks WHERE name = 'mine'") == 0);
  CHECK(s.count("SELECT COUNT(*) FROM maintd_runs WHERE task_name = 'mine'") == 1);
}

TEST_CASE(
    "task rm of a db row whose name a file also defines removes the row, and the file task "
    "stays") {
  Setup s;
  REQUIRE(s.maintd({"task", "add", "later", "--type", "debug.noop", "--schedule", "@daily"}).code ==
          0);
  s.dir.write("schedules/b.yaml",
              "tasks:\n  - {name: later, type: debug.noop, schedule: '0 2 * * *'}\n");
  const std::string b = (s.dir.path() / "schedules/b.yaml").string();
  // While both exist, enable/disable cannot tell which is meant.
  auto r = s.maintd({"task", "disable", "later"});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "maintd: task 'later' is defined in " + b +
                            ":2 and is also a row of scheduled_tasks (origin db); remove the row "
                            "first ('maintd task rm later')\n"));
  CHECK(contains(r.err, "warning: task 'later' is also a row of scheduled_tasks"));
  r = s.maintd({"task", "rm", "later"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "removed task 'later' from scheduled_tasks; its 0 runs stay in the history\n"
        "the task 'later' defined in " +
            b + ":2 stays\n");
  // The next load puts the file task in.
  REQUIRE(s.maintd({"db", "seed"}).code == 0);
  CHECK(s.column("later", "origin") == "file:schedules/b.yaml");
}

// ---------------------------------------------------------------- task enable|disable

TEST_CASE("task disable|enable: a file task's state persists across seeds and file edits") {
  Setup s;
  auto r = s.maintd({"task", "disable", "nightly"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "task 'nightly' disabled: it stays listed and never fires, across reloads, until 'maintd "
        "task enable nightly'\n");
  CHECK(s.column("nightly", "enabled") == "0");
  CHECK(s.column("nightly", "enabled_override") == "0");
  r = s.maintd({"task", "disable", "nightly"});
  CHECK(r.out == "task 'nightly' is already disabled\n");

  s.dir.write("schedules/a.yaml", R"(tasks:
  - {name: every-5, type: debug.noop, schedule: "*/5 * * * *"}
  - {name: nightly, type: debug.noop, schedule: "30 3 * * *", enabled: true}
)");
  r = s.maintd({"db", "seed"});
  CHECK(r.code == 0);
  CHECK(contains(r.out, "schedule_expression: \"30 2 * * *\" -> \"30 3 * * *\""));
  CHECK(s.column("nightly", "enabled") == "0");
  CHECK(s.column("nightly", "schedule_expression") == "30 3 * * *");

  r = s.maintd({"task", "enable", "nightly"});
  CHECK(r.code == 0);
  CHECK(r.out == "task 'nightly' enabled\n");
  CHECK(s.column("nightly", "enabled") == "1");
  CHECK(s.column("nightly", "enabled_override") == "1");
  REQUIRE(s.maintd({"db", "seed"}).code == 0);
  CHECK(s.column("nightly", "enabled") == "1");
}

TEST_CASE("task disable of a hand-broken table row works and says why it would not run anyway") {
  Setup s;
  REQUIRE(s.maintd({"task", "add", "mine", "--type", "debug.noop", "--schedule", "@daily"}).code ==
          0);
  {
    soci::session sql = s.sql();
    sql << "UPDATE scheduled_tasks SET schedule_expression = '61 * * * *' WHERE name = 'mine'";
  }
  auto r = s.maintd({"task", "disable", "mine"});
  CHECK(r.code == 0);
  CHECK(contains(r.out, "task 'mine' disabled"));
  CHECK(r.err ==
        "maintd: scheduled_tasks 'mine': schedule: invalid cron expression '61 * * * *': minute: "
        "value 61 is out of range 0-59\n"
        "maintd: warning: task 'mine' is invalid and does not run until its row is fixed "
        "('maintd task edit mine')\n");
  // An edit that fixes it is validated and accepted.
  r = s.maintd({"task", "edit", "mine", "--schedule", "1 * * * *"});
  CHECK(r.code == 0);
  CHECK(contains(r.out, "schedule_expression: \"61 * * * *\" -> \"1 * * * *\""));
}

// ---------------------------------------------------------------- state database unavailable

TEST_CASE("task commands and db seed: state database unavailable exits 3, writes nothing") {
  Setup s(kSchedule, "sqlite3://no-such-dir/state.db");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"task", "add", "x", "--type", "debug.noop", "--schedule", "@daily"},
           {"task", "edit", "x", "--schedule", "@daily"},
           {"task", "rm", "x"},
           {"task", "enable", "nightly"},
           {"task", "disable", "nightly"},
           {"db", "seed"}}) {
    CAPTURE(args[1]);
    const auto r = s.maintd(args);
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "maintd: cannot open the state database"));
  }
  CHECK_FALSE(std::filesystem::exists(s.dir.path() / "no-such-dir"));
}

TEST_CASE("task add: a locked state database exits 3 and adds nothing") {
  Setup s;
  REQUIRE(s.maintd({"db", "seed"}).code == 0);
  {
    soci::session holder = s.sql();
    holder << "BEGIN IMMEDIATE";
    const auto r =
        s.maintd({"task", "add", "late", "--type", "debug.noop", "--schedule", "@daily"});
    CHECK(r.code == 3);
    CHECK(contains(r.err, "locked"));
    holder << "ROLLBACK";
  }
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks WHERE name = 'late'") == 0);
}

TEST_CASE("task and db: an invalid configuration exits 2 before touching the database") {
  Setup s("tasks:\n  - {name: x, type: debug.noop, schedule: '61 * * * *'}\n");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"task", "add", "y", "--type", "debug.noop", "--schedule", "@daily"},
           {"db", "seed"},
           {"db", "migrate"}}) {
    const auto r = s.maintd(args);
    CHECK(r.code == 2);
    CHECK(contains(r.err, "maintd: 1 error in the configuration; nothing was loaded"));
  }
  CHECK_FALSE(s.has_state());
}

TEST_CASE("task add|edit --expect-success-within: stored, changed, and validated like YAML") {
  Setup s;
  auto r = s.maintd({"task", "add", "watched", "--type", "debug.noop", "--schedule", "@hourly",
                     "--expect-success-within", "2h"});
  CHECK(r.err.empty());
  REQUIRE(r.code == 0);
  CHECK(s.column("watched", "expect_success_within_seconds") == "7200");

  r = s.maintd({"task", "edit", "watched", "--expect-success-within", "0s"});
  CHECK(r.code == 0);
  CHECK(r.out == "changed task 'watched':\n  expect_success_within_seconds: 7200 -> 0\n");

  r = s.maintd({"task", "edit", "watched", "--expect-success-within", "30s"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "maintd: task 'watched': expect_success_within: 30s is too short: give at least 1m "
        "(overdue tasks are looked for every 30s), or 0s to not watch the task\n"
        "maintd: task 'watched' was not changed\n");
  r = s.maintd({"task", "edit", "watched", "--expect-success-within", "2"});
  CHECK(r.code == 2);
  CHECK(contains(r.err,
                 "maintd: task 'watched': expect_success_within: 2 has no unit (write 2s, "
                 "2m, 2h or 2d)\n"));
  CHECK(s.column("watched", "expect_success_within_seconds") == "0");
}

// ---------------------------------------------------------------- tasks by id (issue 18)

TEST_CASE("tasks by id: run, show, disable and rm take a row's id as well as its name") {
  Setup s;
  REQUIRE(
      s.maintd({"task", "add", "hourly", "--type", "debug.noop", "--schedule", "0 * * * *"}).code ==
      0);
  const std::string id = s.value("SELECT id FROM scheduled_tasks WHERE name = 'hourly'");
  REQUIRE(id.size() == 36);

  const auto shown = s.maintd({"task", "show", id, "--json"});
  CHECK(shown.code == 0);
  const auto task = nlohmann::json::parse(shown.out).at("task");
  CHECK(task.at("name") == "hourly");
  CHECK(task.at("id") == id);
  CHECK(task.at("origin") == "db");
  CHECK(task.at("last_run_status").is_null());

  const auto ran = s.maintd({"run", id});
  CHECK_MESSAGE(ran.code == 0, ran.err);
  CHECK(contains(ran.out, "completed"));
  // The run is recorded under the task's name, and written back into its row.
  CHECK(s.value("SELECT task_name FROM maintd_runs") == "hourly");
  CHECK(s.value("SELECT last_run_status FROM scheduled_tasks WHERE name = 'hourly'") ==
        "completed");
  CHECK(s.value("SELECT last_run_id FROM scheduled_tasks WHERE name = 'hourly'") ==
        s.value("SELECT CAST(id AS TEXT) FROM maintd_runs"));
  CHECK(s.value("SELECT next_run_at FROM scheduled_tasks WHERE name = 'hourly'") ==
        "2026-03-28T13:00:00.000Z");

  CHECK(s.maintd({"task", "disable", id}).code == 0);
  CHECK(s.column("hourly", "enabled") == "0");
  CHECK(s.maintd({"task", "rm", id}).code == 0);
  CHECK(s.count("SELECT COUNT(*) FROM scheduled_tasks WHERE name = 'hourly'") == 0);
  CHECK(s.count("SELECT COUNT(*) FROM maintd_tasks") == 2);  // the file tasks' only

  const auto unknown = s.maintd({"task", "show", "no-such-id"});
  CHECK(unknown.code == 2);
  CHECK(contains(unknown.err, "no task named 'no-such-id'"));
}
