#pragma once

#include <chrono>
#include <string>

namespace albatross::testing {

// One Server-Sent Event and when its last byte arrived.
struct TimedEvent {
  std::string text;
  std::chrono::steady_clock::time_point arrived;
};

}  // namespace albatross::testing
