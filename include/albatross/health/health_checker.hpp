#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "albatross/common/coroutine.hpp"
#include "albatross/health/health_metrics.hpp"
#include "albatross/health/hysteresis.hpp"
#include "albatross/health/probe.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/upstream/target_group.hpp"

namespace albatross::health {

// Checks every target of every target group whose health checks are enabled and writes the
// verdicts into their TargetState: probes each new target at once, then every `interval` at a
// fixed rhythm, the targets of a group at phases spread evenly over the interval; honours
// workers' early-probe requests (TargetState::report_connect_failure) for targets not already
// unhealthy; starts and ends slow start; logs each state change; keeps the health metrics (the
// catalog must outlive it). Its view of the targets is a copy taken by update(), so it holds no
// reference into any snapshot. Thread: the control context only (every call, every probe).
class HealthChecker {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    // How often workers' probe requests, slow-start ends and draining are looked at.
    std::chrono::milliseconds poll_interval{250};
    // Least time from the start of one check of a target to an early probe of it (capped by the
    // group's interval): a target refusing every connection is not probed in a tight loop.
    std::chrono::milliseconds early_probe_spacing{1000};
  };

  HealthChecker(boost::asio::any_io_executor control, metrics::Catalog& catalog, Options options);
  HealthChecker(boost::asio::any_io_executor control, metrics::Catalog& catalog)
      : HealthChecker(std::move(control), catalog, Options{}) {}
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Takes the target groups of a new snapshot (on start and on every reload). Targets already
  // checked keep their verdict and hysteresis when their identity (id and TargetState) is
  // unchanged, with the new thresholds, path, matcher and timeout applying from their next check;
  // new targets are probed at once; targets no longer declared stop being checked (a check in
  // flight is discarded), their slow start ends and their metrics go. Groups with health checks
  // disabled have their targets shown `unavailable` and are not probed.
  void update(const std::deque<upstream::TargetGroup>& groups);

  // Stops checking (shutdown). Checks in flight end within their timeout; their results are
  // discarded. Idempotent; update() after stop() does nothing.
  void stop();

  // Checks started so far (early probes included), for tests and /status.
  std::uint64_t checks_started() const { return checks_started_; }

 private:
  struct Entry;
  struct Group;

  void service();
  void arm(Clock::time_point when);
  void launch(const std::shared_ptr<Group>& group, const std::shared_ptr<Entry>& entry,
              Clock::time_point now);
  // The checks themselves hold their group and target, never the checker, so a check that
  // completes after stop() or destruction touches nothing that is gone.
  static awaitable<void> run_check(std::shared_ptr<Group> group, std::shared_ptr<Entry> entry,
                                   boost::asio::any_io_executor executor);
  static void apply(Group& group, Entry& entry, const ProbeResult& result);

  boost::asio::any_io_executor executor_;
  Options options_;
  HealthMetrics metrics_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_;                            // the timer's handler holds it weakly
  std::map<std::string, std::shared_ptr<Group>> groups_;   // by group name
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // by target id
  std::uint64_t generation_ = 0;                           // update() calls so far
  std::uint64_t checks_started_ = 0;
  std::minstd_rand random_;
  bool stopped_ = false;
};

}  // namespace albatross::health
