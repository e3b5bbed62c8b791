// A PostgreSQL state database whose server stops answering (every process of it stopped with
// SIGSTOP: a hung host, a network partition): each call fails with StoreTimeout within the
// statement timeout and its margin, or the connect timeout, naming the database; shutdown cuts
// the waits under way short; the database answers again once the server does (issue 24.3).
// A private cluster: freezing the shared one would stop every other test of the process.
#include <doctest/doctest.h>
#include <soci/soci.h>

#include <chrono>
#include <future>

#include "connection/database_url.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/store_error.hpp"
#include "support/postgres_cluster.hpp"
#include "support/postgres_freeze.hpp"

using maintd::store::Database;
using maintd::store::StoreTimeout;
using maintd::testing::PostgresCluster;
using maintd::testing::PostgresFreeze;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

maintd::connection::DatabaseUrl frozen_test_url(const PostgresCluster& pg, const std::string& name,
                                                std::chrono::seconds statement) {
  auto url = maintd::connection::parse_database_url(pg.uri(name), std::nullopt, "/");
  REQUIRE(url.has_value());
  maintd::connection::DatabaseTimeouts timeouts;
  timeouts.connect = 2s;
  timeouts.statement = statement;
  maintd::connection::apply_database_timeouts(*url, timeouts,
                                              maintd::connection::DatabaseRole::state);
  return *url;
}

int select_one(Database& database) {
  return database.with_session("selecting one", [](soci::session& sql) {
    int one = 0;
    sql << "SELECT 1", soci::into(one);
    return one;
  });
}

// How long `call` took to throw StoreTimeout, and its message (empty: it did not throw it).
template <class Call>
std::pair<std::chrono::milliseconds, std::string> timed_out(Call&& call) {
  const auto started = Steady::now();
  std::string message;
  try {
    call();
  } catch (const StoreTimeout& e) {
    message = e.what();
  }
  return {std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started), message};
}

}  // namespace

TEST_CASE("store: a frozen server: calls time out naming the database, then recover<postgresql>") {
  PostgresCluster pg;
  pg.create_database("frozen_store");
  auto database = Database::open(frozen_test_url(pg, "frozen_store", 1s), 2);
  maintd::store::migrate(*database);
  REQUIRE(select_one(*database) == 1);
  REQUIRE(database->health().answering);
  {
    const PostgresFreeze freeze(pg);
    // Connected: the statement timeout (1 s) and its margin (1 s), then maintd closes it.
    const auto [took, message] = timed_out([&] { select_one(*database); });
    MESSAGE("a statement on the frozen server failed after " << took.count() << " ms");
    CHECK(message.find("no answer from the server within 2 s") != std::string::npos);
    CHECK(message.find("selecting one") != std::string::npos);
    CHECK(message.find("postgresql://maintd@/frozen_store?") != std::string::npos);
    CHECK(took >= 1900ms);
    CHECK(took < 3500ms);
    CHECK_FALSE(database->health().answering);
    CHECK(database->health().problem == message);

    // That session connects again: libpq's connect timeout (2 s).
    const auto [again, reason] = timed_out([&] { select_one(*database); });
    MESSAGE("connecting to the frozen server failed after " << again.count() << " ms");
    CHECK(reason.find("connect timed out after 2 s") != std::string::npos);
    CHECK(again < 3500ms);
  }
  // The server answers again: so does the database, without being opened again.
  CHECK(select_one(*database) == 1);
  CHECK(database->health().answering);
}

TEST_CASE("store: shutdown cuts a wait on a frozen server short and refuses the next<postgresql>") {
  PostgresCluster pg;
  pg.create_database("frozen_shutdown");
  // A statement timeout far longer than the test: only shorten_waits can end the wait.
  auto database = Database::open(frozen_test_url(pg, "frozen_shutdown", 60s), 2);
  REQUIRE(select_one(*database) == 1);
  const PostgresFreeze freeze(pg);
  auto waiting =
      std::async(std::launch::async, [&] { return timed_out([&] { select_one(*database); }); });
  // The call is under way (and stays so: the server is stopped) when the shutdown comes.
  REQUIRE(waiting.wait_for(300ms) == std::future_status::timeout);
  const auto cut_at = Steady::now();
  database->shorten_waits(500ms);
  REQUIRE(waiting.wait_for(5s) == std::future_status::ready);
  const auto after_cut =
      std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - cut_at);
  const auto [took, message] = waiting.get();
  MESSAGE("the wait ended " << after_cut.count() << " ms after shorten_waits(500 ms)");
  CHECK(message.find("maintd is stopping") != std::string::npos);
  CHECK(after_cut < 1500ms);
  // The server did not answer: the next call is not even tried.
  const auto [next, refused] = timed_out([&] { select_one(*database); });
  CHECK(refused.find("not tried") != std::string::npos);
  CHECK(next < 100ms);
}
