#pragma once
// Run timestamps: UTC, milliseconds, stored as fixed-width ISO-8601 text
// ("2026-03-29T01:00:00.000Z") so that they sort as text and read as time in plain SQL on
// SQLite and PostgreSQL alike.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/instant.hpp"

namespace maintd::store {

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

std::string format_timestamp(Timestamp at);
std::string format_timestamp(Instant at);
std::optional<Timestamp> parse_timestamp(const std::string& text);

// Where "now" comes from: the system clock in production, a fake in tests.
using Clock = std::function<Timestamp()>;
Clock system_clock();

}  // namespace maintd::store
