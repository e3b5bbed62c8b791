// When the state database cannot be used: StoreUnavailable (the CLI's exit 3), with a message that
// says why and never carries a password.
#include <soci/sqlite3/soci-sqlite3.h>

#include <chrono>

#include "store/store_error.hpp"
#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;

TEST_CASE(
    "store: unavailable: the SQLite file's directory is missing, and the message names it"
    "<sqlite>") {
  TempDir dir;
  const auto missing = dir.path() / "no" / "such" / "dir";
  const auto url = parse_url("sqlite3://" + (missing / "state.db").string());
  const std::string message =
      thrown_message<store::StoreUnavailable>([&] { store::Database::open(url); });
  CHECK_MESSAGE(contains(message, "the directory " + missing.string() + " does not exist"),
                message);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "no"));
}

TEST_CASE("store: unavailable: an unreadable SQLite file is reported, not crashed on<sqlite>") {
  TempDir dir;
  const auto file = dir.write("state.db", "this is not a SQLite database, just text\n");
  const auto url = parse_url("sqlite3://" + file.string());
  const std::string message = thrown_message<store::StoreUnavailable>([&] {
    auto db = store::Database::open(url);
    store::migrate(*db);
  });
  CHECK_MESSAGE(contains(message, file.string()), message);
  CHECK_MESSAGE(contains(message, "not a database"), message);
}

TEST_CASE("store: unavailable: SQLite locked by another writer beyond the busy timeout<sqlite>") {
  SqliteBackend backend;
  auto db = open_migrated(backend, {.busy_timeout = std::chrono::milliseconds(200)});
  store::RunStore runs(db, TestClock().clock());
  store::NewRun run;
  run.task_name = "a.task";
  run.task_type = "debug.noop";
  const store::RunId before = runs.create_run(run);

  // Another process holds the write lock (a long transaction, a backup, sqlite3 at a prompt).
  auto other = backend.raw();
  *other << "BEGIN IMMEDIATE";
  const auto started = std::chrono::steady_clock::now();
  const std::string message =
      thrown_message<store::StoreUnavailable>([&] { runs.create_run(run); });
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK_MESSAGE(contains(message, "claiming a slot failed on the state database " + db->display() +
                                      " (database is locked)"),
                message);
  CHECK(waited >= std::chrono::milliseconds(150));
  CHECK(waited < std::chrono::seconds(3));
  CHECK(thrown_message<store::StoreUnavailable>([&] { runs.start(before, {"i", "h", 1}); }) != "");
  CHECK(thrown_message<store::StoreUnavailable>([&] { store::migrate(*db); }) != "");
  // Readers are not blocked in WAL mode.
  CHECK(runs.get(before).has_value());

  *other << "ROLLBACK";
  CHECK(runs.create_run(run) > before);
  CHECK(runs.start(before, {"i", "h", 1}));
}

TEST_CASE_TEMPLATE("store: unavailable: a database without the schema is unavailable, not a crash",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open(backend);  // not migrated
  store::RunStore runs(db, TestClock().clock());
  store::NewRun run;
  run.task_name = "a.task";
  run.task_type = "debug.noop";
  CHECK(thrown_message<store::StoreUnavailable>([&] { runs.create_run(run); }) != "");
  CHECK(thrown_message<store::StoreUnavailable>([&] { runs.history({}); }) != "");
}

TEST_CASE("store: unavailable: PostgreSQL down, and no password in the message<postgresql>") {
  PostgresCluster cluster;  // private: this test stops it
  cluster.create_database("down");
  const std::string secret = "s3cret-Pa55";
  cluster.stop();
  // The password as config gives it (a `password` key), and inside the URL itself.
  const std::string with_user_password = [&] {
    std::string uri = cluster.uri("down");
    return uri.replace(uri.find("maintd@"), 7, "maintd:" + secret + "@");
  }();
  for (const auto& url : {parse_url(cluster.uri("down"), secret), parse_url(with_user_password)}) {
    CAPTURE(url.display);
    REQUIRE(contains(url.connect, secret));
    const std::string message =
        thrown_message<store::StoreUnavailable>([&] { store::Database::open(url); });
    // The URL as shown, intact: nothing after the masked password swallowed by the masking.
    CHECK_MESSAGE(contains(message, "cannot open the state database " + url.display + " ("),
                  message);
    CHECK_MESSAGE(!contains(message, secret), message);
    CHECK_MESSAGE(contains(message, cluster.dir().string()), message);  // where it looked
  }
}

TEST_CASE("store: unavailable: PostgreSQL going away mid-life, then coming back<postgresql>") {
  PostgresCluster cluster;
  cluster.create_database("flaky");
  const auto url = parse_url(cluster.uri("flaky"), std::string("s3cret-Pa55"));
  auto db = store::Database::open(url, {.pool_size = 2});
  store::migrate(*db);
  store::RunStore runs(db, TestClock().clock());
  store::NewRun run;
  run.task_name = "a.task";
  run.task_type = "debug.noop";
  const store::RunId first = runs.create_run(run);

  cluster.stop();
  for (int attempt = 0; attempt < 3; ++attempt) {  // every session of the pool, and then some
    const std::string message =
        thrown_message<store::StoreUnavailable>([&] { runs.create_run(run); });
    CHECK_MESSAGE(!contains(message, "s3cret"), message);
    CHECK_MESSAGE(contains(message, "on the state database " + db->display() + " ("), message);
  }
  CHECK_THROWS_AS(runs.get(first), store::StoreUnavailable);

  // Once the server is back, the same Database works again: sessions reconnect.
  cluster.start();
  const store::RunId second = runs.create_run(run);
  CHECK(second > first);
  CHECK(runs.get(first).has_value());
  CHECK(runs.history({}).size() == 2);
}
