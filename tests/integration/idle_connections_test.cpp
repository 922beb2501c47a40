// 10,000 idle client connections opened as fast as one thread can: albatross accepts them all
// in bounded memory (RSS per idle connection measured), other clients' requests are not held
// up meanwhile (latency percentiles measured while the connections open and while they are
// held, for a kept-alive connection and for new ones), and everything is released when they go.
// Figures are printed; the bounds are checked in optimised builds without sanitizers.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kWanted = 10'000;

// Raises this process's descriptor limit to its hard limit (albatross, started from here,
// inherits it) and returns how many idle connections that leaves room for.
std::size_t raise_descriptor_limit() {
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  limit.rlim_cur = limit.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  std::size_t room = limit.rlim_cur > 512 ? static_cast<std::size_t>(limit.rlim_cur) - 512 : 0;
  return std::min(kWanted, room);
}

// Opens `count` connections to 127.0.0.1:`port` as fast as non-blocking connects go, then waits
// for every handshake. Returns the descriptors (all connected, or the test fails).
std::vector<int> open_idle(std::uint16_t port, std::size_t count, TimePoint deadline) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> fds;
  fds.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    REQUIRE((rc == 0 || errno == EINPROGRESS));
    fds.push_back(fd);
  }
  std::vector<pollfd> pending;
  for (int fd : fds)
    pending.push_back({fd, POLLOUT, 0});
  while (!pending.empty()) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    REQUIRE(left > 0);
    REQUIRE(::poll(pending.data(), pending.size(), static_cast<int>(left)) >= 0);
    std::vector<pollfd> still;
    for (const pollfd& p : pending) {
      if (p.revents == 0) {
        still.push_back({p.fd, POLLOUT, 0});
        continue;
      }
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &error, &length);
      REQUIRE(error == 0);
    }
    pending.swap(still);
  }
  return fds;
}

struct Percentiles {
  std::size_t count = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

Percentiles percentiles(std::vector<microseconds> samples) {
  Percentiles p;
  p.count = samples.size();
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    std::size_t i = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
    return static_cast<double>(samples[i].count()) / 1000.0;
  };
  p.p50_ms = at(0.50);
  p.p99_ms = at(0.99);
  p.max_ms = static_cast<double>(samples.back().count()) / 1000.0;
  return p;
}

// Requests from another client, timed, until told to stop: one over a kept-alive connection,
// then one over a new connection, in turn.
class Prober {
 public:
  explicit Prober(std::uint16_t port) : port_(port), thread_([this] { run(); }) {}
  ~Prober() { stop(); }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Starts a new phase: the samples of the previous one are returned.
  std::pair<std::vector<microseconds>, std::vector<microseconds>> take() {
    std::lock_guard lock(mutex_);
    return {std::exchange(kept_, {}), std::exchange(fresh_, {})};
  }
  int failures() const { return failures_.load(); }
  // Kept-alive samples taken since the last take().
  std::size_t kept_samples() {
    std::lock_guard lock(mutex_);
    return kept_.size();
  }

 private:
  void run() {
    HttpClient kept(port_);
    while (!stopping_) {
      for (bool fresh : {false, true}) {
        HttpClient once(port_);
        HttpClient& client = fresh ? once : kept;
        TimePoint start = Clock::now();
        bool ok = false;
        try {
          ok = client.get("/", after(seconds(10))).status == 200;
        } catch (const std::exception&) {
        }
        auto took = std::chrono::duration_cast<microseconds>(Clock::now() - start);
        if (!ok) {
          ++failures_;
          kept.close();
          continue;
        }
        std::lock_guard lock(mutex_);
        (fresh ? fresh_ : kept_).push_back(took);
      }
      // Paces the probes (a few thousand a second) without synchronising on anything.
      std::this_thread::sleep_for(microseconds(200));
    }
  }

  std::uint16_t port_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> failures_{0};
  std::mutex mutex_;
  std::vector<microseconds> kept_;   // guarded by mutex_
  std::vector<microseconds> fresh_;  // guarded by mutex_
  std::thread thread_;
};

