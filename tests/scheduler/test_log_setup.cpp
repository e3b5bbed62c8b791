// The daemon's log formats, exactly as written: journald (<N> prefixes, no timestamps), text
// with UTC timestamps, JSON lines; level filtering and JSON escaping.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/log_setup.hpp"
#include "support/temp_dir.hpp"

using maintd::config::Environment;
using maintd::config::LogSettings;
using maintd::scheduler::configure_logging;
using maintd::scheduler::make_logger;
using maintd::testing::TempDir;

namespace {

Environment environment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

const Environment journal = environment({{"JOURNAL_STREAM", "8:123456"}});
const Environment terminal = environment({});

// 2026-11-24T20:00:01.123Z: a fixed instant, so that lines can be compared whole.
spdlog::log_clock::time_point fixed_time() {
  using namespace std::chrono;
  return sys_days{year{2026} / November / 24} + 20h + 1s + 123ms;
}

// Writes each (level, message) through a logger made for `settings` and `env`, at a fixed
// instant, and returns everything the logger wrote.
std::string logged(const LogSettings& settings, const Environment& env,
                   const std::vector<std::pair<spdlog::level::level_enum, std::string>>& lines) {
  std::ostringstream out;
  const auto logger =
      make_logger(settings, env, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  for (const auto& [level, message] : lines) {
    logger->log(fixed_time(), spdlog::source_loc{}, level, message);
  }
  logger->flush();
  return out.str();
}

const std::vector<std::pair<spdlog::level::level_enum, std::string>> every_level = {
    {spdlog::level::trace, "t"}, {spdlog::level::debug, "d"}, {spdlog::level::info, "i"},
    {spdlog::level::warn, "w"},  {spdlog::level::err, "e"},   {spdlog::level::critical, "c"},
};

}  // namespace

TEST_CASE("log_setup: under journald, lines carry the sd-daemon priority and no timestamp") {
  CHECK(logged({.level = "trace", .format = "text"}, journal, every_level) ==
        "<7>t\n<7>d\n<6>i\n<4>w\n<3>e\n<2>c\n");
}

TEST_CASE("log_setup: under journald, every line of a multi-line message keeps its priority") {
  CHECK(logged({.level = "info", .format = "text"}, journal,
               {{spdlog::level::err, "reload failed:\na.yaml:1:2: bad\nb.yaml:3:4: worse"}}) ==
        "<3>reload failed:\n<3>a.yaml:1:2: bad\n<3>b.yaml:3:4: worse\n");
}

TEST_CASE("log_setup: without journald, text lines start with a UTC timestamp and the level") {
  CHECK(logged({.level = "trace", .format = "text"}, terminal, every_level) ==
        "2026-11-24T20:00:01.123Z trace t\n"
        "2026-11-24T20:00:01.123Z debug d\n"
        "2026-11-24T20:00:01.123Z info  i\n"
        "2026-11-24T20:00:01.123Z warning w\n"
        "2026-11-24T20:00:01.123Z error e\n"
        "2026-11-24T20:00:01.123Z critical c\n");
}

TEST_CASE("log_setup: timestamps keep leading zeros and truncate to the millisecond") {
  using namespace std::chrono;
  std::ostringstream out;
  const auto logger =
      make_logger({}, terminal, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  logger->log(sys_days{year{2027} / January / 2} + 3h + 4min + 5s + 6ms + 999us,
              spdlog::source_loc{}, spdlog::level::info, "x");
  CHECK(out.str() == "2027-01-02T03:04:05.006Z info  x\n");
}

TEST_CASE("log_setup: json lines have ts, level and msg in that order, with no prefix") {
  const std::string expected = R"({"ts":"2026-11-24T20:00:01.123Z","level":"info","msg":"i"})"
                               "\n"
                               R"({"ts":"2026-11-24T20:00:01.123Z","level":"warning","msg":"w"})"
                               "\n"
                               R"({"ts":"2026-11-24T20:00:01.123Z","level":"critical","msg":"c"})"
                               "\n";
  const std::vector<std::pair<spdlog::level::level_enum, std::string>> lines = {
      {spdlog::level::info, "i"}, {spdlog::level::warn, "w"}, {spdlog::level::critical, "c"}};
  CHECK(logged({.level = "info", .format = "json"}, terminal, lines) == expected);
  // JOURNAL_STREAM changes nothing: a shipper parses every line as one JSON document.
  CHECK(logged({.level = "info", .format = "json"}, journal, lines) == expected);
}

TEST_CASE("log_setup: json escapes quotes, backslashes, newlines and control characters") {
  const std::string message = "task \"nightly\" said:\nC:\\tmp\tdone\x01";
  const auto out =
      logged({.level = "info", .format = "json"}, terminal, {{spdlog::level::err, message}});
  CHECK(
      out ==
      R"({"ts":"2026-11-24T20:00:01.123Z","level":"error","msg":"task \"nightly\" said:\nC:\\tmp\tdone\u0001"})"
      "\n");
  // One message, one line, and it reads back as what was logged.
  CHECK(out.find('\n') == out.size() - 1);
  CHECK(nlohmann::json::parse(out).at("msg") == message);
}

TEST_CASE("log_setup: json replaces invalid UTF-8 instead of losing the line") {
  const auto out = logged({.level = "info", .format = "json"}, terminal,
                          {{spdlog::level::warn, "bad byte \xff here"}});
  CHECK(nlohmann::json::parse(out).at("msg") == "bad byte \xef\xbf\xbd here");
}

TEST_CASE("log_setup: lines below the configured level are dropped") {
  CHECK(logged({.level = "warning", .format = "text"}, journal, every_level) ==
        "<4>w\n<3>e\n<2>c\n");
  CHECK(logged({.level = "error", .format = "text"}, journal, every_level) == "<3>e\n<2>c\n");
  CHECK(logged({.level = "info", .format = "text"}, journal, every_level) ==
        "<6>i\n<4>w\n<3>e\n<2>c\n");
  CHECK(logged({.level = "debug", .format = "json"}, terminal, {{spdlog::level::trace, "t"}}) ==
        "");
}

TEST_CASE("log_setup: an unknown level or format is an error, not silence") {
  const auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(std::cout);
  CHECK_THROWS_AS(make_logger({.level = "verbose", .format = "text"}, terminal, sink),
                  std::invalid_argument);
  CHECK_THROWS_AS(make_logger({.level = "info", .format = "xml"}, terminal, sink),
                  std::invalid_argument);
}

TEST_CASE("log_setup: configure_logging makes the default logger write to stderr") {
  const auto previous = spdlog::default_logger();
  TempDir dir;
  const auto file = dir.path() / "stderr";
  // stderr (fd 2) goes to a file while the default logger writes, then comes back.
  const int saved = ::dup(2);
  REQUIRE(saved >= 0);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  ::dup2(fd, 2);
  ::close(fd);

  configure_logging({.level = "info", .format = "text"}, journal);
  spdlog::debug("hidden");
  spdlog::warn("slow {}", 1);

  ::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  const auto level = spdlog::default_logger()->level();
  spdlog::set_default_logger(previous);

  std::ifstream in(file);
  const std::string written{std::istreambuf_iterator<char>(in), {}};
  CHECK(written == "<4>slow 1\n");
  CHECK(level == spdlog::level::info);
}
