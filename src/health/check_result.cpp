#include "albatross/health/check_result.hpp"

namespace albatross::health {

std::string_view result_name(CheckResult result) {
  switch (result) {
    case CheckResult::pass:
      return "pass";
    case CheckResult::code_mismatch:
      return "code_mismatch";
    case CheckResult::timeout:
      return "timeout";
    case CheckResult::failed:
      return "failed";
  }
  return "failed";
}

upstream::HealthReason failure_reason(CheckResult result) {
  switch (result) {
    case CheckResult::pass:
      return upstream::HealthReason::none;
    case CheckResult::code_mismatch:
      return upstream::HealthReason::response_code_mismatch;
    case CheckResult::timeout:
      return upstream::HealthReason::timeout;
    case CheckResult::failed:
      return upstream::HealthReason::failed_health_checks;
  }
  return upstream::HealthReason::failed_health_checks;
}

}  // namespace albatross::health
