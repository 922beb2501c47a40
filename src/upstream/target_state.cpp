#include "albatross/upstream/target_state.hpp"

namespace albatross::upstream {

std::string_view health_name(TargetHealth health) {
  switch (health) {
    case TargetHealth::initial:
      return "initial";
    case TargetHealth::healthy:
      return "healthy";
    case TargetHealth::unhealthy:
      return "unhealthy";
    case TargetHealth::unavailable:
      return "unavailable";
    case TargetHealth::draining:
      return "draining";
    case TargetHealth::unused:
      return "unused";
  }
  return "unused";
}

std::string_view reason_code(HealthReason reason) {
  switch (reason) {
    case HealthReason::none:
      return "";
    case HealthReason::initial_health_checking:
      return "Elb.InitialHealthChecking";
    case HealthReason::response_code_mismatch:
      return "Target.ResponseCodeMismatch";
    case HealthReason::timeout:
      return "Target.Timeout";
    case HealthReason::failed_health_checks:
      return "Target.FailedHealthChecks";
    case HealthReason::health_check_disabled:
      return "Target.HealthCheckDisabled";
    case HealthReason::deregistration_in_progress:
      return "Target.DeregistrationInProgress";
    case HealthReason::not_registered:
      return "Target.NotRegistered";
  }
  return "";
}

namespace {
std::uint32_t pack(TargetHealth health, HealthReason reason) {
  return static_cast<std::uint32_t>(health) | (static_cast<std::uint32_t>(reason) << 8);
}
}  // namespace

TargetState::TargetState(std::string id, bool health_checks_enabled)
    : id_(std::move(id)),
      packed_(health_checks_enabled
                  ? pack(TargetHealth::initial, HealthReason::initial_health_checking)
                  : pack(TargetHealth::unavailable, HealthReason::health_check_disabled)) {}

void TargetState::set_health(TargetHealth health, HealthReason reason) {
  packed_.store(pack(health, reason), std::memory_order_release);
}

void TargetState::start_drain(std::int64_t deadline_unix_ms) {
  drain_deadline_ms_.store(deadline_unix_ms == 0 ? 1 : deadline_unix_ms, std::memory_order_release);
}

void TargetState::set_slow_start_begin(SteadyClock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  slow_start_begin_ns_.store(ns == 0 ? 1 : ns, std::memory_order_relaxed);
}

double TargetState::slow_start_weight(SteadyClock::time_point now,
                                      std::chrono::milliseconds duration) const {
  std::int64_t begin = slow_start_begin_ns_.load(std::memory_order_relaxed);
  if (begin == 0 || duration.count() <= 0) return 1.0;
  auto elapsed_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() - begin;
  double total_ns = static_cast<double>(duration.count()) * 1e6;
  if (elapsed_ns >= total_ns) return 1.0;
  double w = static_cast<double>(elapsed_ns) / total_ns;
  // A ramping target always gets a trickle, so it is never starved outright.
  return w < 0.01 ? 0.01 : w;
}

void TargetState::record_check(int status, std::chrono::microseconds latency,
                               std::int64_t unix_ms) {
  last_check_status_.store(status, std::memory_order_relaxed);
  last_check_latency_us_.store(latency.count(), std::memory_order_relaxed);
  last_check_unix_ms_.store(unix_ms, std::memory_order_relaxed);
}

}  // namespace albatross::upstream
