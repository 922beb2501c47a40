#include "albatross/http/worker_context.hpp"

#include <random>

namespace albatross::http {

WorkerContext::WorkerContext(boost::asio::any_io_executor ex, unsigned worker_index,
                             std::shared_ptr<std::atomic<std::int64_t>> process_connections)
    : executor(ex),
      index(worker_index),
      wheel(ex),
      connections(std::move(process_connections)),
      access_log_timer_(ex) {
  std::random_device device;
  rng_[0] = (static_cast<std::uint64_t>(device()) << 32) ^ device() ^ 0x9E3779B97F4A7C15ULL;
  rng_[1] = (static_cast<std::uint64_t>(device()) << 32) ^ device() ^ worker_index;
  request_scratch.fields.reserve(128);
  response_scratch.fields.reserve(128);
}

WorkerContext::~WorkerContext() {
  access_log_.flush();
}

void WorkerContext::log_exchange(const std::shared_ptr<accesslog::AccessLogSink>& sink,
                                 const accesslog::AccessLogRecord& record) {
  if (access_log_.append(sink, record)) {
    // Lines wait at most this long before reaching the writer thread.
    access_log_timer_.expires_after(std::chrono::milliseconds(200));
    access_log_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) access_log_.flush();
    });
  }
}

void WorkerContext::add_session(SessionHook& session, const ListenerSlot* slot) {
  session.slot_ = slot;
  session.prev_ = nullptr;
  session.next_ = sessions_;
  if (sessions_) sessions_->prev_ = &session;
  sessions_ = &session;
  ++session_count_;
}

void WorkerContext::remove_session(SessionHook& session) {
  if (session.prev_) {
    session.prev_->next_ = session.next_;
  } else if (sessions_ == &session) {
    sessions_ = session.next_;
  }
  if (session.next_) session.next_->prev_ = session.prev_;
  session.prev_ = session.next_ = nullptr;
  --session_count_;
  if (draining && session_count_ == 0 && on_empty) on_empty();
}

void WorkerContext::drain() {
  draining = true;
  for (SessionHook* s = sessions_; s != nullptr;) {
    SessionHook* next = s->next_;  // drain() may not remove itself synchronously, but be safe
    s->drain();
    s = next;
  }
  pool.close_all();
}

void WorkerContext::retire(ListenerSlot& slot) {
  slot.retired = true;
  for (SessionHook* s = sessions_; s != nullptr;) {
    SessionHook* next = s->next_;
    if (s->slot_ == &slot) s->drain();
    s = next;
  }
}

void WorkerContext::abort_all() {
  access_log_.flush();
  access_log_timer_.cancel();
  for (SessionHook* s = sessions_; s != nullptr; s = s->next_)
    s->abort();
  pool.close_all();
}

void WorkerContext::next_request_id(char (&out)[32]) {
  // xorshift128+: fast and unpredictable enough for correlation ids (not a secret).
  static constexpr char kHex[] = "0123456789abcdef";
  for (int half = 0; half < 2; ++half) {
    std::uint64_t s1 = rng_[0];
    const std::uint64_t s0 = rng_[1];
    rng_[0] = s0;
    s1 ^= s1 << 23;
    rng_[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    std::uint64_t v = rng_[1] + s0;
    for (int i = 0; i < 16; ++i)
      out[half * 16 + i] = kHex[(v >> (i * 4)) & 0xf];
  }
}

}  // namespace albatross::http
