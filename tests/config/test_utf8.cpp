// common/utf8.hpp and common/json_text.hpp: text that is not UTF-8 (a program's output, a
// Latin-1 row quoted in a database error) is written with U+FFFD instead of failing a run's
// record, an alert or the process.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/json_text.hpp"
#include "common/utf8.hpp"

namespace {

struct Row {
  std::string input;
  std::string expected;
};

const std::string R = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

TEST_CASE("valid_utf8: valid text unchanged, each maximal invalid subpart one U+FFFD") {
  const Row rows[] = {
      {"", ""},
      {"plain ascii", "plain ascii"},
      {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
      {"caf\xE9", "caf" + R},               // Latin-1 e-acute
      {"\xE9t\xE9", R + "t" + R},           // two, apart
      {"\xC0\xAF", R + R},                  // overlong '/': C0 is never a lead
      {"\xE0\x80\xAF", R + R + R},          // overlong: E0 needs A0..BF next
      {"\xED\xA0\x80", R + R + R},          // a surrogate (U+D800)
      {"\xF4\x90\x80\x80", R + R + R + R},  // above U+10FFFF
      {"\xE2\x82", R},                      // truncated at the end: one
      {"\xE2\x82x", R + "x"},               // truncated before ASCII: one
      {"\xF0\x9F\x98", R},                  // truncated 4-byte: one
      {"\x80\xBF", R + R},                  // lone continuation bytes
      {"\xFF\xFE", R + R},                  // never UTF-8
      {std::string("nul\0byte", 8), std::string("nul\0byte", 8)},
  };
  for (const auto& row : rows) {
    CAPTURE(row.input);
    CHECK(maintd::valid_utf8(row.input) == row.expected);
  }
}

TEST_CASE("json_text: invalid UTF-8 inside a value is replaced, never thrown on") {
  const nlohmann::json value = {{"message", "caf\xE9"}};
  CHECK_THROWS(value.dump());  // what the plain dump() does (type_error 316)
  CHECK(maintd::json_text(value) == "{\"message\":\"caf" + R + "\"}");
  CHECK(maintd::json_text(nlohmann::json{{"a", 1}}, 2) == "{\n  \"a\": 1\n}");
  // The agreement that lets the store and JSON show the same text.
  CHECK(maintd::json_text(nlohmann::json(maintd::valid_utf8("x\xE2\x82y\xFF"))) ==
        nlohmann::json("x\xE2\x82y\xFF")
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}
