// Golden tests: each directory under tests/config/golden holds a maintd.yaml, its schedule
// files, and expected.txt: exactly what `maintd validate` prints about them, warnings first,
// then errors, one per line. A case with errors must load nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.hpp"
#include "support/files.hpp"
#include "support/test_registry.hpp"

namespace fs = std::filesystem;

namespace {

// Runs in the case's directory so that paths print as a user standing there would see them.
struct WorkingDirectory {
  explicit WorkingDirectory(const fs::path& dir) : saved(fs::current_path()) {
    fs::current_path(dir);
  }
  ~WorkingDirectory() { fs::current_path(saved); }
  fs::path saved;
};

}  // namespace

TEST_CASE("config: golden diagnostics, one case per error class") {
  const auto registry = maintd::testing::test_registry();
  std::size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(MAINTD_GOLDEN_DIR)) {
    if (!entry.is_directory()) continue;
    ++cases;
    const std::string name = entry.path().filename().string();
    WorkingDirectory cwd(entry.path());
    maintd::config::LoadOptions options;
    options.config_path = "maintd.yaml";
    options.handlers = &registry;
    options.env = [](const std::string&) { return std::optional<std::string>(); };
    const auto result = maintd::config::load_config(options);

    std::string printed;
    for (const auto& d : result.diagnostics.warnings()) printed += d.to_string() + "\n";
    for (const auto& d : result.diagnostics.errors()) printed += d.to_string() + "\n";
    CAPTURE(name);
    CHECK(printed == maintd::testing::read_text("expected.txt"));
    if (result.diagnostics.has_errors()) {
      CHECK_MESSAGE(!result.config.has_value(), "a config with errors must not load at all");
    }
  }
  CHECK(cases >= 9);
}
