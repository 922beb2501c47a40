#include "albatross/http/downstream_session.hpp"

// GCC 12 pairs Asio's awaitable-frame operator new (its recycling allocator) with the free()
// inside the matching operator delete and reports a mismatch once enough coroutine frames of this
// file are inlined together (it appeared with the TLS instantiation); the pair is Asio's own and
// correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/container/small_vector.hpp>
#include <charconv>

#include "albatross/accesslog/access_log_record.hpp"
#include "albatross/common/log.hpp"
#include "albatross/http/chunked_decoder.hpp"
#include "albatross/http/generated_response.hpp"
#include "albatross/http/head_scanner.hpp"
#include "albatross/http/header_rewrite.hpp"
#include "albatross/tls/handshake_failure.hpp"

namespace albatross::http {
namespace {

namespace net = boost::asio;
using net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

// Read granularity and the buffer each side starts with; heads may grow the buffer up to the
// head limit, bodies never grow it.
constexpr std::size_t kBufferSize = 16 * 1024;
constexpr std::size_t kMinRead = 2048;
constexpr int kMaxConnectAttempts = 3;

template <typename Stream>
tcp::socket& lowest_layer(Stream& stream) {
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    return stream;
  } else {
    return stream.next_layer();  // TLS over the client's socket
  }
}

template <typename Stream>
constexpr bool kPlain = std::is_same_v<Stream, tcp::socket>;

// Reads into `buffer` from a plain socket, or any stream. With `wait_first` on a plain socket
// it waits for readiness before reading: when no data is expected yet (the next request, a
// target's response) this saves the read that would only return EAGAIN, and the buffer is
// taken only once data is there, so an idle connection holds none.
template <typename Stream>
net::awaitable<std::pair<error_code, std::size_t>> read_some_into(Stream& stream,
                                                                  ByteBuffer& buffer,
                                                                  std::size_t capacity,
                                                                  bool wait_first) {
  if constexpr (kPlain<Stream>) {
    if (wait_first) {
      for (;;) {
        auto [wait_ec] = co_await stream.async_wait(tcp::socket::wait_read, use_nothrow);
        if (wait_ec) co_return std::pair{wait_ec, std::size_t{0}};
        char* p = buffer.prepare(kMinRead, capacity);
        error_code ec;
        std::size_t n = stream.read_some(net::buffer(p, buffer.free_space()), ec);
        if (ec == net::error::would_block || ec == net::error::try_again) continue;
        if (!ec) buffer.commit(n);
        co_return std::pair{ec, n};
      }
    }
  }
  char* p = buffer.prepare(kMinRead, capacity);
  auto [ec, n] = co_await stream.async_read_some(net::buffer(p, buffer.free_space()), use_nothrow);
  if (!ec) buffer.commit(n);
  co_return std::pair{ec, n};
}

// Reads from a target: through TLS for HTTPS targets, else exactly the plain socket path. Not a
// coroutine: it hands back the chosen read's awaitable, so the plain path pays one null test.
net::awaitable<std::pair<error_code, std::size_t>> read_upstream(upstream::UpstreamConnection& conn,
                                                                 ByteBuffer& buffer,
                                                                 std::size_t capacity,
                                                                 bool wait_first) {
  if (auto* tls = conn.tls()) return read_some_into(*tls, buffer, capacity, wait_first);
  return read_some_into(conn.socket(), buffer, capacity, wait_first);
}

// How long close_notify may take to leave before the connection is closed anyway.
constexpr std::chrono::seconds kCloseNotifyTimeout{1};

// Hex chunk-size lines for re-encoding bodies, kept alive until their write completes.
struct ChunkLines {
  static constexpr std::size_t kMax = 16;
  char text[kMax][20];
  std::size_t used = 0;

  std::string_view add(std::size_t size) {
    char* line = text[used++];
    auto [end, ec] = std::to_chars(line, line + 16, size, 16);
    end[0] = '\r';
    end[1] = '\n';
    return {line, static_cast<std::size_t>(end + 2 - line)};
  }
  bool full() const { return used == kMax; }
};

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Buffers gathered into one write. Writes take a span over it: Asio copies the buffer sequence
// into the operation, and a span is two words.
struct Gather {
  std::array<net::const_buffer, 3 * ChunkLines::kMax + 2> buffers;
  std::size_t count = 0;
  void push_back(net::const_buffer b) { buffers[count++] = b; }
  bool empty() const { return count == 0; }
  std::span<const net::const_buffer> span() const { return {buffers.data(), count}; }
};

// Why an exchange ended without a target response.
enum class Failure {
  none,
  connect_refused,
  connect_timeout,
  send_failed,
  response_timeout,
  response_invalid,
  response_lost,
  client_lost,
  client_body_invalid,
  client_body_timeout
};

// Tracks one exchange's claim on a target's in-flight count.
class OutstandingGuard {
 public:
  OutstandingGuard() = default;
  OutstandingGuard(const OutstandingGuard&) = delete;
  OutstandingGuard& operator=(const OutstandingGuard&) = delete;
  ~OutstandingGuard() { reset(); }
  void set(upstream::TargetState* state) {
    reset();
    state_ = state;
    if (state_) state_->begin_exchange();
  }
  void reset() {
    if (state_) state_->end_exchange();
    state_ = nullptr;
  }

