#pragma once

#include <cstdint>
#include <string_view>

#include "albatross/upstream/target_state.hpp"

namespace albatross::health {

// The outcome of one health check, classified as ALB reports it (alb-behaviour.md §2.3).
enum class CheckResult : std::uint8_t {
  pass,           // the status matched the matcher
  code_mismatch,  // a valid response with another status: Target.ResponseCodeMismatch
  timeout,        // no complete response head within the timeout: Target.Timeout
  failed,         // refused, reset, closed early or an invalid response: Target.FailedHealthChecks
};
inline constexpr std::size_t kCheckResultCount = 4;

// "pass", "code_mismatch", "timeout", "failed": the `result` label of the checks counter.
std::string_view result_name(CheckResult result);

// The unhealthy reason a failed check gives; HealthReason::none for a pass.
upstream::HealthReason failure_reason(CheckResult result);

}  // namespace albatross::health
