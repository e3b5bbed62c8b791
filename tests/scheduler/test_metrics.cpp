// The Prometheus exposition: families with HELP and TYPE, cumulative buckets, escaped labels.
#include <doctest/doctest.h>

#include "scheduler/metrics.hpp"

using maintd::scheduler::Histogram;
using maintd::scheduler::Metrics;
using maintd::scheduler::Scrape;
using maintd::store::RunStatus;
using namespace std::chrono_literals;

TEST_CASE("a histogram counts each observation in the first bucket that holds it") {
  Histogram histogram({0.1, 1, 10});
  for (const double seconds : {0.05, 0.1, 0.5, 2.0, 100.0}) histogram.observe(seconds);
  CHECK(histogram.counts() == std::vector<std::uint64_t>{2, 1, 1});
  CHECK(histogram.count() == 5);
  CHECK(histogram.sum() == doctest::Approx(102.65));
}

TEST_CASE("the exposition has cumulative buckets ending in +Inf, and the scrape's gauges") {
  Metrics metrics;
  metrics.run_finished("a.b", RunStatus::completed, 300ms);
  metrics.run_finished("a.b", RunStatus::completed, 2s);
  metrics.run_finished("a.b", RunStatus::failed, 7200s);
  Scrape scrape;
  scrape.tasks = 3;
  scrape.tasks_enabled = 2;
  scrape.running = 1;
  scrape.last_success["a.b"] = maintd::store::parse_timestamp("2026-01-01T00:00:01.500Z").value();
  const std::string text = metrics.render(scrape);
  CHECK(text.find("# TYPE maintd_runs_total counter\n") != std::string::npos);
  CHECK(text.find("maintd_runs_total{task=\"a.b\",status=\"completed\"} 2\n") != std::string::npos);
  CHECK(text.find("maintd_runs_total{task=\"a.b\",status=\"failed\"} 1\n") != std::string::npos);
  CHECK(text.find("# TYPE maintd_run_duration_seconds histogram\n") != std::string::npos);
  CHECK(text.find("maintd_run_duration_seconds_bucket{task=\"a.b\",le=\"0.1\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("maintd_run_duration_seconds_bucket{task=\"a.b\",le=\"0.5\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("maintd_run_duration_seconds_bucket{task=\"a.b\",le=\"5\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("maintd_run_duration_seconds_bucket{task=\"a.b\",le=\"3600\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("maintd_run_duration_seconds_bucket{task=\"a.b\",le=\"+Inf\"} 3\n") !=
        std::string::npos);
  CHECK(text.find("maintd_run_duration_seconds_count{task=\"a.b\"} 3\n") != std::string::npos);
  CHECK(text.find("maintd_tasks 3\nmaintd_tasks_enabled") == std::string::npos);  // HELP between
  CHECK(text.find("maintd_tasks_enabled 2\n") != std::string::npos);
  CHECK(text.find("maintd_runs_running 1\n") != std::string::npos);
  CHECK(text.find("maintd_last_success_timestamp_seconds{task=\"a.b\"} 1767225601.500\n") !=
        std::string::npos);
}

TEST_CASE("label values are escaped: backslash, quote, newline") {
  Metrics metrics;
  metrics.slot_skipped("we\"ird\\na\nme");
  const std::string text = metrics.render({});
  CHECK(text.find(R"(maintd_runs_total{task="we\"ird\\na\nme",status="skipped"} 1)") !=
        std::string::npos);
}

TEST_CASE("the pause: maintd_paused, and who, when, until when and why while it lasts") {
  Metrics metrics;
  CHECK(metrics.render({}).find("maintd_paused 0\n") != std::string::npos);
  CHECK(metrics.render({}).find("maintd_pause_info{") == std::string::npos);
  Scrape scrape;
  maintd::store::PauseRecord pause;
  pause.id = 3;
  pause.paused_by = "alice@db1";
  pause.reason = "deploy \"42\"";
  pause.paused_at = maintd::store::parse_timestamp("2026-01-01T00:00:01.000Z").value();
  pause.until = maintd::store::parse_timestamp("2026-01-01T00:30:01.000Z").value();
  scrape.pause = pause;
  const std::string text = metrics.render(scrape);
  CHECK(text.find("maintd_paused 1\n") != std::string::npos);
  CHECK(
      text.find(
          R"(maintd_pause_info{paused_by="alice@db1",since="2026-01-01T00:00:01.000Z",until="2026-01-01T00:30:01.000Z",reason="deploy \"42\""} 1)") !=
      std::string::npos);
  CHECK(text.find("maintd_pause_since_timestamp_seconds 1767225601.000\n") != std::string::npos);
  CHECK(text.find("maintd_pause_until_timestamp_seconds 1767227401.000\n") != std::string::npos);
  // Each family's samples follow its own HELP and TYPE.
  CHECK(text.find("# TYPE maintd_pause_info gauge\nmaintd_pause_info{") != std::string::npos);
}
