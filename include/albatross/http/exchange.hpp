#pragma once

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/container/small_vector.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "albatross/accesslog/access_log_record.hpp"
#include "albatross/common/byte_buffer.hpp"
#include "albatross/common/coroutine.hpp"
#include "albatross/common/ip_address.hpp"
#include "albatross/http/admission.hpp"
#include "albatross/http/downstream_io.hpp"
#include "albatross/http/head_scanner.hpp"
#include "albatross/http/request_facts.hpp"
#include "albatross/http/response_plan.hpp"
#include "albatross/http/retry_policy.hpp"
#include "albatross/http/worker_context.hpp"
#include "albatross/tls/client_cert_headers.hpp"

namespace albatross::http {

// Runs the exchanges of one downstream connection through their stages:
//   admission  (admit(): head limits already held, desync tier, listener rule → a decision)
//   upstream attempt (pick by stickiness or balancer, connect or reuse, send the head and the
//              body, read the response head; decide_retry() on failure)
//   response   (ResponsePlan, stickiness cookies, the downstream head, access-log fields)
//   relay      (the body in its framing, or the WebSocket tunnel)
// and then accounts (metrics, one access-log line, the target connection back to the pool).
// Client bytes go only through DownstreamIo, so any client protocol can drive these stages.
// The per-exchange state lives here, not in coroutine frames, so that frames stay small enough
// for Asio's per-thread frame cache. Thread: the worker's.
class Exchange {
 public:
  Exchange(DownstreamIo& io, WorkerContext& worker, std::shared_ptr<ListenerSlot> slot,
           const boost::asio::ip::tcp::endpoint& peer);
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // The client's read buffer: request heads and bodies; capacity bounds one upload's memory.
  ByteBuffer& in() { return in_; }
  // The listener context of the next exchange (a reload may have replaced it).
  const ListenerContext& context() const { return *ctx_; }
  const ListenerSlot& slot() const { return *slot_; }
  // The client's certificate, as ALB's mTLS fields for every request of this connection.
  void set_client_cert(tls::ClientCertHeaders fields) { client_cert_ = std::move(fields); }
  bool closing() const { return worker_.draining || slot_->retired; }
  // The last request had no body and nothing of the client's is buffered beyond it: a close
  // now leaves no unread request bytes behind, so it needs no half-close before it.
  bool nothing_unread() const { return bodyless_request_ && in_.empty(); }

  // Serves the request whose complete head is the first `head_size` bytes of in(). True when
  // the connection may carry another request.
  awaitable<bool> serve(std::size_t head_size);
  // Answers a head that never became an exchange (unparseable or over a limit): counted, logged,
  // and the connection is to be closed. `head_request`: no body in the answer.
  awaitable<void> refuse(int status, Reason reason);
  // Closes the target connection in use, if any (the worker stops for good).
  void abort_upstream();
  // Counts bytes moved since the last exchange (the connection closes).
  void flush_byte_counts();

  // Each side's buffer starts at kSmallBuffer, which most heads fit (2,000 exchanges in flight
  // then hold 2 KiB each, not 16; NGINX's client_header_buffer_size is 1 KiB): a head that
  // does not fit moves to kBufferSize and may grow up to the head limit, bodies are read into
  // kBufferSize, and bodies of known length may use kLargeBodyBuffer upstream.
  static constexpr std::size_t kSmallBuffer = ByteBuffer::kSmallCapacity;
  static constexpr std::size_t kBufferSize = 16 * 1024;
  static constexpr std::size_t kMinRead = 2048;
  static constexpr std::size_t kLargeBodyBuffer = 64 * 1024;

 private:
  using Clock = std::chrono::steady_clock;
  using Connection = upstream::UpstreamConnection;

  // Tracks one exchange's claim on a target's in-flight count.
  class OutstandingGuard {
   public:
    ~OutstandingGuard() { reset(); }
    void set(upstream::TargetState* state);
    void reset();

   private:
    upstream::TargetState* state_ = nullptr;
  };

  // Hex chunk-size lines and the buffers of one gathered write; written before the write and
  // dead after it, so one per connection suffices. Made on first use: most connections never
  // re-frame a body, and an idle connection should stay small.
  struct Gather {
    static constexpr std::size_t kMaxChunks = 16;
    std::array<boost::asio::const_buffer, 3 * kMaxChunks + 2> buffers;
    std::size_t count = 0;
    char lines[kMaxChunks][20];
    std::size_t lines_used = 0;

    void clear() { count = lines_used = 0; }
    void push_back(boost::asio::const_buffer b) { buffers[count++] = b; }
    void push_back(std::string_view s) { push_back(boost::asio::buffer(s.data(), s.size())); }
    void push_chunk_line(std::size_t size);
    bool chunks_full() const { return lines_used == kMaxChunks; }
    bool empty() const { return count == 0; }
    std::span<const boost::asio::const_buffer> span() const { return {buffers.data(), count}; }
  };

