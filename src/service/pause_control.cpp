// Pausing and resuming (pause_control.hpp).
#include "service/pause_control.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/duration.hpp"
#include "common/utf8.hpp"

namespace maintd::service {
namespace {

std::string utc(store::Timestamp at) {
  return format_utc(std::chrono::floor<std::chrono::seconds>(at));
}

}  // namespace

Expected<PauseOutcome, std::string> pause_everything(store::PauseStore& pauses, const PauseAsk& ask,
                                                     store::Timestamp now) {
  if (ask.duration && ask.duration->count() <= 0) {
    return Unexpected{std::string(
        "a pause lasts longer than 0 s: give --for a duration such as 30m or 1h30m, or no "
        "--for to pause until 'maintd resume'")};
  }
  if (ask.duration && *ask.duration > kLongestPause) {
    return Unexpected{fmt::format(
        "a pause of {} is longer than a year: leave --for out to pause until 'maintd resume'",
        format_duration(*ask.duration))};
  }
  if (ask.reason.size() > kLongestReason) {
    return Unexpected{fmt::format("the reason is {} characters long; at most {} are kept",
                                  ask.reason.size(), kLongestReason)};
  }
  if (std::any_of(ask.reason.begin(), ask.reason.end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return Unexpected{
        std::string("the reason must be one line of text (no line breaks or control characters)")};
  }
  if (valid_utf8(ask.reason) != ask.reason) {
    return Unexpected{std::string("the reason is not valid UTF-8")};
  }
  store::PauseRequest request;
  request.by = ask.by;
  request.reason = ask.reason;
  if (ask.duration) request.until = now + *ask.duration;
  return pauses.pause(request);
}

std::optional<PauseRecord> resume_everything(store::PauseStore& pauses, const std::string& by) {
  return pauses.resume(by);
}

std::string describe_pause(const PauseRecord& pause) {
  std::string out = fmt::format("paused by {} since {}", pause.paused_by, utc(pause.paused_at));
  if (pause.until) out += " until " + utc(*pause.until);
  if (!pause.reason.empty()) out += ": " + pause.reason;
  return out;
}

nlohmann::json pause_to_json(const std::optional<PauseRecord>& pause) {
  if (!pause) return {{"paused", false}};
  return {{"paused", true},
          {"id", pause->id},
          {"paused_by", pause->paused_by},
          {"paused_at", utc(pause->paused_at)},
          {"until", pause->until ? nlohmann::json(utc(*pause->until)) : nlohmann::json()},
          {"reason", pause->reason}};
}

}  // namespace maintd::service
