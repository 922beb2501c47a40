#include "albatross/common/deadline_wheel.hpp"

namespace albatross {

Deadline::~Deadline() {
  if (slot_ != kUnlinked) wheel_->unlink(*this);
}

void Deadline::set(Clock::duration after) {
  set_at(Clock::now() + after);
}

void Deadline::set_at(Clock::time_point when) {
  expired_ = false;
  std::uint32_t slot = wheel_->slot_for(when);
  when_ = when;
  // An entry sitting in an earlier slot stays there: when that slot is visited it is simply
  // moved on. Only a move to an earlier slot needs a relink.
  if (slot_ == kUnlinked) {
    slot_ = slot;
    wheel_->link(*this);
  } else if (slot_ != slot) {
    wheel_->unlink(*this);
    slot_ = slot;
    wheel_->link(*this);
  }
}

void Deadline::clear() {
  expired_ = false;
  when_ = Clock::time_point::max();
  if (slot_ != kUnlinked) wheel_->unlink(*this);
}

DeadlineWheel::DeadlineWheel(boost::asio::any_io_executor executor)
    : timer_(std::move(executor)), slots_(kSlots, nullptr), origin_(Deadline::Clock::now()) {}

DeadlineWheel::~DeadlineWheel() {
  for (Deadline* head : slots_) {
    for (Deadline* d = head; d != nullptr;) {
      Deadline* next = d->next_;
      d->slot_ = Deadline::kUnlinked;
      d->prev_ = d->next_ = nullptr;
      d = next;
    }
  }
}

std::uint32_t DeadlineWheel::slot_for(Deadline::Clock::time_point when) const {
  auto ticks =
      std::chrono::duration_cast<std::chrono::milliseconds>(when - origin_).count() / kTick.count();
  // Never schedule into a tick already processed: such an entry would wait a full revolution.
  std::uint64_t tick = ticks < 0 ? 0 : static_cast<std::uint64_t>(ticks);
  if (tick < next_tick_) tick = next_tick_;
  return static_cast<std::uint32_t>(tick % kSlots);
}

void DeadlineWheel::link(Deadline& d) {
  Deadline*& head = slots_[d.slot_];
  d.prev_ = nullptr;
  d.next_ = head;
  if (head) head->prev_ = &d;
  head = &d;
  ++armed_count_;
  if (!timer_running_) start_timer();
}

void DeadlineWheel::unlink(Deadline& d) {
  if (d.prev_) {
    d.prev_->next_ = d.next_;
  } else {
    slots_[d.slot_] = d.next_;
  }
  if (d.next_) d.next_->prev_ = d.prev_;
  d.prev_ = d.next_ = nullptr;
  d.slot_ = Deadline::kUnlinked;
  --armed_count_;
}

void DeadlineWheel::start_timer() {
  timer_running_ = true;
  timer_.expires_at(origin_ + kTick * static_cast<std::int64_t>(next_tick_ + 1));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) {
      timer_running_ = false;
      return;
    }
    on_tick();
  });
}

void DeadlineWheel::on_tick() {
  auto now = Deadline::Clock::now();
  auto now_tick = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now - origin_).count() / kTick.count());
  // Visit the slots of the ticks that have fully elapsed (at most one revolution's worth). The
  // current tick is left alone: its slot still holds deadlines due later in the tick, and
  // passing it now would strand them for a whole revolution.
  if (now_tick > next_tick_ + kSlots) next_tick_ = now_tick - kSlots;
  std::vector<Deadline*> due;
  for (; next_tick_ < now_tick; ++next_tick_) {
    std::uint32_t slot = static_cast<std::uint32_t>(next_tick_ % kSlots);
    Deadline* d = slots_[slot];
    while (d != nullptr) {
      Deadline* next = d->next_;
      if (d->when_ <= now) {
        unlink(*d);
        due.push_back(d);
      } else if (slot_for(d->when_) != slot) {
        unlink(*d);
        d->slot_ = slot_for(d->when_);
        link(*d);
      }
      d = next;
    }
  }
  // Fire after the walk so callbacks that re-arm deadlines cannot disturb the iteration.
  for (Deadline* d : due) {
    d->when_ = Deadline::Clock::time_point::max();
    d->expired_ = true;
    d->on_expire();
  }
  if (armed_count_ > 0) {
    start_timer();
  } else {
    timer_running_ = false;
  }
}

}  // namespace albatross
