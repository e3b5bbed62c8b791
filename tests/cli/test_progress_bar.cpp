// The progress bar's text, and that event lines go above it.
#include <doctest/doctest.h>

#include <sstream>

#include "cli/progress_bar.hpp"

using maintd::cli::group_thousands;
using maintd::cli::render_progress;
using maintd::registry::Progress;
using namespace std::chrono_literals;

TEST_CASE("progress with a total draws a bar, the counts, batches and elapsed time") {
  CHECK(render_progress({1200, 5000, "rows", 12}, 3200ms) ==
        "[####----------------] 1,200/5,000 rows, 12 batches, 3.2s");
  CHECK(render_progress({5000, 5000, "rows", 1}, 0ms) ==
        "[####################] 5,000/5,000 rows, 1 batch, 0.0s");
  // More done than announced (rows arrived meanwhile): the bar stays full, never overflows.
  CHECK(render_progress({7, 5, "claims", 1}, 0ms).rfind("[####################] 7/5 claims", 0) ==
        0);
}

TEST_CASE("progress without a total shows counts only") {
  CHECK(render_progress({1234567, std::nullopt, "rows", 3}, 61000ms) ==
        "1,234,567 rows, 3 batches, 61.0s");
  CHECK(render_progress({0, 0, "rows", 0}, 0ms) == "0 rows, 0 batches, 0.0s");
}

TEST_CASE("progress is cut to the terminal width rather than wrapped") {
  CHECK(render_progress({1, 2, "rows", 3}, 0ms, 10).size() == 10);
}

TEST_CASE("thousands are grouped") {
  CHECK(group_thousands(0) == "0");
  CHECK(group_thousands(999) == "999");
  CHECK(group_thousands(1000) == "1,000");
  CHECK(group_thousands(-1234567) == "-1,234,567");
}

TEST_CASE("an event line erases the bar, prints, and redraws it") {
  std::ostringstream out;
  maintd::cli::ProgressBar bar(out);
  bar.update({1, 2, "rows", 1});
  bar.print_line("  info    batch: released 1");
  bar.clear();
  const std::string text = out.str();
  const auto first_bar = text.find("[##########----------] 1/2 rows");
  const auto line = text.find("\r\033[K  info    batch: released 1\n");
  REQUIRE(first_bar != std::string::npos);
  REQUIRE(line != std::string::npos);
  CHECK(first_bar < line);
  CHECK(text.find("1/2 rows", line) != std::string::npos);  // drawn again below the line
  CHECK(text.substr(text.size() - 4) == "\r\033[K");        // and finally erased
}
