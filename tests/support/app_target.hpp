#pragma once

// Test-only: one demo target named "app1" on 127.0.0.1:0 (the TLS tests' single backend).

#include <cstdint>

#include "support/targets.hpp"

namespace albatross::testing {

class AppTarget {
 public:
  AppTarget() : targets_({"app1"}) {}
  std::uint16_t port() const { return targets_.port(0); }

 private:
  Targets targets_;
};

}  // namespace albatross::testing