 private:
  upstream::TargetState* state_ = nullptr;
};

// What the response path needs to know about the request once its head is gone from the buffer.
struct RequestFacts {
  BodyKind body = BodyKind::none;
  std::uint64_t content_length = 0;
  bool keep_alive = true;
  bool http10 = false;
  bool is_head = false;
  bool upgrade = false;
  bool expect_continue = false;
  bool idempotent = false;
  std::string upgrade_protocol;
  bool host_missing = false;  // the upstream head carries the target's authority as Host
};

template <typename Stream>
class DownstreamSession final : public Deadline, public SessionHook {
 public:
  DownstreamSession(Stream stream, WorkerContext& worker, std::shared_ptr<ListenerSlot> slot,
                    tcp::endpoint peer)
      : Deadline(worker.wheel),
        stream_(std::move(stream)),
        worker_(worker),
        slot_(std::move(slot)),
        ctx_(slot_->current),
        connection_metrics_(ctx_->metrics),
        scanner_(ctx_->settings->request_limits) {
    client_address_ = peer.address().to_string();
    client_port_ = peer.port();
    const net::ip::address& address = peer.address();
    client_ip_ = address.is_v4() ? IpAddress::from_v4(address.to_v4().to_bytes())
                                 : IpAddress::from_v6(address.to_v6().to_bytes());
    worker_.add_session(*this, slot_.get());
    connection_metrics_.connections->inc();
    connection_metrics_.connections_active->inc();
  }

  ~DownstreamSession() override {
    worker_.connections->fetch_sub(1, std::memory_order_relaxed);  // taken at accept
    worker_.remove_session(*this);
    connection_metrics_.connections_active->dec();
  }

  net::awaitable<void> run() {
    error_code ignored;
    lowest_layer(stream_).set_option(tcp::no_delay(true), ignored);
    if constexpr (kPlain<Stream>) stream_.non_blocking(true, ignored);
    if constexpr (!kPlain<Stream>) {
      if (!co_await handshake()) {
        lowest_layer(stream_).close(ignored);
        co_return;
      }
    }
    for (;;) {
      if (!co_await read_request_head()) break;
      if (!co_await exchange()) break;
    }
    co_await close_connection();
  }

  void drain() override {
    if (idle_) {
      error_code ignored;
      lowest_layer(stream_).cancel(ignored);
    }
  }

  void abort() override {
    error_code ignored;
    lowest_layer(stream_).close(ignored);
    if (auto upstream = upstream_.lock()) upstream->close();
  }

 private:
  void on_expire() override {
    error_code ignored;
    lowest_layer(stream_).cancel(ignored);
  }

  const ListenerContext& ctx() const { return *ctx_; }

  // TLS listeners: the handshake, within handshake_timeout. Failures are counted by reason and
  // not logged (scanners and broken clients would flood the log).
  net::awaitable<bool> handshake() {
    set(ctx_->tls->handshake_timeout());
    auto [ec] = co_await stream_.async_handshake(net::ssl::stream_base::server, use_nothrow);
    bool timed_out = expired();
    clear();
    if (ec) {
      auto reason = tls::classify_handshake_failure(ec, timed_out);
      ctx_->tls_handshake_failures[static_cast<std::size_t>(reason)]->inc();
      co_return false;
    }
    bool resumed = SSL_session_reused(stream_.native_handle()) == 1;
    (resumed ? ctx_->tls_handshakes_resumed : ctx_->tls_handshakes_new)->inc();
    co_return true;
  }

  // Sends close_notify without waiting for the client's: marking the client's as received lets
  // the shutdown complete once ours is written. Errors (the client left) are expected.
  net::awaitable<void> send_close_notify() {
    if (!lowest_layer(stream_).is_open()) co_return;
    SSL* ssl = stream_.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    set(kCloseNotifyTimeout);
    co_await stream_.async_shutdown(use_nothrow);
    clear();
  }

  //--------------------------------------------------------------------------------------------
  // Downstream I/O

  template <typename Buffers>
  net::awaitable<bool> write_client(const Buffers& buffers) {
    set(ctx().config.idle_timeout);
    auto [ec, n] = co_await net::async_write(stream_, buffers, use_nothrow);
    // A reader that took too little for idle_timeout (slow read): what remains in the kernel's
    // send buffer would still trickle out after a close, holding that memory and the peer's
    // hopes, so the connection is reset instead.
    if (ec && expired()) reset_on_close_ = true;
    clear();
    sent_bytes_ += n;
    co_return !ec;
  }

  net::awaitable<bool> write_client(std::string_view text) {
    co_return co_await write_client(net::buffer(text.data(), text.size()));
  }

  // Sends a response albatross generated; returns whether the connection may carry on.
  net::awaitable<bool> respond(int status, bool close, const Route* route = nullptr) {
    record_.status = status;
    ctx().metrics.count_generated(status);
    if (route) route->metrics.generated_responses[metrics::code_class_index(status)]->inc();
    std::string_view text = generated_response(status, close, head_request_);
    bool ok = co_await write_client(text);
    co_return ok && !close;
  }

  // Answers with a rule's redirect or fixed response; returns whether the connection may carry
  // on. A redirect that needs the request's host when it has none usable gets 400.
  net::awaitable<bool> respond_by_rule(const ListenerContext& ctx, const RuleAction& action,
                                       const metrics::RuleMetrics& rule_metrics,
                                       const RuleRequest& request, bool close) {
    std::string_view bytes;
    if (action.redirect) {
      std::string_view path = request.path;
      if (!path.empty() && path.front() == '/') path.remove_prefix(1);
      RedirectSource source{ctx.scheme, request.host, ctx.port_text, path, request.query};
      std::optional<std::string_view> location =
          action.redirect->respond(source, close, downstream_head_);
      if (!location) {
        if (logging_) record_.actions = {};
        co_return co_await respond(400, close);
      }
      if (logging_) record_.redirect_url.assign(*location);
      record_.status = action.redirect->status();
      bytes = downstream_head_;
    } else {
      record_.status = action.fixed_response->status();
      bytes = action.fixed_response->bytes(close, head_request_);
    }
    rule_metrics.generated->inc();
    bool ok = co_await write_client(bytes);
    co_return ok && !close;
  }

