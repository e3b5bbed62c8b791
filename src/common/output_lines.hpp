#pragma once
// A child's output cut into lines as it arrives, each bounded in length: a program may write a
// megabyte without a newline, and maintd keeps lines (as run events, or the last one as the
// reason a command failed), never the whole stream.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace maintd::process {

class LineSplitter {
 public:
  // `line` without its '\n' (a '\r' before it is kept: the sink decides). `cut`: the line was
  // longer than max_length; its first max_length bytes are given, the rest is skipped.
  using Sink = std::function<void(std::string_view line, bool cut)>;

  LineSplitter(std::size_t max_length, Sink sink);

  // Any piece of the stream, as read.
  void feed(std::string_view data);
  // The stream ended: a last line without a newline is given too.
  void finish();

 private:
  std::size_t max_length_;
  Sink sink_;
  std::string pending_;   // the line so far
  bool cutting_ = false;  // the rest of an over-long line is being skipped
};

}  // namespace maintd::process
