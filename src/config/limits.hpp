#pragma once
// The limits on configuration input (docs/configuration.md, "Limits"). Whatever maintd reads as
// configuration (maintd.yaml, schedule files, `*_file` values, ${VAR} expansions, rows of
// scheduled_tasks, `maintd task add` options) is refused past one of these sizes, at its place,
// with the limit and the actual size: no input, however long, deep or self-referencing, may make
// loading slow, exhaust memory or overflow the stack. Time zone names have theirs in
// cron/time_zone.hpp and database URLs in connection/database_url.hpp, the layers that read them.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace maintd::config {

// One string value or key, after ${VAR} expansion; a `*_file`'s content is a value too.
inline constexpr std::size_t kMaxValueBytes = 64 * 1024;
// maintd.yaml and each schedule file (a task takes about 100 bytes: some 40,000 per file).
inline constexpr std::size_t kMaxFileBytes = 4 * 1024 * 1024;
// Values nested in values: maps and lists in a YAML document, or in a stored config's JSON.
inline constexpr std::size_t kMaxNesting = 64;
// What the aliases of one YAML document may copy, in all: values (each scalar, list and map
// counts one) and bytes of text (scalars and keys). A "billion laughs" file of 658 bytes
// expands to 5 million values at 7 levels; a schedule file sharing a config among 40,000 tasks
// copies some 400,000.
inline constexpr std::size_t kMaxAliasValues = 1'000'000;
inline constexpr std::size_t kMaxAliasBytes = 16 * 1024 * 1024;
// The `config` column of a scheduled_tasks row (JSON text): as much as a whole config file.
inline constexpr std::size_t kMaxConfigColumnBytes = kMaxFileBytes;

// "value is 70000 bytes, more than the limit of 65536 (config values)".
std::string over_limit(std::string_view what, std::size_t size, std::size_t limit,
                       std::string_view kind);

// Why a file was not read. `message` is the reason alone ("not a regular file (a FIFO)",
// "the file is 70000 bytes, larger than 65536 bytes, the limit for a value", "No such file or
// directory"); the caller names the file and says how to fix it.
struct FileError {
  enum class Kind { system, not_regular, too_large };
  Kind kind = Kind::system;
  std::string message;
};

// The content of a regular file of at most `limit` bytes (`what` names the limit in the message:
// "a value (config values)"). Anything else is refused without blocking or reading on: a FIFO,
// a device (/dev/zero), a directory or a socket, and a file larger than the limit, or that grew
// past it while it was read.
Expected<std::string, FileError> read_regular_file(const std::filesystem::path& path,
                                                   std::size_t limit, std::string_view what);

}  // namespace maintd::config