  // Reads the next request head into in_. False when the connection should end (the client
  // left, timed out, or sent something answered with an error).
  net::awaitable<bool> read_request_head() {
    const HeadLimits& limits = ctx().settings->request_limits;
    // Limits of the current snapshot: the one the scanner was made with may be gone by now.
    scanner_ = HeadScanner(limits);
    bool header_deadline = false;
    for (;;) {
      if (!in_.empty()) {
        switch (scanner_.scan(in_.view())) {
          case HeadScanner::Status::complete:
            clear();
            co_return true;
          case HeadScanner::Status::incomplete:
            break;
          case HeadScanner::Status::bare_line_break:
            co_return co_await refuse_head(
                400, scanner_.in_start_line() ? Reason::bad_uri : Reason::bad_header);
          case HeadScanner::Status::start_line_too_long:
            co_return co_await refuse_head(414);
          case HeadScanner::Status::field_line_too_long:
          case HeadScanner::Status::head_too_large:
          case HeadScanner::Status::too_many_fields:
            co_return co_await refuse_head(431);
        }
        if (!header_deadline) {
          // The slowloris bound: the whole head must arrive within header_timeout of its first
          // byte.
          set(ctx().config.header_timeout);
          header_deadline = true;
        }
      } else {
        if (worker_.draining || slot_->retired) co_return false;
        in_.release_if_empty();
        set(ctx().config.idle_timeout);
        idle_ = true;
      }
      // Heads beyond the usual buffer may grow it up to the head limit, once.
      std::size_t capacity =
          in_.size() + kMinRead > kBufferSize ? limits.max_head + kMinRead : kBufferSize;
      auto [ec, n] = co_await read_some_into(stream_, in_, capacity, idle_ || in_.empty());
      idle_ = false;
      if (ec || n == 0) {
        bool timed_out = expired();
        clear();
        // A partial head that stopped arriving gets 408; an idle connection just closes (a 408
        // there would race the client's next request).
        if (timed_out && !in_.empty()) co_await refuse_head(408);
        co_return false;
      }
      received_bytes_ += n;
      if (in_.size() > limits.max_head + 2) {
        co_return co_await refuse_head(431);
      }
    }
  }

  // A request that never became an exchange (unparseable or over a limit): answered, counted,
  // logged, and the connection closed.
  net::awaitable<bool> refuse_head(int status, Reason reason = Reason::compliant) {
    logging_ = ctx().settings->access_log != nullptr;
    if (logging_) {
      begin_record();
      if (reason != Reason::compliant) {
        record_.classification = tier_name(tier_of(reason));
        record_.classification_reason = reason_name(reason);
      }
    }
    if (reason != Reason::compliant) ctx().desync[static_cast<std::size_t>(reason)]->inc();
    head_request_ = in_.view().starts_with("HEAD ");
    co_await respond(status, true);
    finish_exchange(ctx());
    co_return false;
  }

  //--------------------------------------------------------------------------------------------
  // One exchange

  net::awaitable<bool> exchange() {
    if (slot_->current.get() != ctx_.get()) ctx_ = slot_->current;  // a reload published a new one
    std::shared_ptr<const ListenerContext> pinned = ctx_;
    logging_ = ctx_->settings->access_log != nullptr;
    if (logging_) begin_record();
    bool keep_alive = co_await forward_exchange(*pinned);
    finish_exchange(*pinned);
    co_return keep_alive;
  }

  // Counts the exchange's bytes and writes its access-log line.
  void finish_exchange(const ListenerContext& ctx) {
    if (logging_) {
      auto now = std::chrono::system_clock::now();
      record_.time_us =
          std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
      record_.received_bytes = received_bytes_;
      record_.sent_bytes = sent_bytes_;
      record_.listener = ctx.name;
      record_.listener_port = static_cast<std::uint16_t>(std::atoi(ctx.port_text.c_str()));
      worker_.log_exchange(ctx.settings->access_log, record_);
    }
    ctx.metrics.sent_bytes->inc(std::exchange(sent_bytes_, 0));
    ctx.metrics.received_bytes->inc(std::exchange(received_bytes_, 0));
  }

  void begin_record() {
    record_.reset();
    record_.type = ctx_->scheme == "https" ? "https" : "http";
    if constexpr (!kPlain<Stream>) {
      // OpenSSL's names (as ALB logs them); both strings are static in OpenSSL.
      SSL* ssl = stream_.native_handle();
      record_.tls_cipher = SSL_get_cipher_name(ssl);
      record_.tls_protocol = SSL_get_version(ssl);
      const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
      if (sni != nullptr) record_.sni.assign(sni);
    }
    record_.request_creation_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
    record_.client = client_address_;
    record_.client.push_back(':');
    record_.client.append(std::to_string(client_port_));
    received_at_ = Clock::now();
  }

  static double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
  }

