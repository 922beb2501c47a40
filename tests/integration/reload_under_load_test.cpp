// Reload under load: wrk keeps 64 connections busy against albatross (once with keep-alive, once
// with a new connection per request) while the configuration is rewritten and reloaded 50 times,
// alternating between two target lists that add and remove a target. Each reload waits for the
// previous one's log line and for the load to have moved on by kPace requests, so the reloads
// meet connections in every state; wrk is stopped (SIGINT, it then reports) once the last
// reload has seen its share. Not one request may fail: no socket error, no non-2xx response, no
// response albatross generated itself.
//
// Needs wrk (Debian package `wrk`; tests/run.sh installs it). Without it the test reports itself
// skipped (exit code 77). With ALBATROSS_RELOAD_REPORT set to a file path, each run appends its
// figures there.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/spawn.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kReloads = 50;
constexpr int kConnections = 64;
// Requests served between two reloads (and before the first, after the last): about 8 per
// connection, 26,000 in all, about 1 s of load in a Release build. An ASan build serves some 20
// times fewer requests a second: 2 per connection keeps its run within seconds too.
#ifdef __SANITIZE_ADDRESS__
constexpr std::uint64_t kPace = 128;
#else
constexpr std::uint64_t kPace = 500;
#endif
// wrk's own bound, should the test not stop it.
constexpr int kMaxLoadSeconds = 120;

// wrk on PATH, or "" when it is not installed.
std::string find_wrk() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/wrk";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

// What wrk reported. Its "Socket errors" and "Non-2xx or 3xx responses" lines appear only when
// there were some.
struct WrkReport {
  std::uint64_t requests = 0;
  double seconds = 0;
  std::uint64_t connect_errors = 0;
  std::uint64_t read_errors = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t non_2xx_3xx = 0;
  bool parsed = false;
};

WrkReport parse_wrk(const std::string& out) {
  WrkReport r;
  std::smatch m;
  static const std::regex kTotal(R"((\d+) requests in ([\d.]+)(us|ms|s|m|h),)");
  static const std::regex kSocket(
      R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))");
  static const std::regex kNon2xx(R"(Non-2xx or 3xx responses: (\d+))");
  if (std::regex_search(out, m, kTotal)) {
    r.requests = std::stoull(m[1]);
    double value = std::stod(m[2]);
    std::string unit = m[3];
    r.seconds = unit == "us"   ? value / 1e6
                : unit == "ms" ? value / 1e3
                : unit == "m"  ? value * 60
                : unit == "h"  ? value * 3600
                               : value;
    r.parsed = true;
  }
  if (std::regex_search(out, m, kSocket)) {
    r.connect_errors = std::stoull(m[1]);
    r.read_errors = std::stoull(m[2]);
    r.write_errors = std::stoull(m[3]);
    r.timeouts = std::stoull(m[4]);
  }
  if (std::regex_search(out, m, kNon2xx)) r.non_2xx_3xx = std::stoull(m[1]);
  return r;
}

// One wrk run in the background, its output on a pipe; killed (by PID) if still running when
// this goes away.
class WrkRun {
 public:
  WrkRun(const std::string& wrk, std::uint16_t port, bool keep_alive) {
    std::vector<std::string> argv = {wrk,
                                     "-t2",
                                     "-c" + std::to_string(kConnections),
                                     "-d" + std::to_string(kMaxLoadSeconds) + "s",
                                     "--timeout",
                                     "5s"};
    if (!keep_alive) {
      argv.push_back("-H");
      argv.push_back("Connection: close");
    }
    argv.push_back("http://127.0.0.1:" + std::to_string(port) + "/");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    pid_ = spawn(argv, fds[1], fds[1]);
    ::close(fds[1]);
    out_fd_ = fds[0];
    pidfd_ = open_pidfd(pid_);
  }
  ~WrkRun() {
    if (exit_code_ < 0) {
      ::kill(pid_, SIGKILL);
      wait_pid(pid_, pidfd_, -1);
    }
    ::close(out_fd_);
    ::close(pidfd_);
  }

  // wrk stops on SIGINT and prints its report.
  void interrupt() {
    if (running()) ::kill(pid_, SIGINT);
  }

  bool running() {
    if (exit_code_ >= 0) return false;
    exit_code_ = wait_pid(pid_, pidfd_, 0);
    return exit_code_ < 0;
  }

  // Reads wrk's output to its end and waits for it to exit; false past `deadline`.
  bool finish(TimePoint deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
      char buffer[4096];
      ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
      if (n <= 0) break;
      output_.append(buffer, static_cast<std::size_t>(n));
    }
    if (exit_code_ < 0) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      exit_code_ = wait_pid(pid_, pidfd_, static_cast<int>(std::max<long long>(left, 0)));
    }
    return exit_code_ >= 0;
  }

  int exit_code() const { return exit_code_; }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1;
  int exit_code_ = -1;
  std::string output_;
};

