#pragma once

#include <chrono>
#include <thread>

namespace albatross::testing {

// Every wait in the integration tests is bounded by a steady-clock deadline.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

inline TimePoint after(Clock::duration d) {
  return Clock::now() + d;
}

inline std::chrono::milliseconds elapsed_ms(TimePoint since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since);
}

// Polls `condition` until it holds or `deadline` passes; returns its last value. For state that
// offers no event to wait on (a counter in another thread, a kernel table); the poll interval
// is short, so this waits for the event, not for a guessed duration. A longer `interval` suits
// conditions that cost a request each (an admin endpoint answered by one control thread).
template <typename Condition>
bool wait_until(Condition condition, TimePoint deadline,
                Clock::duration interval = std::chrono::milliseconds(2)) {
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace albatross::testing