void report(const char* phase, const std::vector<microseconds>& kept,
            const std::vector<microseconds>& fresh) {
  Percentiles k = percentiles(kept);
  Percentiles f = percentiles(fresh);
  char line[256];
  std::snprintf(line, sizeof line,
                "%-28s kept-alive: n=%zu p50=%.2fms p99=%.2fms max=%.2fms | new connection: n=%zu "
                "p50=%.2fms p99=%.2fms max=%.2fms",
                phase, k.count, k.p50_ms, k.p99_ms, k.max_ms, f.count, f.p50_ms, f.p99_ms,
                f.max_ms);
  MESSAGE(line);
}

TEST_CASE("10,000 idle connections: bounded memory, other clients not held up") {
  const std::size_t count = raise_descriptor_limit();
  if (count < kWanted) MESSAGE("descriptor limit allows only " << count << " connections");
  REQUIRE(count >= 1000);
  Targets targets({"t1"});
  AlbatrossProcess albatross(ConfigText()
                                 .threads(2)
                                 .admin()
                                 .global("max_connections = " + std::to_string(count + 100))
                                 .listener("web", "app")
                                 .target_group("app", targets.ports())
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  const std::uint16_t port = albatross.port("web");
  auto active = [&] {
    return AdminClient(albatross.admin_port())
        .metrics()
        .value("albatross_downstream_connections_active", {{"listener", "web"}});
  };

  // Warm up: the prober's traffic makes both workers' first allocations.
  Prober prober(port);
  REQUIRE(wait_until([&] { return prober.kept_samples() >= 100; }, after(seconds(10))));
  (void)prober.take();
  const std::uint64_t rss_before = albatross.current_rss();
  const std::size_t fds_before = albatross.fd_count();

  TimePoint start = Clock::now();
  std::vector<int> idle = open_idle(port, count, after(seconds(60)));
  auto connected = elapsed_ms(start);
  REQUIRE(wait_until([&] { return active() >= static_cast<double>(count); }, after(seconds(60))));
  auto accepted = elapsed_ms(start);
  auto [flood_kept, flood_fresh] = prober.take();

  // Held: latency with every connection open and idle, over 500 kept-alive samples.
  REQUIRE(wait_until([&] { return prober.kept_samples() >= 500; }, after(seconds(20))));
  auto [held_kept, held_fresh] = prober.take();
  const std::uint64_t rss_held = albatross.current_rss();
  const std::uint64_t peak = albatross.peak_rss();
  CHECK(albatross.fd_count() >= count);

  for (int fd : idle)
    ::close(fd);
  REQUIRE(wait_until([&] { return active() <= 2; }, after(seconds(30))));
  CHECK(wait_until([&] { return albatross.fd_count() <= fds_before; }, after(seconds(30))));
  prober.stop();
  const std::uint64_t rss_after = albatross.current_rss();

  double per_connection = (static_cast<double>(rss_held) - static_cast<double>(rss_before)) /
                          static_cast<double>(count);
  MESSAGE(count << " idle connections: connected in " << connected.count()
                << " ms, all accepted in " << accepted.count() << " ms; RSS " << rss_before / 1024
                << " KiB before, " << rss_held / 1024 << " KiB held (peak " << peak / 1024
                << " KiB), " << rss_after / 1024 << " KiB after: "
                << static_cast<int>(per_connection) << " bytes per idle connection");
  report("while the connections open:", flood_kept, flood_fresh);
  report("while they are held:", held_kept, held_fresh);
  CHECK(prober.failures() == 0);
  CHECK(flood_kept.size() > 0);
  CHECK(held_kept.size() > 100);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && defined(__OPTIMIZE__)
  // Bounds with room for a busy two-core machine (measured: 3.6 KiB per connection; p99 under
  // 0.5 ms while held, 6 to 19 ms during the 0.2 s burst, when the opening client itself takes
  // one of the two cores). A worker stalled by the burst would show here.
  CHECK(per_connection < 6 * 1024);
  CHECK(percentiles(held_kept).p99_ms < 10.0);
  CHECK(percentiles(held_fresh).p99_ms < 10.0);
  CHECK(percentiles(flood_kept).max_ms < 100.0);
#endif
}

}  // namespace
}  // namespace albatross::testing
