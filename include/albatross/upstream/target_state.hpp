#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace albatross::upstream {

// Target states and reasons as ALB names them (alb-behaviour.md §2.3).
enum class TargetHealth : std::uint8_t {
  initial,
  healthy,
  unhealthy,
  unavailable,
  draining,
  unused
};
enum class HealthReason : std::uint8_t {
  none,
  initial_health_checking,     // Elb.InitialHealthChecking
  response_code_mismatch,      // Target.ResponseCodeMismatch
  timeout,                     // Target.Timeout
  failed_health_checks,        // Target.FailedHealthChecks
  health_check_disabled,       // Target.HealthCheckDisabled
  deregistration_in_progress,  // Target.DeregistrationInProgress
  not_registered,              // Target.NotRegistered
};

std::string_view health_name(TargetHealth health);  // "healthy", ...
std::string_view reason_code(HealthReason reason);  // "Target.Timeout", "" for none

// What albatross observed about one target, kept apart from what the operator declared and
// keyed by the target's identity so it survives reloads (a new snapshot's Target points at the
// same TargetState). Thread: health, check results and drain are written by the control thread;
// workers read them and update the in-flight count; every field is an atomic.
class TargetState {
 public:
  using SteadyClock = std::chrono::steady_clock;

  explicit TargetState(std::string id, bool health_checks_enabled);

  const std::string& id() const { return id_; }

  // Health as the checker decided it (never "draining": see draining()).
  TargetHealth health() const {
    return static_cast<TargetHealth>(packed_.load(std::memory_order_acquire) & 0xff);
  }
  HealthReason reason() const {
    return static_cast<HealthReason>((packed_.load(std::memory_order_acquire) >> 8) & 0xff);
  }
  void set_health(TargetHealth health, HealthReason reason);

  // The state shown to operators: draining wins over health.
  TargetHealth display_state() const { return draining() ? TargetHealth::draining : health(); }
  HealthReason display_reason() const {
    return draining() ? HealthReason::deregistration_in_progress : reason();
  }

  // Draining: no new requests, sticky users re-bound; in-flight exchanges finish.
  bool draining() const { return drain_deadline_ms_.load(std::memory_order_acquire) != 0; }
  // Wall-clock Unix milliseconds when the drain ends (0 = not draining).
  std::int64_t drain_deadline_unix_ms() const {
    return drain_deadline_ms_.load(std::memory_order_acquire);
  }
  void start_drain(std::int64_t deadline_unix_ms);
  void stop_drain() { drain_deadline_ms_.store(0, std::memory_order_release); }

  // In-flight exchanges (least outstanding requests reads it).
  std::int64_t outstanding() const { return outstanding_.load(std::memory_order_relaxed); }
  void begin_exchange() { outstanding_.fetch_add(1, std::memory_order_relaxed); }
  void end_exchange() { outstanding_.fetch_sub(1, std::memory_order_relaxed); }

  // Slow start: the steady-clock time the target last became healthy with others already
  // healthy; zero when not ramping.
  void set_slow_start_begin(SteadyClock::time_point t);
  void clear_slow_start() { slow_start_begin_ns_.store(0, std::memory_order_relaxed); }
  // Share weight in (0, 1]: 1 outside slow start.
  double slow_start_weight(SteadyClock::time_point now, std::chrono::milliseconds duration) const;

  // Last health check, for /status and metrics.
  void record_check(int status, std::chrono::microseconds latency, std::int64_t unix_ms);
  int last_check_status() const { return last_check_status_.load(std::memory_order_relaxed); }
  std::chrono::microseconds last_check_latency() const {
    return std::chrono::microseconds(last_check_latency_us_.load(std::memory_order_relaxed));
  }
  std::int64_t last_check_unix_ms() const {
    return last_check_unix_ms_.load(std::memory_order_relaxed);
  }

  // A worker saw a connect failure: ask the checker for an early probe.
  void report_connect_failure() {
    passive_failures_.fetch_add(1, std::memory_order_relaxed);
    probe_requested_.store(true, std::memory_order_release);
  }
  bool take_probe_request() { return probe_requested_.exchange(false, std::memory_order_acq_rel); }
  std::uint64_t passive_failures() const {
    return passive_failures_.load(std::memory_order_relaxed);
  }

 private:
  std::string id_;
  std::atomic<std::uint32_t> packed_;
  std::atomic<std::int64_t> drain_deadline_ms_{0};
  std::atomic<std::int64_t> outstanding_{0};
  std::atomic<std::int64_t> slow_start_begin_ns_{0};
  std::atomic<int> last_check_status_{0};
  std::atomic<std::int64_t> last_check_latency_us_{-1};
  std::atomic<std::int64_t> last_check_unix_ms_{0};
  std::atomic<bool> probe_requested_{false};
  std::atomic<std::uint64_t> passive_failures_{0};
};

}  // namespace albatross::upstream
