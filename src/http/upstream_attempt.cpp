// The upstream attempt stage of Exchange: the target by stickiness or balancer, a pooled or new
// connection, the request sent, the response head read; failures go through decide_retry().

#include "albatross/http/exchange.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // see exchange.cpp

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/socket_io.hpp"
#include "albatross/common/str_cat.hpp"
#include "albatross/http/header_rewrite.hpp"
#include "albatross/http/sticky_binding.hpp"

namespace albatross::http {

namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

// The first target: the one a valid sticky cookie names, else the balancer's pick. False when
// no target can be picked.
bool Exchange::pick_first(const RequestHead& head) {
  Forward& f = fwd_;
  const upstream::TargetGroup& group = *f.group;
  f.sticky = group.sticky_cookie();
  f.sticky_target = nullptr;
  f.refresh_cookie = false;
  if (f.sticky) {
    StickyBinding binding =
        StickyBinding::follow(head.fields, group, *f.sticky, *f.ctx->settings->sticky_codec,
                              std::chrono::system_clock::now());
    if (binding.target == nullptr) {
      group.metrics().non_sticky[static_cast<std::size_t>(binding.miss)]->inc();
    }
    f.sticky_target = binding.target;
    f.refresh_cookie = binding.refresh;
  }
  f.target = f.sticky_target;
  if (f.target == nullptr) {
    upstream::PickResult pick = group.pick(f.tried, Clock::now());
    if (pick.target == nullptr) return false;
    if (pick.fail_open) group.metrics().fail_open->inc();
    f.target = pick.target;
  }
  return true;
}

void Exchange::build_upstream_head(const RequestHead& head) {
  Forward& f = fwd_;
  char request_id[32];
  worker_.next_request_id(request_id);
  ForwardContext forward{client_address_,
                         f.ctx->scheme,
                         f.ctx->port_text,
                         f.target->authority,
                         std::string_view(request_id, sizeof request_id),
                         f.sticky ? std::string_view(f.sticky->name()) : std::string_view{},
                         f.sticky ? std::string_view(f.sticky->cors_name()) : std::string_view{},
                         client_cert_.empty() ? nullptr : &client_cert_};
  write_upstream_request(head, forward, upstream_head_);
  if (logging_ && record_->request_id.empty())
    record_->request_id.assign(request_id, sizeof request_id);
}

// The Host albatross supplied (the request had none) named the target that failed: name `next`.
void Exchange::retarget_host(const upstream::Target& next) {
  const upstream::Target& failed = *fwd_.target;
  std::string line = str_cat("\r\nHost: ", failed.authority, "\r\n");
  std::size_t at = upstream_head_.find(line);
  if (at != std::string::npos)
    upstream_head_.replace(at + 8, failed.authority.size(), next.authority);
}

// What decide_retry() weighs about the attempt that failed: `conn` is the connection it used,
// null when none could be opened.
AttemptFacts Exchange::attempt_facts(Connection* conn) const {
  const Forward& f = fwd_;
  AttemptFacts facts;
  facts.connect_attempts = f.connect_attempts;
  facts.body_pending = f.facts.body != BodyKind::none;
  facts.close_after = f.close_after;
  if (conn == nullptr) return facts;
  facts.reused = conn->reused();
  facts.nothing_received = conn->buffer().empty();
  facts.retried_reused = f.retried_reused;
  facts.idempotent = f.facts.idempotent;
  facts.body_consumed = f.facts.body == BodyKind::chunked ||
                        (f.facts.body == BodyKind::content_length && f.facts.content_length > 0);
  return facts;
}

awaitable<bool> Exchange::run_attempts(bool& keep_alive) {
  Forward& f = fwd_;
  const upstream::TargetGroup& group = *f.group;
  const config::TargetGroupConfig& config = group.config();
  f.connect_attempts = 0;
  f.retried_reused = false;
  f.body_sent = false;
  f.body_remaining = f.facts.body == BodyKind::content_length ? f.facts.content_length : 0;
  f.response_scanner = HeadScanner(f.ctx->settings->response_limits);
  bool fresh_only = false;
  for (;;) {
    const upstream::Target& target = *f.target;
    f.outstanding.set(target.state.get());
    f.conn = fresh_only ? nullptr : worker_.pool.acquire(target.state.get());
    // A reload switched the group between http and https: pooled connections do not fit.
    if (f.conn && (f.conn->tls() != nullptr) != (target.tls != nullptr)) f.conn = nullptr;
    Failure failure = Failure::none;
    if (!f.conn) {
      f.conn = co_await connect(target, config.connect_timeout, failure);
      if (!f.conn) {
        target.metrics.connection_errors->inc();
        target.state->report_connect_failure();
        f.tried.push_back(&target);
        ++f.connect_attempts;
        RetryDecision decision = decide_retry(failure, attempt_facts(nullptr));
        if (decision.kind == RetryDecision::Kind::other_target) {
          upstream::PickResult next = group.pick(f.tried, Clock::now());
          if (next.target != nullptr) {
            group.metrics().retry_connect->inc();
            if (f.facts.host_missing) retarget_host(*next.target);
            f.target = next.target;
            continue;
          }
        }
        keep_alive = co_await respond(decision.status, decision.close, f.route);
        co_return false;
      }
    }
    Connection& conn = *f.conn;
    upstream_ = f.conn;
    target.metrics.requests->inc();
    f.sent_at = Clock::now();
    if (logging_) {
      record_->target = target.authority;
      record_->request_processing = std::chrono::duration<double>(f.sent_at - received_at_).count();
    }
    failure = co_await send_request(conn);
    if (failure == Failure::none) failure = co_await read_response_head(conn);
    if (failure == Failure::none) co_return true;

    const AttemptFacts facts = attempt_facts(&conn);
    if (failure == Failure::client_body_invalid || failure == Failure::client_body_timeout ||
        failure == Failure::client_lost) {
      // The request is incomplete: the target sees a reset, never a close that could pass for
      // the end of a body.
      error_code ignored;
      conn.socket().set_option(net::socket_base::linger(true, 0), ignored);
    }
    conn.close();
    RetryDecision decision = decide_retry(failure, facts);
    switch (decision.kind) {
      case RetryDecision::Kind::fresh_connection:
        // The keep-alive race: a reused connection the target closed before answering.
        f.retried_reused = true;
        fresh_only = true;
        group.metrics().retry_reused_connection->inc();
        f.conn.reset();
        continue;
      case RetryDecision::Kind::abandon:
        keep_alive = false;
        co_return false;
      case RetryDecision::Kind::other_target:  // only for connect failures, handled above
      case RetryDecision::Kind::respond:
        keep_alive = co_await respond(decision.status, decision.close, f.route);
        co_return false;
    }
  }
}

awaitable<std::shared_ptr<upstream::UpstreamConnection>> Exchange::connect(
    const upstream::Target& target, std::chrono::milliseconds timeout, Failure& failure) {
  auto conn =
      std::make_shared<Connection>(worker_.executor, worker_.wheel, target.state, target.metrics);
  upstream_ = conn;
  conn->set(timeout);
  auto [ec, endpoint] = co_await net::async_connect(conn->socket(), target.endpoints, use_nothrow);
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
  if (!target.tls) conn->set_watches_peer_close(SocketIo::watch_peer_close(conn->socket()));
  if (target.tls && !co_await start_tls(*conn, target, timeout)) {
    failure = Failure::connect_refused;  // as ALB: a failed TLS handshake to a target is 502
    co_return nullptr;
  }
  co_return conn;
}

// HTTPS targets: TLS over the connected socket, the handshake within connect_timeout.
awaitable<bool> Exchange::start_tls(Connection& conn, const upstream::Target& target,
                                    std::chrono::milliseconds timeout) {
  tls::SslPtr session = target.tls->new_session(target.address.host);
  if (!session) co_return false;
  conn.start_tls(std::move(session));
  conn.set(timeout);
  auto [ec] = co_await conn.tls()->async_handshake(net::ssl::stream_base::client, use_nothrow);
  conn.clear();
  co_return !ec;
}

// Reads until a final response head is complete in the connection's buffer, within the group's
// response_timeout. 1xx interim responses: 100 was answered by albatross already; others (103)
// pass on to the client.
awaitable<Failure> Exchange::read_response_head(Connection& conn) {
  ByteBuffer& buffer = conn.buffer();
  HeadScanner& scanner = fwd_.response_scanner;
  conn.set(fwd_.group->config().response_timeout);
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
      const std::size_t capacity =
          buffer.size() + kMinRead > kSmallBuffer ? kBufferSize : kSmallBuffer;
      auto [ec, n] = co_await read_upstream(conn, capacity, false);
      if (ec || n == 0) {
        bool timed_out = conn.expired();
        conn.clear();
        if (timed_out) co_return Failure::response_timeout;
        co_return buffer.empty() ? Failure::response_lost : Failure::response_invalid;
      }
    }
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

}  // namespace albatross::http