  // The forwarded exchange in progress.
  struct Forward {
    RequestFacts facts;
    std::string upgrade_protocol;  // facts.upgrade_protocol points here
    const ListenerContext* ctx = nullptr;
    const Route* route = nullptr;
    const upstream::TargetGroup* group = nullptr;
    const upstream::StickyCookie* sticky = nullptr;
    const upstream::Target* sticky_target = nullptr;
    const upstream::Target* target = nullptr;
    bool refresh_cookie = false;
    bool close_after = false;  // an ambiguous head in defensive mode: close both sides after
    boost::container::small_vector<const upstream::Target*, 4> tried;
    std::shared_ptr<Connection> conn;
    OutstandingGuard outstanding;
    HeadScanner response_scanner{HeadLimits{}};
    int connect_attempts = 0;
    bool retried_reused = false;
    bool body_sent = false;
    std::uint64_t body_remaining = 0;
    Clock::time_point sent_at;
    ResponsePlan plan;
  };

  // exchange.cpp: orchestration, generated responses, accounting.
  awaitable<bool> forward_exchange(const ListenerContext& ctx, std::size_t head_size);
  void capture_request(const RequestHead& head, const ListenerContext& ctx);
  void count_admission(const RequestHead& head, const ListenerContext& ctx);
  awaitable<bool> respond(int status, bool close, const Route* route = nullptr);
  awaitable<bool> respond_by_rule(const ListenerContext& ctx, const Rule& rule,
                                  const RuleRequest& request, bool close);
  void begin_record();
  void finish(const ListenerContext& ctx);
  awaitable<bool> write_client(std::span<const boost::asio::const_buffer> buffers,
                               bool more = false);
  awaitable<bool> write_client(std::string_view text);

  // upstream_attempt.cpp: picking, connecting, sending, the response head, retries.
  bool pick_first(const RequestHead& head);
  void build_upstream_head(const RequestHead& head);
  // Runs attempts until a response head is complete (true), or answers the client (false;
  // `keep_alive` then tells whether the connection may go on).
  awaitable<bool> run_attempts(bool& keep_alive);
  AttemptFacts attempt_facts(Connection* conn) const;
  awaitable<std::shared_ptr<Connection>> connect(const upstream::Target& target,
                                                 std::chrono::milliseconds timeout,
                                                 Failure& failure);
  awaitable<bool> start_tls(Connection& conn, const upstream::Target& target,
                            std::chrono::milliseconds timeout);
  awaitable<Failure> read_response_head(Connection& conn);
  void retarget_host(const upstream::Target& next);

  // response_stage.cpp: the response head and its body.
  awaitable<bool> respond_from_target();
  void write_downstream_head(const ResponseHead& response);
  awaitable<bool> relay_length(Connection& conn, std::uint64_t remaining);
  awaitable<bool> relay_chunked(Connection& conn, bool to_chunked);
  awaitable<bool> relay_until_close(Connection& conn, bool to_chunked);

  // request_relay.cpp: the request body, and upstream I/O.
  awaitable<Failure> send_request(Connection& conn);
  awaitable<Failure> send_chunked_body(Connection& conn);
  awaitable<Failure> read_body();
  void credit_body(std::size_t bytes, Clock::duration target_wait = {});
  awaitable<bool> write_body(Connection& conn, std::span<const boost::asio::const_buffer> buffers);
  awaitable<bool> write_upstream(Connection& conn,
                                 std::span<const boost::asio::const_buffer> buffers);
  awaitable<std::pair<boost::system::error_code, std::size_t>> read_upstream(Connection& conn,
                                                                             std::size_t capacity,
                                                                             bool expect_data,
                                                                             bool exclusive = true);

  // tunnel.cpp: after a 101.
  awaitable<void> tunnel(Connection& conn);
  awaitable<void> pump_client_to_target(Connection& conn);
  awaitable<void> pump_target_to_client(Connection& conn);

  DownstreamIo& io_;
  WorkerContext& worker_;
  std::shared_ptr<ListenerSlot> slot_;
  std::shared_ptr<const ListenerContext> ctx_;
  std::string client_address_;
  tls::ClientCertHeaders client_cert_;  // the connection's mTLS fields for targets (may be empty)
  std::uint16_t client_port_ = 0;
  IpAddress client_ip_;  // what source_ip rules compare
  ByteBuffer in_;
  Forward fwd_;
  std::unique_ptr<Gather> gather_;
  Gather& gather();
  std::string upstream_head_;
  std::string downstream_head_;
  std::string sticky_fields_;      // Set-Cookie lines for the current response
  bool logging_ = false;           // the current exchange is access-logged
  bool bodyless_request_ = false;  // the current request has no body (and is no upgrade)
  bool head_request_ = false;      // the current request is HEAD: generated responses have no body
  // The access-log line being filled: made by the first logged exchange (most listeners log
  // nothing, and 2,000 connections would each carry it).
  std::unique_ptr<accesslog::AccessLogRecord> record_;
  Clock::time_point received_at_;
  Clock::time_point body_deadline_;     // the current request body's (credit_body)
  std::weak_ptr<Connection> upstream_;  // the connection in use, for abort_upstream()
};

}  // namespace albatross::http