void run_under_load(const std::string& wrk, bool keep_alive) {
  Targets targets({"a", "b", "c"});
  auto config = [&](bool with_c) {
    std::vector<std::uint16_t> ports = {targets.port(0), targets.port(1)};
    if (with_c) ports.push_back(targets.port(2));
    return ConfigText()
        .admin("127.0.0.1:0")
        .listener("web", "app")
        .target_group("app", ports, "deregistration_delay = \"30s\"",
                      "interval = \"5s\"\ntimeout = \"2s\"")
        .str();
  };
  AlbatrossProcess albatross(config(false));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  REQUIRE(admin.wait_target_state("app", loopback(targets.port(0)), "healthy", after(seconds(5))));
  REQUIRE(admin.wait_target_state("app", loopback(targets.port(1)), "healthy", after(seconds(5))));

  WrkRun load(wrk, albatross.port("web"), keep_alive);
  // Waits until the targets served kPace more requests: the load is flowing.
  auto wait_for_load = [&] {
    const std::uint64_t from = targets.total_requests();
    REQUIRE(wait_until([&] { return targets.total_requests() >= from + kPace || !load.running(); },
                       after(seconds(30))));
    if (!load.running()) {
      load.finish(after(seconds(5)));
      FAIL("wrk ended early (exit code " << load.exit_code() << "):\n" << load.output());
    }
  };
  wait_for_load();
  const TimePoint reloads_started = Clock::now();
  const std::uint64_t requests_before = targets.total_requests();
  for (int i = 0; i < kReloads; ++i) {
    albatross.rewrite_config(config(i % 2 == 0));
    REQUIRE(albatross.reload(after(seconds(10))));
    wait_for_load();
  }
  const auto reload_time = elapsed_ms(reloads_started);
  const std::uint64_t requests_during = targets.total_requests() - requests_before;
  load.interrupt();
  REQUIRE(load.finish(after(seconds(20))));
  INFO("wrk output:\n" << load.output());
  CHECK(load.exit_code() == 0);

  WrkReport report = parse_wrk(load.output());
  REQUIRE(report.parsed);
  CHECK(report.requests > 0);
  CHECK(report.connect_errors == 0);
  CHECK(report.read_errors == 0);
  CHECK(report.write_errors == 0);
  CHECK(report.timeouts == 0);
  CHECK(report.non_2xx_3xx == 0);
  CHECK(requests_during > 0);
  // albatross answered nothing itself, and every target saw traffic (c for half the reloads).
  MetricsText metrics = admin.metrics();
  CHECK(metrics.value("albatross_responses_total", {{"source", "albatross"}}) == 0);
  CHECK(metrics.value("albatross_responses_total", {{"source", "target"}, {"code_class", "2xx"}}) ==
        doctest::Approx(static_cast<double>(report.requests)).epsilon(0.05));
  CHECK(metrics.value("albatross_config_reloads_total", {{"result", "success"}}) == kReloads + 1);
  CHECK(metrics.value("albatross_config_reloads_total", {{"result", "failure"}}) == 0);
  CHECK(metrics.value("albatross_target_connection_errors_total") == 0);
  for (std::size_t t = 0; t < targets.size(); ++t) {
    CAPTURE(targets.name(t));
    CHECK(targets.requests_served(t) > 0);
  }

  const std::string mode = keep_alive ? "keep-alive" : "Connection: close";
  char line[512];
  std::snprintf(
      line, sizeof line,
      "reload under load (%s): wrk -t2 -c%d: %llu requests in %.2fs (%.0f/s), "
      "%d reloads in %lld ms, %llu requests served during the reloads; socket errors "
      "%llu, non-2xx %llu\n",
      mode.c_str(), kConnections, static_cast<unsigned long long>(report.requests), report.seconds,
      report.seconds > 0 ? static_cast<double>(report.requests) / report.seconds : 0.0, kReloads,
      static_cast<long long>(reload_time.count()), static_cast<unsigned long long>(requests_during),
      static_cast<unsigned long long>(report.connect_errors + report.read_errors +
                                      report.write_errors + report.timeouts),
      static_cast<unsigned long long>(report.non_2xx_3xx));
  std::cout << line << std::flush;
  if (const char* path = std::getenv("ALBATROSS_RELOAD_REPORT"); path && *path) {
    std::ofstream(path, std::ios::app) << line;
  }
}

TEST_CASE("50 reloads under keep-alive load, and under a new connection per request: no failure") {
  const std::string wrk = find_wrk();
  if (wrk.empty()) {
    std::cout << "SKIPPED: wrk is not installed (Debian package wrk; tests/run.sh installs it)\n"
              << std::flush;
    std::_Exit(77);  // ctest's SKIP_RETURN_CODE for the integration tests
  }
  SUBCASE("keep-alive") {
    run_under_load(wrk, true);
  }
  SUBCASE("Connection: close") {
    run_under_load(wrk, false);
  }
}

}  // namespace
}  // namespace albatross::testing
