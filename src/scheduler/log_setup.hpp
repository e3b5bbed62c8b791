#pragma once
// The daemon's log: one spdlog logger whose line format depends on who reads stderr.
//
//   journald (JOURNAL_STREAM set)  <6>message            journald adds its own timestamp and
//                                                         takes the level from the <N> prefix
//   a terminal or a file           2026-11-24T20:00:01.123Z info  message     (UTC)
//   log.format: json               {"ts":"2026-11-24T20:00:01.123Z","level":"info","msg":"message"}
//
// JSON lines never get a <N> prefix: a log shipper parses each line as one JSON document.
#include <spdlog/common.h>
#include <spdlog/logger.h>

#include <memory>

#include "config/config.hpp"
#include "config/environment.hpp"

namespace maintd::scheduler {

// A logger writing to `sink` in the format `settings` and `env` select, filtered at
// settings.level. The seam for tests, which pass an ostream sink and read what was written.
// Throws std::invalid_argument for a level or format the config reader would have rejected.
std::shared_ptr<spdlog::logger> make_logger(const config::LogSettings& settings,
                                            const config::Environment& env, spdlog::sink_ptr sink);

// Replaces spdlog's default logger (what spdlog::info() and friends use) with make_logger()
// writing to stderr.
void configure_logging(const config::LogSettings& settings, const config::Environment& env);

}  // namespace maintd::scheduler
