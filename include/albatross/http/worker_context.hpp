#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>

#include "albatross/accesslog/access_log_sink.hpp"
#include "albatross/common/deadline_wheel.hpp"
#include "albatross/common/string_cache.hpp"
#include "albatross/http/listener_context.hpp"
#include "albatross/http/request_head.hpp"
#include "albatross/http/response_head.hpp"
#include "albatross/upstream/connection_pool.hpp"

namespace albatross::http {

// The current context of one listener on one worker; a reload replaces `current`. Sessions hold
// the slot and re-read it at the start of each exchange. Thread: the worker's.
struct ListenerSlot {
  std::shared_ptr<const ListenerContext> current;
  // A reload removed the listener: `current` will never be replaced again, so its sessions
  // finish the exchange in flight and close rather than serve from a stale configuration.
  bool retired = false;
};

// A live downstream session as its worker tracks it, for graceful shutdown and for retiring the
// listener that accepted it.
class SessionHook {
 public:
  virtual ~SessionHook() = default;
  // Called when the worker starts draining, or the session's listener is retired: idle sessions
  // close now, busy ones after their current exchange.
  virtual void drain() = 0;
  // Called when the worker stops for good: close every socket now.
  virtual void abort() = 0;

 private:
  friend struct WorkerContext;
  SessionHook* prev_ = nullptr;
  SessionHook* next_ = nullptr;
  const ListenerSlot* slot_ = nullptr;
};

// Per-worker resources shared by the sessions of that worker: the deadline wheel, the upstream
// connection pool, scratch space for parsing heads, the request id generator. Thread: the
// worker's only.
struct WorkerContext {
  WorkerContext(boost::asio::any_io_executor executor, unsigned index,
                std::shared_ptr<std::atomic<std::int64_t>> connections);
  ~WorkerContext();

  // `slot`: the listener slot the session was accepted on.
  void add_session(SessionHook& session, const ListenerSlot* slot);
  void remove_session(SessionHook& session);
  // Marks `slot` retired and drains the sessions accepted on it.
  void retire(ListenerSlot& slot);
  // Starts draining: every session is told, and new exchanges answer with Connection: close.
  void drain();
  // Closes every session's sockets (shutdown timeout reached, or the worker stops).
  void abort_all();
  std::size_t session_count() const { return session_count_; }

  // Queues one access-log line; batches go to the sink when full or after a short delay.
  void log_exchange(const std::shared_ptr<accesslog::AccessLogSink>& sink,
                    const accesslog::AccessLogRecord& record);
  void flush_access_log() { access_log_.flush(); }

  // 32 hex digits, fresh for each call.
  void next_request_id(char (&out)[32]);

  boost::asio::any_io_executor executor;
  unsigned index;
  DeadlineWheel wheel;
  upstream::ConnectionPool pool;
  RequestHead request_scratch;
  ResponseHead response_scratch;
  // The head strings of exchanges in flight come from here and go back when they finish.
  StringCache head_strings;
  bool draining = false;
  // Client connections open in the whole process (all workers), for global.max_connections.
  std::shared_ptr<std::atomic<std::int64_t>> connections;
  // Runs when the last session leaves while draining (the worker then reports itself drained).
  std::function<void()> on_empty;

 private:
  accesslog::AccessLogBuffer access_log_;
  boost::asio::steady_timer access_log_timer_;
  SessionHook* sessions_ = nullptr;
  std::size_t session_count_ = 0;
  std::uint64_t rng_[2];
};

}  // namespace albatross::http