  net::awaitable<bool> forward_exchange(const ListenerContext& ctx) {
    const std::size_t head_size = scanner_.head_size();
    RequestHead& head = worker_.request_scratch;
    parse_request_head(in_.view().substr(0, head_size), ctx.settings->parse_options, head);
    // Consuming only moves the read position: `head` views stay valid until in_ is next
    // written, which happens after the upstream head has been built from them.
    in_.consume(head_size);
    head_request_ = head.is_head;
    if (logging_) {
      record_.method.assign(head.method);
      record_.uri.assign(head.target);
      record_.host.assign(head.host.empty() ? std::string_view(ctx.config.bind.host) : head.host);
      record_.version = head.version == 10 ? "HTTP/1.0" : "HTTP/1.1";
      for (const Field& f : head.fields) {
        if (f.id == FieldId::user_agent) record_.user_agent.assign(f.value);
        if (f.id == FieldId::x_request_id) record_.request_id.assign(f.value);
      }
      if (head.tier != Tier::compliant) {
        record_.classification = tier_name(head.tier);
        record_.classification_reason = reason_name(head.reason);
      }
    }

    // Desync mitigation (alb-behaviour.md §4.7).
    if (head.tier != Tier::compliant) ctx.desync[static_cast<std::size_t>(head.reason)]->inc();
    if (head.invalid_field_names > 0) ctx.invalid_headers_dropped->inc();
    if (head.forwarded_invalid_names > 0) ctx.invalid_headers_forwarded->inc();
    DesyncMode mode = ctx.settings->desync_mode;
    if (head.tier == Tier::severe) co_return co_await respond(head.error_status(), true);
    if (mode == DesyncMode::strictest && head.tier >= Tier::acceptable) {
      co_return co_await respond(400, true);
    }
    bool close_after = head.tier == Tier::ambiguous && mode == DesyncMode::defensive;
    bool body_pending = head.body != BodyKind::none;
    if (head.is_trace) co_return co_await respond(405, body_pending || close_after);
    if (head.expect_unsupported) co_return co_await respond(417, true);

    // Listener rules (alb-behaviour.md §5): the first matching priority, else the default rule.
    const RuleRequest rule_request = RuleRequest::from(head, client_ip_);
    const Rule& rule = ctx.rules.match(rule_request);
    const metrics::RuleMetrics& rule_metrics = ctx.rule_metrics[ctx.rules.index_of(rule)];
    rule_metrics.matches->inc();
    if (logging_) {
      record_.matched_rule_priority = rule.priority;
      record_.actions = rule.action.name();
    }
    if (rule.action.kind != RuleAction::Kind::forward) {
      bool close = body_pending || close_after || !head.keep_alive || head.version == 10 ||
                   worker_.draining || slot_->retired;
      co_return co_await respond_by_rule(ctx, rule.action, rule_metrics, rule_request, close);
    }
    const Route& route = ctx.routes[rule.action.route];
    const upstream::TargetGroup& group = *route.group;
    route.metrics.requests->inc();
    if (logging_) record_.target_group = group.name();

    RequestFacts facts;
    facts.body = head.body;
    facts.content_length = head.content_length;
    facts.keep_alive = head.keep_alive;
    facts.http10 = head.version == 10;
    facts.is_head = head.is_head;
    facts.upgrade = head.upgrade;
    facts.expect_continue = head.expect_continue && head.version == 11;
    facts.idempotent = head.idempotent();
    if (head.upgrade) facts.upgrade_protocol = head.upgrade_protocol;
    facts.host_missing = head.host.empty();

    boost::container::small_vector<const upstream::Target*, 4> tried;
    auto now = Clock::now();
    const upstream::StickyCookie* sticky = group.sticky_cookie();
    const upstream::Target* sticky_target = nullptr;
    bool refresh_cookie = false;
    if (sticky) sticky_target = follow_sticky_cookie(head, group, *sticky, refresh_cookie);
    const upstream::Target* target = sticky_target;
    if (target == nullptr) {
      upstream::PickResult pick = group.pick(tried, now);
      if (pick.target == nullptr) {
        co_return co_await respond(503, body_pending || close_after, &route);
      }
      if (pick.fail_open) group.metrics().fail_open->inc();
      target = pick.target;
    }

    char request_id[32];
    worker_.next_request_id(request_id);
    ForwardContext forward{client_address_,
                           ctx.scheme,
                           ctx.port_text,
                           target->authority,
                           std::string_view(request_id, sizeof request_id),
                           sticky ? std::string_view(sticky->name()) : std::string_view{},
                           sticky ? std::string_view(sticky->cors_name()) : std::string_view{}};
    write_upstream_request(head, forward, upstream_head_);
    if (logging_ && record_.request_id.empty())
      record_.request_id.assign(request_id, sizeof request_id);

    // Connect (or reuse), send the head, and read the response head; retry where safe.
    OutstandingGuard outstanding;
    std::shared_ptr<upstream::UpstreamConnection> conn;
    bool body_sent = false;
    bool retried_reused = false;
    bool fresh_only = false;
    int connect_attempts = 0;
    std::uint64_t body_remaining =
        facts.body == BodyKind::content_length ? facts.content_length : 0;
    Failure failure = Failure::none;
    Clock::time_point sent_at;
    ResponseHead& response = worker_.response_scratch;
    HeadScanner response_scanner(ctx.settings->response_limits);
    for (;;) {
      outstanding.set(target->state.get());
      conn = fresh_only ? nullptr : worker_.pool.acquire(target->state.get());
      // A reload switched the group between http and https: pooled connections do not fit.
      if (conn && (conn->tls() != nullptr) != (target->tls != nullptr)) conn = nullptr;
      if (!conn) {
        conn = co_await connect(*target, group.config().connect_timeout, failure);
        if (!conn) {
          target->metrics.connection_errors->inc();
          target->state->report_connect_failure();
          tried.push_back(target);
          if (++connect_attempts < kMaxConnectAttempts) {
            upstream::PickResult next = group.pick(tried, Clock::now());
            if (next.target != nullptr) {
              group.metrics().retry_connect->inc();
              if (facts.host_missing) {
                // The Host albatross supplied named the target that failed: name the new one.
                std::string line = str_cat("\r\nHost: ", target->authority, "\r\n");
                std::size_t at = upstream_head_.find(line);
                if (at != std::string::npos) {
                  upstream_head_.replace(at + 8, target->authority.size(), next.target->authority);
                }
              }
              target = next.target;
              continue;
            }
          }
          co_return co_await respond(failure == Failure::connect_timeout ? 504 : 502,
                                     body_pending || close_after, &route);
        }
      }
      upstream_ = conn;
      target->metrics.requests->inc();
      sent_at = Clock::now();
      if (logging_) {
        record_.target = target->authority;
        record_.request_processing = seconds_between(received_at_, sent_at);
      }
      failure = co_await send_request(*conn, facts, body_remaining, body_sent);
      if (failure == Failure::none) {
        failure =
            co_await read_response_head(*conn, group.config().response_timeout, response_scanner);
      }
      if (failure == Failure::none) break;
      bool nothing_received = conn->buffer().empty();
      conn->close();
      if (failure == Failure::client_lost) co_return false;
      // A body that stalled or crawled (slow POST): 408, and nothing after it can be framed.
      if (failure == Failure::client_body_timeout) co_return co_await respond(408, true, &route);
      // A malformed chunked request body: nothing after it can be framed (RFC 9112 §6.3).
      if (failure == Failure::client_body_invalid) co_return co_await respond(400, true, &route);
      // The keep-alive race: a reused connection the target closed before answering.
      if ((failure == Failure::send_failed || failure == Failure::response_lost) &&
          conn->reused() && nothing_received && !retried_reused && facts.idempotent &&
          body_remaining == 0 && facts.body != BodyKind::chunked) {
        retried_reused = true;
        fresh_only = true;
        group.metrics().retry_reused_connection->inc();
        conn.reset();
        continue;
      }
      co_return co_await respond(failure == Failure::response_timeout ? 504 : 502, true, &route);
    }
    Clock::time_point response_at = Clock::now();
    group.metrics().response_time->observe_micros(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(response_at - sent_at).count()));
    if (logging_) record_.target_processing = seconds_between(sent_at, response_at);

