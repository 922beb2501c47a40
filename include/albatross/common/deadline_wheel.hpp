#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <vector>

namespace albatross {

class DeadlineWheel;

// One timeout owned by a connection. set()/clear() are plain stores plus O(1) list moves, so
// the request path arms and moves deadlines without touching Asio's timer queue or making a
// syscall; the owning DeadlineWheel fires on_expire() from its tick. Thread: the wheel's.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  virtual ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // Fires on_expire() once `after` has elapsed (at the wheel's granularity), unless moved or
  // cleared first. A later set() replaces the earlier deadline.
  void set(Clock::duration after);
  void set_at(Clock::time_point when);
  void clear();
  bool armed() const { return when_ != Clock::time_point::max(); }
  // True from the moment on_expire() ran until the next set()/clear().
  bool expired() const { return expired_; }

 protected:
  explicit Deadline(DeadlineWheel& wheel) : wheel_(&wheel) {}
  // Runs on the wheel's thread at or shortly after the deadline. Must not destroy `this`
  // synchronously (cancel the socket; let the coroutine observe it).
  virtual void on_expire() = 0;

 private:
  friend class DeadlineWheel;
  DeadlineWheel* wheel_;
  Clock::time_point when_ = Clock::time_point::max();
  Deadline* prev_ = nullptr;
  Deadline* next_ = nullptr;
  std::uint32_t slot_ = kUnlinked;
  bool expired_ = false;
  static constexpr std::uint32_t kUnlinked = 0xffffffff;
};

// A hashed timing wheel driven by one steady_timer on a worker's io_context: every timeout of
// that worker costs one list move instead of an Asio timer operation. The granularity is
// kTick (timeouts fire up to one tick late). The timer runs only while deadlines are armed.
// Thread: confined to the io_context's thread.
class DeadlineWheel {
 public:
  static constexpr std::chrono::milliseconds kTick{50};
  static constexpr std::uint32_t kSlots = 4096;  // one revolution = 204.8 s

  explicit DeadlineWheel(boost::asio::any_io_executor executor);
  ~DeadlineWheel();

  std::size_t armed_count() const { return armed_count_; }

 private:
  friend class Deadline;
  void link(Deadline& d);
  void unlink(Deadline& d);
  void start_timer();
  void on_tick();
  std::uint32_t slot_for(Deadline::Clock::time_point when) const;

  boost::asio::steady_timer timer_;
  std::vector<Deadline*> slots_;
  Deadline::Clock::time_point origin_;
  std::uint64_t next_tick_ = 0;  // index of the next tick to process, counted from origin_
  std::size_t armed_count_ = 0;
  bool timer_running_ = false;
};

}  // namespace albatross
