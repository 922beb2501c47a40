#include "albatross/common/deadline_wheel.hpp"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <vector>

namespace albatross {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct Probe final : Deadline {
  explicit Probe(DeadlineWheel& wheel) : Deadline(wheel) {}
  void on_expire() override {
    fired_at = Clock::now();
    ++fired;
  }
  Clock::time_point armed_at;
  Clock::time_point fired_at;
  int fired = 0;
};

TEST_CASE("DeadlineWheel fires every deadline within a tick of its time, whatever its phase") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  constexpr int kProbes = 24;
  constexpr milliseconds kAfter{120};
  std::vector<std::unique_ptr<Probe>> probes;
  // Armed 7 ms apart, so the deadlines fall at every phase of the 50 ms tick.
  boost::asio::steady_timer stagger(io);
  std::function<void()> arm = [&] {
    auto probe = std::make_unique<Probe>(wheel);
    probe->armed_at = Clock::now();
    probe->set(kAfter);
    probes.push_back(std::move(probe));
    if (probes.size() == kProbes) return;
    stagger.expires_after(milliseconds(7));
    stagger.async_wait([&](const boost::system::error_code&) { arm(); });
  };
  arm();
  boost::asio::steady_timer limit(io, std::chrono::seconds(3));
  limit.async_wait([&](const boost::system::error_code&) { io.stop(); });
  std::function<void()> check_done;
  boost::asio::steady_timer poll(io);
  check_done = [&] {
    bool all = probes.size() == kProbes;
    for (const auto& p : probes)
      all = all && p->fired > 0;
    if (all) return io.stop();
    poll.expires_after(milliseconds(10));
    poll.async_wait([&](const boost::system::error_code&) { check_done(); });
  };
  check_done();
  io.run();

  REQUIRE(probes.size() == kProbes);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    CAPTURE(i);
    const Probe& p = *probes[i];
    REQUIRE(p.fired == 1);
    auto late = std::chrono::duration_cast<milliseconds>(p.fired_at - p.armed_at) - kAfter;
    CAPTURE(late.count());
    CHECK(late >= milliseconds(0));
    CHECK(late <= 2 * DeadlineWheel::kTick);
  }
}

TEST_CASE("DeadlineWheel: a cleared deadline never fires, a moved one fires at its new time") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  Probe cleared(wheel);
  Probe moved(wheel);
  cleared.set(milliseconds(60));
  moved.set(milliseconds(400));
  cleared.clear();
  moved.armed_at = Clock::now();
  moved.set(milliseconds(80));
  io.run_for(milliseconds(300));
  CHECK(cleared.fired == 0);
  CHECK_FALSE(cleared.armed());
  REQUIRE(moved.fired == 1);
  CHECK(moved.expired());
  CHECK(moved.fired_at - moved.armed_at >= milliseconds(80));
  CHECK(moved.fired_at - moved.armed_at <= milliseconds(80) + 2 * DeadlineWheel::kTick);
  CHECK(wheel.armed_count() == 0);
}

}  // namespace
}  // namespace albatross
