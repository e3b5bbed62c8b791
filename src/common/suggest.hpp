#pragma once
// "Did you mean ...?" for unknown keys, names, zones and types.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace maintd {

// Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Up to `limit` candidates close enough to `word` to be a plausible typo, closest first.
std::vector<std::string> closest_matches(std::string_view word,
                                         const std::vector<std::string>& candidates,
                                         std::size_t limit = 3);

// " (did you mean 'word'?)" for the closest candidate, or "" when none is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace maintd
