#include "common/utf8.hpp"

#include <array>

namespace maintd {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Unicode's well-formed byte sequences (3.9, table 3-7) by lead byte: the sequence's length and
// the range its second byte must be in (the later ones are all 80..BF). The narrow second-byte
// ranges are what rule out overlong forms, surrogates and code points above U+10FFFF.
struct Form {
  unsigned char lead_lo, lead_hi;
  std::size_t length;
  unsigned char second_lo, second_hi;
};
constexpr std::array<Form, 8> kForms = {{
    {0xC2, 0xDF, 2, 0x80, 0xBF},
    {0xE0, 0xE0, 3, 0xA0, 0xBF},
    {0xE1, 0xEC, 3, 0x80, 0xBF},
    {0xED, 0xED, 3, 0x80, 0x9F},
    {0xEE, 0xEF, 3, 0x80, 0xBF},
    {0xF0, 0xF0, 4, 0x90, 0xBF},
    {0xF1, 0xF3, 4, 0x80, 0xBF},
    {0xF4, 0xF4, 4, 0x80, 0x8F},
}};

struct Scanned {
  bool valid;
  std::size_t length;  // of the valid sequence, or of the invalid one's maximal subpart
};

// The sequence starting at text[i]. An invalid one spans its lead byte and the bytes that could
// still have continued it, so that one U+FFFD stands for it (Unicode's "maximal subpart", which
// nlohmann's `replace` follows too).
Scanned scan(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  if (byte(0) < 0x80) return {true, 1};
  for (const Form& form : kForms) {
    if (byte(0) < form.lead_lo || byte(0) > form.lead_hi) continue;
    if (i + 1 >= text.size() || byte(1) < form.second_lo || byte(1) > form.second_hi) {
      return {false, 1};
    }
    for (std::size_t k = 2; k < form.length; ++k) {
      if (i + k >= text.size() || byte(k) < 0x80 || byte(k) > 0xBF) return {false, k};
    }
    return {true, form.length};
  }
  return {false, 1};  // a continuation byte, C0, C1 or F5..FF: never a lead
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const Scanned s = scan(text, i);
    if (!s.valid) break;
    i += s.length;
  }
  if (i == text.size()) return std::string(text);  // the usual case: one pass, one copy

  std::string out(text.substr(0, i));
  while (i < text.size()) {
    const Scanned s = scan(text, i);
    out.append(s.valid ? text.substr(i, s.length) : kReplacement);
    i += s.length;
  }
  return out;
}

}  // namespace maintd
