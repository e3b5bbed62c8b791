#pragma once
// Instants as handlers compute, bind, write and report them: one precision, the millisecond, on
// every backend and in every place, as maintd's own run timestamps (store/timestamp.hpp). A run
// reads its clock once (run_now); every cutoff is that instant less a threshold (cutoff), and
// every timestamp it writes is that instant. A row is past a threshold when it is strictly older
// than the cutoff: a row exactly `threshold` old is not, one a millisecond older is, whichever
// second the run happens to start in.
//
// Whole seconds would not do: a cutoff rounded to its second moves the threshold by up to a
// second, so which side of it a row falls on would depend on when the run started (and fmt
// prints a time point's seconds without their fraction, which is how that once happened).
#include <chrono>
#include <string>

#include "registry/handler.hpp"

namespace maintd::handlers {

using Millis = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

// The run's clock (registry::HandlerContext::now, injectable in tests), to the millisecond.
Millis run_now(const registry::HandlerContext& context);

// The instant `threshold` before `now`, to the millisecond (a fractional threshold, such as
// 1.5 hours, is rounded to the nearest millisecond).
template <class Rep, class Period>
Millis cutoff(Millis now, std::chrono::duration<Rep, Period> threshold) {
  return now - std::chrono::round<std::chrono::milliseconds>(threshold);
}

// "2026-11-25T12:00:00.250Z": maintd's own timestamps (store/timestamp.hpp, compared as text in
// the state database), and every instant in a result or a message.
std::string utc_text(Millis at);

// "2026-11-25 12:00:00.250": the shape SQLite's CURRENT_TIMESTAMP writes, plus milliseconds, so
// that what a handler writes into an application's table sorts among the application's own
// values, as text and through julianday() alike.
std::string sqlite_text(Millis at);

}  // namespace maintd::handlers
