// Output cut into bounded lines as it arrives: pieces that split a line, lines longer than the
// limit, a last line without a newline.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/output_lines.hpp"

namespace {

// What a splitter with max_length 5 gives for `pieces` fed in turn and then finished: each line,
// "+" after a cut one.
std::vector<std::string> split(const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  maintd::process::LineSplitter lines(5, [&](std::string_view line, bool cut) {
    out.push_back(std::string(line) + (cut ? "+" : ""));
  });
  for (const auto& piece : pieces) lines.feed(piece);
  lines.finish();
  return out;
}

}  // namespace

TEST_CASE("output lines: split at newlines, bounded in length, the last one without a newline") {
  struct Row {
    const char* what;
    std::vector<std::string> pieces;
    std::vector<std::string> lines;
  };
  const Row rows[] = {
      {"two lines", {"ab\ncd\n"}, {"ab", "cd"}},
      {"a line over two reads", {"a", "b", "c\n"}, {"abc"}},
      {"a line of exactly the limit", {"abcde\n"}, {"abcde"}},
      {"a longer line is cut once", {"abcdefgh\nxy\n"}, {"abcde+", "xy"}},
      {"cut across reads", {"abc", "defg", "hij\nk\n"}, {"abcde+", "k"}},
      {"a last line without a newline", {"ab\ncd"}, {"ab", "cd"}},
      {"an unfinished long line", {"abcdefg"}, {"abcde+"}},
      {"carriage returns are the sink's", {"a\r\n"}, {"a\r"}},
      {"empty lines", {"\n\n"}, {"", ""}},
      {"nothing", {}, {}},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.what));
    CHECK(split(row.pieces) == row.lines);
  }
}
