// ASCII case for protocol words: A-Z only, whatever the locale, every other byte kept.
#include <doctest/doctest.h>

#include "common/ascii.hpp"

TEST_CASE("ascii: lower case and case-blind equality of A-Z only") {
  CHECK(maintd::ascii_lower("Content-Type: HTTPS") == "content-type: https");
  CHECK(maintd::ascii_lower("\xC3\x89T\xC3\x89") == "\xC3\x89t\xC3\x89");  // ÉTÉ: only the T
  CHECK(maintd::ascii_lower("") == "");
  CHECK(maintd::ascii_iequals("Authorization", "AUTHORIZATION"));
  CHECK_FALSE(maintd::ascii_iequals("Authorization", "Authorisation"));
  CHECK_FALSE(maintd::ascii_iequals("a", "ab"));
}