    // The response head is complete in the connection's buffer.
    ByteBuffer& upstream_in = conn->buffer();
    std::size_t response_head_size = response_scanner.head_size();
    parse_response_head(upstream_in.view().substr(0, response_head_size), facts.is_head, response);
    if (!response.valid || (response.status == 101 && !facts.upgrade)) {
      conn->close();
      co_return co_await respond(502, true, &route);
    }
    const int status = response.status;
    bool upgrade = status == 101;
    record_.status = status;
    record_.target_status = status;
    if (logging_) {
      record_.response_processing = seconds_between(response_at, Clock::now());
      if (upgrade) record_.type = record_.type == "https" ? "wss" : "ws";
    }
    bool client_keep_alive =
        facts.keep_alive && !close_after && !worker_.draining && !slot_->retired && !upgrade;
    ClientFraming framing = ClientFraming::none;
    switch (response.body) {
      case ResponseBody::none:
        framing = ClientFraming::none;
        break;
      case ResponseBody::content_length:
        framing = ClientFraming::content_length;
        break;
      case ResponseBody::chunked:
      case ResponseBody::until_close:
        framing = facts.http10 ? ClientFraming::until_close : ClientFraming::chunked;
        break;
    }
    if (framing == ClientFraming::until_close) client_keep_alive = false;
    // Unread request body (the target answered early): the client connection cannot be reused.
    if (!body_sent && facts.body != BodyKind::none) client_keep_alive = false;
    bool upstream_keep_alive = response.keep_alive && !close_after && body_sent;
    ResponseBody upstream_body = response.body;
    std::uint64_t response_length = response.content_length;

    // Stickiness: (re)bind when the client had no usable cookie, the request moved to another
    // target, or the binding's sliding window needs refreshing.
    sticky_fields_.clear();
    if (sticky && (refresh_cookie || target != sticky_target)) {
      auto now_wall = std::chrono::system_clock::now();
      upstream::StickyPayload payload{target->sticky_id, group.sticky_group_id(),
                                      std::chrono::floor<std::chrono::seconds>(now_wall)};
      std::array<char, upstream::StickyCodec::kValueSize> value;
      if (ctx.settings->sticky_codec->encode_to(payload, value)) {
        sticky->append_set_cookie(sticky_fields_, std::string_view(value.data(), value.size()),
                                  now_wall + group.config().stickiness.duration);
      }
    }

    ResponseContext rc;
    rc.extra_fields = sticky_fields_;
    rc.framing = framing;
    rc.keep_alive = client_keep_alive;
    rc.client_http10 = facts.http10;
    rc.upgrade = upgrade;
    rc.upgrade_protocol = facts.upgrade_protocol;
    write_downstream_response(response, rc, downstream_head_);
    upstream_in.consume(response_head_size);  // `response` views are dead from here on
    route.metrics.target_responses[metrics::code_class_index(status)]->inc();

