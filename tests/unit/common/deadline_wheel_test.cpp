#include "albatross/common/deadline_wheel.hpp"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <vector>

namespace albatross {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Scheduling slack on a shared machine: how much later than the wheel's own granularity a
// callback may run before a test calls it late.
constexpr milliseconds kSlack{250};
// The longest any test lets its io_context run; io_context::run_for returns as soon as the
// wheel has nothing armed, so this bound is only reached when a deadline fails to fire.
constexpr std::chrono::seconds kRunLimit{5};

class TestDeadline final : public Deadline {
 public:
  explicit TestDeadline(DeadlineWheel& wheel) : Deadline(wheel) {}

  int fired = 0;
  Clock::time_point fired_at{};
  std::function<void(TestDeadline&)> then;

 private:
  void on_expire() override {
    ++fired;
    fired_at = Clock::now();
    if (then) then(*this);
  }
};

milliseconds since(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<milliseconds>(to - from);
}

TEST_CASE("Deadline fires after its deadline, within the wheel's granularity") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  // 70 ms lands in the wheel's second tick: the first timer wake-up (at 50 ms) visits that tick
  // before the deadline is due, which must not push it a whole revolution away.
  for (milliseconds after : {milliseconds(70), milliseconds(10), milliseconds(130)}) {
    CAPTURE(after.count());
    TestDeadline d(wheel);
    Clock::time_point start = Clock::now();
    d.set(after);
    CHECK(d.armed());
    CHECK(wheel.armed_count() == 1);
    io.restart();
    io.run_for(kRunLimit);
    REQUIRE(d.fired == 1);
    CHECK(since(start, d.fired_at) >= after);
    CHECK(since(start, d.fired_at) < after + DeadlineWheel::kTick + kSlack);
    CHECK(d.expired());
    CHECK_FALSE(d.armed());
    CHECK(wheel.armed_count() == 0);
  }
}

TEST_CASE("Deadline in the past fires at the next tick") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  TestDeadline d(wheel);
  Clock::time_point start = Clock::now();
  d.set_at(start - std::chrono::seconds(10));
  io.run_for(kRunLimit);
  REQUIRE(d.fired == 1);
  CHECK(since(start, d.fired_at) < DeadlineWheel::kTick + kSlack);
}

TEST_CASE("Deadline clear() prevents firing") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  TestDeadline cleared(wheel);
  TestDeadline witness(wheel);  // proves the wheel ran past the cleared deadline
  cleared.set(milliseconds(60));
  witness.set(milliseconds(200));
  cleared.clear();
  CHECK_FALSE(cleared.armed());
  CHECK(wheel.armed_count() == 1);
  cleared.clear();  // idempotent
  CHECK(wheel.armed_count() == 1);
  io.run_for(kRunLimit);
  CHECK(witness.fired == 1);
  CHECK(cleared.fired == 0);
  CHECK_FALSE(cleared.expired());
}

TEST_CASE("Deadline moved earlier fires at the new deadline") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  TestDeadline d(wheel);
  Clock::time_point start = Clock::now();
  d.set(std::chrono::seconds(30));
  d.set(milliseconds(100));
  CHECK(wheel.armed_count() == 1);
  io.run_for(kRunLimit);
  REQUIRE(d.fired == 1);
  CHECK(since(start, d.fired_at) >= milliseconds(100));
  CHECK(since(start, d.fired_at) < milliseconds(100) + DeadlineWheel::kTick + kSlack);
}

TEST_CASE("Deadline moved later does not fire at the old deadline") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  TestDeadline d(wheel);
  Clock::time_point start = Clock::now();
  d.set(milliseconds(60));
  d.set(milliseconds(300));
  CHECK(wheel.armed_count() == 1);
  io.run_for(kRunLimit);
  REQUIRE(d.fired == 1);
  CHECK(since(start, d.fired_at) >= milliseconds(300));
  CHECK(since(start, d.fired_at) < milliseconds(300) + DeadlineWheel::kTick + kSlack);
}

TEST_CASE("Deadline moved later within the same tick does not fire early") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  TestDeadline d(wheel);
  Clock::time_point start = Clock::now();
  d.set_at(start + milliseconds(101));
  d.set_at(start + milliseconds(149));
  io.run_for(kRunLimit);
  REQUIRE(d.fired == 1);
  CHECK(since(start, d.fired_at) >= milliseconds(149));
}

