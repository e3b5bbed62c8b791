#include "scheduler/log_setup.hpp"

#include <fmt/format.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "common/json_text.hpp"

namespace maintd::scheduler {

namespace {

using spdlog::details::log_msg;

// Our own names rather than spdlog's level names (which a SPDLOG_LEVEL_NAMES build macro can
// change): they are the words of maintd.yaml's log.level and part of the JSON format.
std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warning";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "info";
  }
}

// The syslog priorities of sd-daemon(3) (SD_DEBUG ... SD_CRIT).
int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

// spdlog::level::from_str maps every unknown word to `off`, which would silence the daemon
// without a word; the config reader only lets these five through.
spdlog::level::level_enum parse_level(const std::string& level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "info") return spdlog::level::info;
  if (level == "warning") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  throw std::invalid_argument("unknown log level '" + level + "'");
}

// "2026-11-24T20:00:01.123Z": always UTC, so that lines from several hosts sort together.
void append_timestamp(std::chrono::system_clock::time_point time, spdlog::memory_buf_t& dest) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss clock{ms - day};
  fmt::format_to(std::back_inserter(dest), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                 static_cast<unsigned>(date.day()), clock.hours().count(), clock.minutes().count(),
                 clock.seconds().count(), clock.subseconds().count());
}

std::string_view payload(const log_msg& msg) {
  return {msg.payload.data(), msg.payload.size()};
}

// journald splits its stream at newlines and gives a line without a prefix the default
// priority, so every line of a multi-line message repeats the prefix: the second line of an
// error stays an error.
class JournalFormatter final : public spdlog::formatter {
 public:
  void format(const log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto prefix = fmt::format("<{}>", syslog_priority(msg.level));
    std::string_view rest = payload(msg);
    while (true) {
      const auto end = rest.find('\n');
      const auto line = rest.substr(0, end);
      dest.append(prefix.data(), prefix.data() + prefix.size());
      dest.append(line.data(), line.data() + line.size());
      dest.push_back('\n');
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JournalFormatter>();
  }
};

// The level is padded to five characters so that the messages of the common levels line up.
class TextFormatter final : public spdlog::formatter {
 public:
  void format(const log_msg& msg, spdlog::memory_buf_t& dest) override {
    append_timestamp(msg.time, dest);
    fmt::format_to(std::back_inserter(dest), " {:<5} {}\n", level_name(msg.level), payload(msg));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }
};

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const log_msg& msg, spdlog::memory_buf_t& dest) override {
    spdlog::memory_buf_t ts;
    append_timestamp(msg.time, ts);
    // ordered_json keeps the documented key order (ts, level, msg) instead of sorting the keys.
    const nlohmann::ordered_json line{{"ts", fmt::to_string(ts)},
                                      {"level", std::string(level_name(msg.level))},
                                      {"msg", std::string(payload(msg))}};
    // `replace`: a message with invalid UTF-8 (a path, a database error) is logged with U+FFFD
    // instead of making dump() throw inside the logger and losing the line.
    const auto text = json_text(line);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

std::unique_ptr<spdlog::formatter> make_formatter(const config::LogSettings& settings,
                                                  const config::Environment& env) {
  if (settings.format == "json") return std::make_unique<JsonFormatter>();
  if (settings.format != "text") {
    throw std::invalid_argument("unknown log format '" + settings.format + "'");
  }
  // systemd sets JOURNAL_STREAM for a service whose stderr is connected to journald.
  if (env && env("JOURNAL_STREAM")) return std::make_unique<JournalFormatter>();
  return std::make_unique<TextFormatter>();
}

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const config::LogSettings& settings,
                                            const config::Environment& env, spdlog::sink_ptr sink) {
  const auto level = parse_level(settings.level);
  auto formatter = make_formatter(settings, env);
  auto logger = std::make_shared<spdlog::logger>("maintd", std::move(sink));
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  return logger;
}

void configure_logging(const config::LogSettings& settings, const config::Environment& env) {
  // The plain (not colour) sink: escape codes would end up in the journal and in JSON lines.
  // _mt because the worker pool logs from several threads. It flushes after every line.
  spdlog::set_default_logger(
      make_logger(settings, env, std::make_shared<spdlog::sinks::stderr_sink_mt>()));
}

}  // namespace maintd::scheduler
