// Output cut into bounded lines: see output_lines.hpp.
#include "common/output_lines.hpp"

#include <algorithm>
#include <utility>

namespace maintd::process {

LineSplitter::LineSplitter(std::size_t max_length, Sink sink)
    : max_length_(std::max<std::size_t>(max_length, 1)), sink_(std::move(sink)) {}

void LineSplitter::feed(std::string_view data) {
  while (!data.empty()) {
    const auto newline = data.find('\n');
    const auto piece = data.substr(0, newline);
    if (!cutting_) {
      const auto room = max_length_ - pending_.size();
      pending_.append(piece.substr(0, room));
      if (piece.size() > room) {
        sink_(pending_, true);
        pending_.clear();
        cutting_ = true;
      }
    }
    if (newline == std::string_view::npos) break;
    if (!cutting_) sink_(pending_, false);
    pending_.clear();
    cutting_ = false;
    data.remove_prefix(newline + 1);
  }
}

void LineSplitter::finish() {
  if (!pending_.empty() && !cutting_) sink_(pending_, false);
  pending_.clear();
  cutting_ = false;
}

}  // namespace maintd::process
