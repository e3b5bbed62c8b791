#pragma once
// Runs the whole CLI in-process (argument parsing included) with string streams, an
// environment of the test's choosing and a fixed "now".
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"

namespace maintd::testing {

struct CliOutcome {
  int code;
  std::string out;
  std::string err;
};

inline CliOutcome run_cli(std::vector<std::string> args,
                          std::map<std::string, std::string> env = {},
                          const std::string& now = "2026-03-28T12:00:00Z") {
  args.insert(args.begin(), "maintd");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  cli::Context context(out, err);
  context.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  const Instant fixed = parse_instant(now, cctz::utc_time_zone()).value();
  context.now = [fixed] { return fixed; };
  const int code = cli::run(static_cast<int>(argv.size()), argv.data(), context);
  return {code, out.str(), err.str()};
}

}  // namespace maintd::testing