TEST_CASE("Deadline set again from on_expire fires again") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  TestDeadline d(wheel);
  d.then = [](TestDeadline& self) {
    CHECK(self.expired());
    if (self.fired < 3) self.set(milliseconds(20));
    CHECK(self.armed() == (self.fired < 3));
  };
  Clock::time_point start = Clock::now();
  d.set(milliseconds(20));
  io.run_for(kRunLimit);
  CHECK(d.fired == 3);
  CHECK(since(start, d.fired_at) >= milliseconds(60));
  CHECK(wheel.armed_count() == 0);
}

TEST_CASE("Deadline cleared by another deadline's on_expire in the same tick does not fire") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  TestDeadline a(wheel);
  TestDeadline b(wheel);
  // Both are due in the same tick; whichever fires first clears (or re-arms) the other.
  a.then = [&](TestDeadline&) {
    if (b.fired == 0) b.clear();
  };
  b.then = [&](TestDeadline&) {
    if (a.fired == 0) a.set(std::chrono::seconds(60));
  };
  Clock::time_point when = Clock::now() + milliseconds(30);
  a.set_at(when);
  b.set_at(when);
  io.run_one_for(kRunLimit);  // the tick that fires them
  while (a.fired + b.fired == 0 && io.run_one_for(kRunLimit) > 0) {
  }
  CHECK(a.fired + b.fired == 1);
  if (b.fired == 1) {
    CHECK(a.armed());  // re-armed for 60 s, not fired
    a.clear();
  }
  CHECK(wheel.armed_count() == 0);
}

TEST_CASE("DeadlineWheel fires many deadlines, each once and not early") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  std::vector<std::unique_ptr<TestDeadline>> deadlines;
  std::vector<Clock::time_point> due;
  Clock::time_point start = Clock::now();
  for (int i = 0; i < 64; ++i) {
    deadlines.push_back(std::make_unique<TestDeadline>(wheel));
    // Spread over 0..441 ms, set out of order, several per tick.
    Clock::time_point when = start + milliseconds((i * 37) % 64 * 7);
    deadlines.back()->set_at(when);
    due.push_back(when);
  }
  // A few are cleared and a few moved; those moved must fire at the new time only.
  for (int i = 0; i < 64; i += 8) {
    deadlines[i]->clear();
  }
  for (int i = 4; i < 64; i += 8) {
    due[i] = start + milliseconds(500);
    deadlines[i]->set_at(due[i]);
  }
  CHECK(wheel.armed_count() == 56);
  io.run_for(kRunLimit);
  for (int i = 0; i < 64; ++i) {
    CAPTURE(i);
    const TestDeadline& d = *deadlines[i];
    if (i % 8 == 0) {
      CHECK(d.fired == 0);
      continue;
    }
    REQUIRE(d.fired == 1);
    CHECK(d.fired_at >= due[i]);
    CHECK(since(due[i], d.fired_at) < DeadlineWheel::kTick + kSlack);
  }
  CHECK(wheel.armed_count() == 0);
}

TEST_CASE("Deadline destroyed while armed leaves the wheel consistent") {
  boost::asio::io_context io;
  DeadlineWheel wheel(io.get_executor());
  TestDeadline witness(wheel);
  auto doomed = std::make_unique<TestDeadline>(wheel);
  auto neighbour = std::make_unique<TestDeadline>(wheel);
  // All three share a slot: unlinking the middle one must keep the list intact.
  Clock::time_point when = Clock::now() + milliseconds(80);
  witness.set_at(when);
  doomed->set_at(when);
  neighbour->set_at(when);
  CHECK(wheel.armed_count() == 3);
  doomed.reset();
  CHECK(wheel.armed_count() == 2);
  io.run_for(kRunLimit);
  CHECK(witness.fired == 1);
  CHECK(neighbour->fired == 1);
  CHECK(wheel.armed_count() == 0);
}

TEST_CASE("DeadlineWheel destroyed while armed is safe for the io_context and its deadlines") {
  boost::asio::io_context io;
  auto wheel = std::make_unique<DeadlineWheel>(io.get_executor());
  auto d = std::make_unique<TestDeadline>(*wheel);
  d->set(milliseconds(50));
  wheel.reset();
  // The cancelled timer wait still completes on the io_context; it must not touch the wheel.
  io.run_for(kRunLimit);
  CHECK(d->fired == 0);
  d.reset();  // must not touch the wheel either
  CHECK(io.stopped());
}

}  // namespace
}  // namespace albatross
