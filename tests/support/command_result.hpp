#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "support/wait.hpp"

namespace albatross::testing {

// What one run of the albatross binary to completion produced.
struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs ALBATROSS_BINARY with `args` (stdin from /dev/null), collecting stdout and stderr.
// Throws if it has not exited by `deadline` (after killing it).
CommandResult run_albatross(const std::vector<std::string>& args,
                            TimePoint deadline = after(std::chrono::seconds(10)));

// `albatross --check -c FILE` on `config_text` written to a temp file; `file` receives the path
// the errors are reported against.
CommandResult run_check(std::string_view config_text, std::string* file = nullptr);

}  // namespace albatross::testing