    bool ok = false;
    if (upgrade) {
      if (co_await write_client(net::buffer(downstream_head_))) co_await tunnel(*conn);
      conn->close();
      co_return false;
    }
    switch (upstream_body) {
      case ResponseBody::none:
        ok = co_await write_client(net::buffer(downstream_head_));
        break;
      case ResponseBody::content_length:
        ok = co_await relay_length(*conn, response_length);
        break;
      case ResponseBody::chunked:
        ok = co_await relay_chunked(*conn, framing == ClientFraming::chunked);
        break;
      case ResponseBody::until_close:
        ok = co_await relay_until_close(*conn, framing == ClientFraming::chunked);
        upstream_keep_alive = false;
        break;
    }
    outstanding.reset();
    if (ok && upstream_keep_alive) {
      worker_.pool.release(std::move(conn), group.config().keepalive_timeout,
                           static_cast<std::size_t>(group.config().max_idle_connections));
    } else {
      conn->close();
    }
    co_return ok&& client_keep_alive;
  }

  // The target a valid sticky cookie binds this request to, or nullptr (counted as non-sticky
  // with its reason). `refresh` is set when the binding should be re-issued: new, re-bound, or
  // older than a tenth of the duration (the sliding window, see conf/albatross.toml).
  const upstream::Target* follow_sticky_cookie(const RequestHead& head,
                                               const upstream::TargetGroup& group,
                                               const upstream::StickyCookie& cookie,
                                               bool& refresh) {
    enum Reason { none = 0, invalid = 1, expired = 2, target_unavailable = 3 };
    std::optional<std::string_view> value;
    for (const Field& f : head.fields) {
      if (f.id == FieldId::cookie && (value = cookie.find(f.value))) break;
    }
    Reason reason = none;
    if (value) {
      upstream::DecodeResult decoded = ctx().settings->sticky_codec->decode(*value);
      auto now = std::chrono::system_clock::now();
      auto duration = group.config().stickiness.duration;
      if (!decoded.ok()) {
        reason = invalid;
      } else if (decoded.payload.group_id != group.sticky_group_id()) {
        reason = target_unavailable;  // AWSALB is shared by every group, as in ALB
      } else if (upstream::is_expired(decoded.payload, now, duration)) {
        reason = expired;
      } else {
        const upstream::Target* t = group.find_sticky(decoded.payload.target_id);
        // When no target of the group is routable the group fails open; a bound user then stays
        // where they are rather than being spread at random.
        bool usable =
            t != nullptr &&
            (upstream::TargetGroup::routable(*t) ||
             (group.config().fail_open && !t->state->draining() && !group.any_routable()));
        if (usable) {
          refresh = now - decoded.payload.bound_at > duration / 10;
          return t;
        }
        reason = target_unavailable;
      }
    }
    group.metrics().non_sticky[reason]->inc();
    refresh = true;
    return nullptr;
  }

  //--------------------------------------------------------------------------------------------
  // Upstream I/O

  net::awaitable<std::shared_ptr<upstream::UpstreamConnection>> connect(
      const upstream::Target& target, std::chrono::milliseconds timeout, Failure& failure) {
    auto conn = std::make_shared<upstream::UpstreamConnection>(worker_.executor, worker_.wheel,
                                                               target.state, target.metrics);
    upstream_ = conn;
    conn->set(timeout);
    auto [ec, endpoint] =
        co_await net::async_connect(conn->socket(), target.endpoints, use_nothrow);
    bool timed_out = conn->expired();
    conn->clear();
    if (ec) {
      failure = timed_out ? Failure::connect_timeout : Failure::connect_refused;
      co_return nullptr;
    }
    conn->mark_connected();
    error_code ignored;
    conn->socket().set_option(tcp::no_delay(true), ignored);
    conn->socket().non_blocking(true, ignored);
    if (target.tls && !co_await start_tls(*conn, target, timeout)) {
      failure = Failure::connect_refused;  // as ALB: a failed TLS handshake to a target is 502
      co_return nullptr;
    }
    co_return conn;
  }

  // HTTPS targets: TLS over the connected socket, the handshake within connect_timeout.
  net::awaitable<bool> start_tls(upstream::UpstreamConnection& conn, const upstream::Target& target,
                                 std::chrono::milliseconds timeout) {
    tls::SslPtr session = target.tls->new_session(target.address.host);
    if (!session) co_return false;
    conn.start_tls(std::move(session));
    conn.set(timeout);
    auto [ec] = co_await conn.tls()->async_handshake(net::ssl::stream_base::client, use_nothrow);
    conn.clear();
    co_return !ec;
  }

  template <typename Buffers>
  net::awaitable<bool> write_upstream(upstream::UpstreamConnection& conn, const Buffers& buffers) {
    conn.set(ctx().config.idle_timeout);
    error_code ec;
    if (auto* tls = conn.tls()) {
      std::tie(ec, std::ignore) = co_await net::async_write(*tls, buffers, use_nothrow);
    } else {
      std::tie(ec, std::ignore) = co_await net::async_write(conn.socket(), buffers, use_nothrow);
    }
    conn.clear();
    co_return !ec;
  }

  // The slow-POST bound (listener body_timeout and body_min_rate): the body's deadline starts
  // body_timeout after it is first expected, grows by 1 s per body_min_rate bytes received, and
  // never lies more than body_timeout ahead. Time spent waiting for the target to take the body
  // is added back: a slow target is not the client's doing.
  void credit_body(std::size_t bytes, Clock::duration target_wait = {}) {
    const config::ListenerConfig& c = ctx().config;
    auto now = Clock::now();
    body_deadline_ += target_wait;
    if (c.body_min_rate > 0) {
      body_deadline_ += std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(static_cast<double>(bytes) / c.body_min_rate));
    } else if (bytes > 0) {
      body_deadline_ = now + c.body_timeout;
    }
    body_deadline_ = std::min(body_deadline_, now + c.body_timeout);
  }

  // Reads more of the request body into in_ under the body deadline.
  net::awaitable<Failure> read_body() {
    set_at(body_deadline_);
    auto [ec, n] = co_await read_some_into(stream_, in_, kBufferSize, false);
    bool timed_out = expired();
    clear();
    if (ec || n == 0) co_return timed_out ? Failure::client_body_timeout : Failure::client_lost;
    received_bytes_ += n;
    credit_body(n);
    co_return Failure::none;
  }

  // Writes body bytes to the target; the wait is not charged to the client's body deadline.
  template <typename Buffers>
  net::awaitable<bool> write_body(upstream::UpstreamConnection& conn, const Buffers& buffers) {
    auto started = Clock::now();
    bool ok = co_await write_upstream(conn, buffers);
    credit_body(0, Clock::now() - started);
    co_return ok;
  }

  // Sends the request head and body. The body streams from the client through in_, whose
  // capacity bounds the memory one upload can take.
  net::awaitable<Failure> send_request(upstream::UpstreamConnection& conn,
                                       const RequestFacts& facts, std::uint64_t& remaining,
                                       bool& body_sent) {
    if (facts.body == BodyKind::none) {
      body_sent = true;
      co_return co_await write_upstream(conn, net::buffer(upstream_head_)) ? Failure::none
                                                                           : Failure::send_failed;
    }
    if (facts.expect_continue && in_.empty()) {
      // ALB answers 100 Continue itself and forwards the request without Expect (§4.3).
      if (!co_await write_client(kContinueResponse)) co_return Failure::client_lost;
    }
    body_deadline_ = Clock::now() + ctx().config.body_timeout;
    if (facts.body == BodyKind::content_length) {
      std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), remaining));
      credit_body(first);
      std::array<net::const_buffer, 2> buffers{net::buffer(upstream_head_),
                                               net::buffer(in_.data(), first)};
      if (!co_await write_body(conn, buffers)) co_return Failure::send_failed;
      in_.consume(first);
      remaining -= first;
      while (remaining > 0) {
        if (Failure f = co_await read_body(); f != Failure::none) co_return f;
        std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), remaining));
        if (!co_await write_body(conn, net::buffer(in_.data(), take)))
          co_return Failure::send_failed;
        in_.consume(take);
        remaining -= take;
      }
      body_sent = true;
      co_return Failure::none;
    }
    // Chunked: decode what the client sent and re-encode it with clean chunk lines.
    credit_body(in_.size());
    if (!co_await write_body(conn, net::buffer(upstream_head_))) co_return Failure::send_failed;
    ChunkedDecoder decoder;
    for (;;) {
      Gather gather;
      ChunkLines lines;
      std::size_t consumed = 0;
      bool done = false;
      while (consumed < in_.size() && !lines.full()) {
        ChunkedDecoder::Step step = decoder.decode(in_.view().substr(consumed));
        if (step.error) co_return Failure::client_body_invalid;
        consumed += step.consumed;
        if (!step.data.empty()) {
          std::string_view line = lines.add(step.data.size());
          gather.push_back(net::buffer(line.data(), line.size()));
          gather.push_back(net::buffer(step.data.data(), step.data.size()));
          gather.push_back(net::buffer(kCrlf.data(), kCrlf.size()));
        }
        if (step.done) {
          gather.push_back(net::buffer(kLastChunk.data(), kLastChunk.size()));
          done = true;
          break;
        }
        if (step.consumed == 0) break;
      }
      if (!gather.empty() && !co_await write_body(conn, gather.span()))
        co_return Failure::send_failed;
      in_.consume(consumed);
      if (done) break;
      if (Failure f = co_await read_body(); f != Failure::none) co_return f;
    }
    body_sent = true;
    co_return Failure::none;
  }

  net::awaitable<Failure> read_response_head(upstream::UpstreamConnection& conn,
                                             std::chrono::milliseconds timeout,
                                             HeadScanner& scanner) {
    ByteBuffer& buffer = conn.buffer();
    conn.set(timeout);
    for (;;) {
      scanner.reset();
      for (;;) {
        if (!buffer.empty()) {
          HeadScanner::Status status = scanner.scan(buffer.view());
          if (status == HeadScanner::Status::complete) break;
          if (status != HeadScanner::Status::incomplete) {
            conn.clear();
            co_return Failure::response_invalid;
          }
        }
        auto [ec, n] = co_await read_upstream(conn, buffer, kBufferSize, true);
        if (ec || n == 0) {
          bool timed_out = conn.expired();
          conn.clear();
          if (timed_out) co_return Failure::response_timeout;
          co_return buffer.empty() ? Failure::response_lost : Failure::response_invalid;
        }
      }
      // 1xx interim responses: 100 was answered by albatross already; others (103) pass on.
      std::string_view head = buffer.view().substr(0, scanner.head_size());
      bool interim = head.size() > 12 && head.starts_with("HTTP/1.") && head[9] == '1' &&
                     head.substr(9, 3) != "101";
      if (!interim) break;
      if (head.substr(9, 3) != "100") {
        std::string copy(head);
        if (!co_await write_client(std::string_view(copy))) {
          conn.clear();
          co_return Failure::client_lost;
        }
      }
      buffer.consume(scanner.head_size());
    }
    conn.clear();
    co_return Failure::none;
  }

  // Response body of known length: head and first bytes in one write, then stream.
  net::awaitable<bool> relay_length(upstream::UpstreamConnection& conn, std::uint64_t remaining) {
    ByteBuffer& buffer = conn.buffer();
    std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), remaining));
    std::array<net::const_buffer, 2> head_and_body{net::buffer(downstream_head_),
                                                   net::buffer(buffer.data(), first)};
    if (!co_await write_client(head_and_body)) co_return false;
    buffer.consume(first);
    remaining -= first;
    while (remaining > 0) {
      conn.set(ctx().config.idle_timeout);
      auto [ec, n] = co_await read_upstream(conn, buffer, kBufferSize, false);
      conn.clear();
      if (ec || n == 0) co_return false;
      std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), remaining));
      if (!co_await write_client(net::buffer(buffer.data(), take))) co_return false;
      buffer.consume(take);
      remaining -= take;
    }
    co_return true;  // bytes beyond the body keep the connection out of the pool (release())
  }

  // Chunked response body, decoded and sent on as it arrives (Server-Sent Events must not
  // wait), re-encoded for HTTP/1.1 clients or raw until close for HTTP/1.0 ones.
  net::awaitable<bool> relay_chunked(upstream::UpstreamConnection& conn, bool to_chunked) {
    ByteBuffer& buffer = conn.buffer();
    ChunkedDecoder decoder;
    bool head_written = false;
    for (;;) {
      Gather gather;
      if (!head_written) gather.push_back(net::buffer(downstream_head_));
      ChunkLines lines;
      std::size_t consumed = 0;
      bool done = false;
      while (consumed < buffer.size() && !lines.full()) {
        ChunkedDecoder::Step step = decoder.decode(buffer.view().substr(consumed));
        if (step.error) {
          // Pass on what was valid (the head at least): the client then sees the response cut
          // off, where it would otherwise get no response at all.
          if (!gather.empty()) co_await write_client(gather.span());
          co_return false;
        }
        consumed += step.consumed;
        if (!step.data.empty()) {
          if (to_chunked) {
            std::string_view line = lines.add(step.data.size());
            gather.push_back(net::buffer(line.data(), line.size()));
          }
          gather.push_back(net::buffer(step.data.data(), step.data.size()));
          if (to_chunked) gather.push_back(net::buffer(kCrlf.data(), kCrlf.size()));
        }
        if (step.done) {
          if (to_chunked) gather.push_back(net::buffer(kLastChunk.data(), kLastChunk.size()));
          done = true;
          break;
        }
        if (step.consumed == 0) break;
      }
      if (!gather.empty()) {
        if (!co_await write_client(gather.span())) co_return false;
        head_written = true;
      }
      buffer.consume(consumed);
      if (done) co_return true;
      conn.set(ctx().config.idle_timeout);
      auto [ec, n] = co_await read_upstream(conn, buffer, kBufferSize, false);
      conn.clear();
      if (ec || n == 0) co_return false;
    }
  }

  // Body delimited by the target closing: re-chunked for HTTP/1.1 clients (whose connection
  // then survives), raw for HTTP/1.0 ones.
  net::awaitable<bool> relay_until_close(upstream::UpstreamConnection& conn, bool to_chunked) {
    ByteBuffer& buffer = conn.buffer();
    bool head_written = false;
    for (;;) {
      Gather gather;
      if (!head_written) gather.push_back(net::buffer(downstream_head_));
      ChunkLines lines;
      if (!buffer.empty()) {
        if (to_chunked) {
          std::string_view line = lines.add(buffer.size());
          gather.push_back(net::buffer(line.data(), line.size()));
        }
        gather.push_back(net::buffer(buffer.data(), buffer.size()));
        if (to_chunked) gather.push_back(net::buffer(kCrlf.data(), kCrlf.size()));
      }
      if (!gather.empty()) {
        if (!co_await write_client(gather.span())) co_return false;
        head_written = true;
      }
      buffer.clear();
      conn.set(ctx().config.idle_timeout);
      auto [ec, n] = co_await read_upstream(conn, buffer, kBufferSize, false);
      conn.clear();
      if (ec == net::error::eof) {
        if (to_chunked) co_return co_await write_client(kLastChunk);
        co_return true;
      }
      if (ec || n == 0) co_return false;
    }
  }

  // After a 101: bytes flow both ways until each side has closed its half; idle_timeout bounds
  // silence in either direction.
  net::awaitable<void> tunnel(upstream::UpstreamConnection& conn) {
    using namespace net::experimental::awaitable_operators;
    co_await (pump_client_to_target(conn) && pump_target_to_client(conn));
  }

  net::awaitable<void> pump_client_to_target(upstream::UpstreamConnection& conn) {
    for (;;) {
      if (!in_.empty()) {
        if (!co_await write_upstream(conn, net::buffer(in_.data(), in_.size()))) break;
        in_.clear();
      }
      set(ctx().config.idle_timeout);
      auto [ec, n] = co_await read_some_into(stream_, in_, kBufferSize, false);
      clear();
      if (ec == net::error::eof) {
        error_code ignored;
        conn.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (ec) break;
    }
    // Either side failed: end both directions.
    error_code ignored;
    conn.socket().close(ignored);
    lowest_layer(stream_).cancel(ignored);
  }

  net::awaitable<void> pump_target_to_client(upstream::UpstreamConnection& conn) {
    ByteBuffer& buffer = conn.buffer();
    for (;;) {
      if (!buffer.empty()) {
        if (!co_await write_client(net::buffer(buffer.data(), buffer.size()))) break;
        buffer.clear();
      }
      conn.set(ctx().config.idle_timeout);
      auto [ec, n] = co_await read_upstream(conn, buffer, kBufferSize, false);
      conn.clear();
      if (ec == net::error::eof) {
        error_code ignored;
        lowest_layer(stream_).shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (ec) break;
    }
    error_code ignored;
    lowest_layer(stream_).cancel(ignored);
    conn.socket().close(ignored);
  }

  net::awaitable<void> close_connection() {
    clear();
    ctx().metrics.sent_bytes->inc(std::exchange(sent_bytes_, 0));
    ctx().metrics.received_bytes->inc(std::exchange(received_bytes_, 0));
    if constexpr (!kPlain<Stream>) {
      if (!reset_on_close_) co_await send_close_notify();
    }
    error_code ignored;
    if (reset_on_close_) {
      lowest_layer(stream_).set_option(net::socket_base::linger(true, 0), ignored);
    } else {
      // Half-close first so a response still in flight is not cut by a reset when unread
      // request bytes remain in the kernel buffer.
      lowest_layer(stream_).shutdown(tcp::socket::shutdown_send, ignored);
    }
    lowest_layer(stream_).close(ignored);
    co_return;
  }

  Stream stream_;
  WorkerContext& worker_;
  std::shared_ptr<ListenerSlot> slot_;
  std::shared_ptr<const ListenerContext> ctx_;
  metrics::ListenerMetrics connection_metrics_;  // of the listener that accepted the connection
  std::string client_address_;
  std::uint16_t client_port_ = 0;
  IpAddress client_ip_;  // what source_ip rules compare
  ByteBuffer in_;
  HeadScanner scanner_;
  std::string upstream_head_;
  std::string downstream_head_;
  std::string sticky_fields_;  // Set-Cookie lines for the current response
  std::uint64_t received_bytes_ = 0;
  std::uint64_t sent_bytes_ = 0;
  bool idle_ = false;
  bool logging_ = false;         // the current exchange is access-logged
  bool head_request_ = false;    // the current request is HEAD: generated responses have no body
  bool reset_on_close_ = false;  // a write to the client timed out: close with a reset
  accesslog::AccessLogRecord record_;
  Clock::time_point received_at_;
  Clock::time_point body_deadline_;  // the current request body's (credit_body)
  std::weak_ptr<upstream::UpstreamConnection> upstream_;  // the connection in use, for abort()
};

}  // namespace

template <typename Stream>
net::awaitable<void> serve_downstream(Stream stream, WorkerContext& worker,
                                      std::shared_ptr<ListenerSlot> slot, tcp::endpoint peer) {
  auto session =
      std::make_unique<DownstreamSession<Stream>>(std::move(stream), worker, std::move(slot), peer);
  co_await session->run();
}

template net::awaitable<void> serve_downstream<tcp::socket>(tcp::socket, WorkerContext&,
                                                            std::shared_ptr<ListenerSlot>,
                                                            tcp::endpoint);
template net::awaitable<void> serve_downstream<net::ssl::stream<tcp::socket>>(
    net::ssl::stream<tcp::socket>, WorkerContext&, std::shared_ptr<ListenerSlot>, tcp::endpoint);

}  // namespace albatross::http
