#include "albatross/http/exchange.hpp"

// GCC 12 pairs Asio's awaitable-frame operator new (its recycling allocator) with the free()
// inside the matching operator delete and reports a mismatch once enough coroutine frames are
// inlined together; the pair is Asio's own and correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <charconv>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/wall_clock.hpp"
#include "albatross/http/chunked_decoder.hpp"
#include "albatross/http/generated_response.hpp"
#include "albatross/http/header_rewrite.hpp"
#include "albatross/http/sticky_binding.hpp"

namespace albatross::http {

namespace net = boost::asio;

void Exchange::OutstandingGuard::set(upstream::TargetState* state) {
  reset();
  state_ = state;
  if (state_) state_->begin_exchange();
}

void Exchange::OutstandingGuard::reset() {
  if (state_) state_->end_exchange();
  state_ = nullptr;
}

void Exchange::Gather::push_chunk_line(std::size_t size) {
  char* line = lines[lines_used++];
  auto [end, ec] = std::to_chars(line, line + 16, size, 16);
  end[0] = '\r';
  end[1] = '\n';
  push_back(net::buffer(line, static_cast<std::size_t>(end + 2 - line)));
}

Exchange::Gather& Exchange::gather() {
  if (!gather_) gather_ = std::make_unique<Gather>();
  return *gather_;
}

Exchange::Exchange(DownstreamIo& io, WorkerContext& worker, std::shared_ptr<ListenerSlot> slot,
                   const net::ip::tcp::endpoint& peer)
    : io_(io), worker_(worker), slot_(std::move(slot)), ctx_(slot_->current) {
  client_address_ = peer.address().to_string();
  client_port_ = peer.port();
  const net::ip::address& address = peer.address();
  client_ip_ = address.is_v4() ? IpAddress::from_v4(address.to_v4().to_bytes())
                               : IpAddress::from_v6(address.to_v6().to_bytes());
}

awaitable<bool> Exchange::serve(std::size_t head_size) {
  if (slot_->current.get() != ctx_.get()) ctx_ = slot_->current;  // a reload published a new one
  std::shared_ptr<const ListenerContext> pinned = ctx_;
  worker_.head_strings.take(upstream_head_);
  worker_.head_strings.take(downstream_head_);
  logging_ = pinned->settings->access_log != nullptr;
  if (logging_) begin_record();
  bool keep_alive = co_await forward_exchange(*pinned, head_size);
  finish(*pinned);
  co_return keep_alive;
}

awaitable<void> Exchange::refuse(int status, Reason reason) {
  const ListenerContext& ctx = *ctx_;
  logging_ = ctx.settings->access_log != nullptr;
  if (logging_) {
    begin_record();
    if (reason != Reason::compliant) {
      record_->classification = tier_name(tier_of(reason));
      record_->classification_reason = reason_name(reason);
    }
  }
  if (reason != Reason::compliant) ctx.desync[static_cast<std::size_t>(reason)]->inc();
  head_request_ = in_.view().starts_with("HEAD ");
  bodyless_request_ = false;
  co_await respond(status, true);
  finish(ctx);
}

void Exchange::abort_upstream() {
  if (auto upstream = upstream_.lock()) upstream->close();
}

void Exchange::flush_byte_counts() {
  ctx_->metrics.sent_bytes->inc(std::exchange(io_.sent_bytes, 0));
  ctx_->metrics.received_bytes->inc(std::exchange(io_.received_bytes, 0));
}

// The stages in order; each returns early with the connection's fate when it answered itself.
awaitable<bool> Exchange::forward_exchange(const ListenerContext& ctx, std::size_t head_size) {
  RequestHead& head = worker_.request_scratch;
  bodyless_request_ = false;
  parse_request_head(in_.view().substr(0, head_size), ctx.settings->parse_options, head);
  // Consuming only moves the read position: `head` views stay valid until in_ is next
  // written, which happens after the upstream head has been built from them.
  in_.consume(head_size);
  head_request_ = head.is_head;
  if (logging_) capture_request(head, ctx);
  count_admission(head, ctx);

  // Admission.
  const RuleRequest rule_request = RuleRequest::from(head, client_ip_);
  const Admission admission =
      admit(head, ctx.settings->desync_mode, ctx.rules, rule_request, closing());
  if (admission.kind == Admission::Kind::respond) {
    co_return co_await respond(admission.status, admission.close);
  }
  const Rule& rule = *admission.rule;
  ctx.rule_metrics[ctx.rules.index_of(rule)].matches->inc();
  if (logging_) {
    record_->matched_rule_priority = rule.priority;
    record_->actions = rule.action.name();
  }
  if (admission.kind == Admission::Kind::rule_response) {
    co_return co_await respond_by_rule(ctx, rule, rule_request, admission.close);
  }

  // Upstream attempt.
  Forward& f = fwd_;
  f.ctx = &ctx;
  f.route = &ctx.routes[rule.action.route];
  f.group = f.route->group;
  f.route->metrics.requests->inc();
  if (logging_) record_->target_group = f.group->name();
  f.facts = RequestFacts::from(head);
  bodyless_request_ = f.facts.body == BodyKind::none && !f.facts.upgrade;
  if (f.facts.upgrade) {
    f.upgrade_protocol.assign(f.facts.upgrade_protocol);
    f.facts.upgrade_protocol = f.upgrade_protocol;
  }
  f.close_after = admission.close;
  // A chunked body's framing is checked as far as it arrived with the head, before anything
  // goes upstream (RFC 9112 §7.1): a target must never see the start of a request whose body
  // is then cut off.
  if (f.facts.body == BodyKind::chunked &&
      ChunkedDecoder{}.check(in_.view()).framing == ChunkedDecoder::Framing::invalid) {
    co_return co_await respond(400, true, f.route);
  }
  if (!pick_first(head)) {
    co_return co_await respond(503, f.facts.body != BodyKind::none || f.close_after, f.route);
  }
  build_upstream_head(head);
  // The head is copied into upstream_head_: a bodyless request's buffer is not needed while
  // the target works (thousands of exchanges in flight would each hold it).
  if (f.facts.body == BodyKind::none) in_.release_if_empty();
  bool keep_alive = false;
  if (!co_await run_attempts(keep_alive)) co_return keep_alive;

  // Response and relay.
  co_return co_await respond_from_target();
}

void Exchange::capture_request(const RequestHead& head, const ListenerContext& ctx) {
  record_->method.assign(head.method);
  record_->uri.assign(head.target);
  record_->host.assign(head.host.empty() ? std::string_view(ctx.config.bind.host) : head.host);
  record_->version = head.version == 10 ? "HTTP/1.0" : "HTTP/1.1";
  for (const Field& f : head.fields) {
    if (f.id == FieldId::user_agent) record_->user_agent.assign(f.value);
    if (f.id == FieldId::x_request_id) record_->request_id.assign(f.value);
  }
  if (head.tier != Tier::compliant) {
    record_->classification = tier_name(head.tier);
    record_->classification_reason = reason_name(head.reason);
  }
}

void Exchange::count_admission(const RequestHead& head, const ListenerContext& ctx) {
  if (head.tier != Tier::compliant) ctx.desync[static_cast<std::size_t>(head.reason)]->inc();
  if (head.invalid_field_names > 0) ctx.invalid_headers_dropped->inc();
  if (head.forwarded_invalid_names > 0) ctx.invalid_headers_forwarded->inc();
}

awaitable<bool> Exchange::write_client(std::span<const net::const_buffer> buffers, bool more) {
  return io_.write(buffers, more);
}

awaitable<bool> Exchange::write_client(std::string_view text) {
  net::const_buffer b = net::buffer(text.data(), text.size());
  co_return co_await io_.write(std::span(&b, 1), false);
}

// Sends a response albatross generated; returns whether the connection may carry on.
awaitable<bool> Exchange::respond(int status, bool close, const Route* route) {
  if (logging_) record_->status = status;
  ctx_->metrics.count_generated(status);
  if (route) route->metrics.generated_responses[metrics::code_class_index(status)]->inc();
  std::string_view text = generated_response(status, close, head_request_);
  bool ok = co_await write_client(text);
  co_return ok && !close;
}

// Answers with a rule's redirect or fixed response; returns whether the connection may carry
// on. A redirect that needs the request's host when it has none usable gets 400.
awaitable<bool> Exchange::respond_by_rule(const ListenerContext& ctx, const Rule& rule,
                                          const RuleRequest& request, bool close) {
  const RuleAction& action = rule.action;
  std::string_view bytes;
  if (action.redirect) {
    std::string_view path = request.path;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    RedirectSource source{ctx.scheme, request.host, ctx.port_text, path, request.query};
    std::optional<std::string_view> location =
        action.redirect->respond(source, close, downstream_head_);
    if (!location) {
      if (logging_) record_->actions = {};
      co_return co_await respond(400, close);
    }
    if (logging_) record_->redirect_url.assign(*location);
    if (logging_) record_->status = action.redirect->status();
    bytes = downstream_head_;
  } else {
    if (logging_) record_->status = action.fixed_response->status();
    bytes = action.fixed_response->bytes(close, head_request_);
  }
  ctx.rule_metrics[ctx.rules.index_of(rule)].generated->inc();
  bool ok = co_await write_client(bytes);
  co_return ok && !close;
}

void Exchange::begin_record() {
  if (!record_) record_ = std::make_unique<accesslog::AccessLogRecord>();
  record_->reset();
  record_->type = ctx_->scheme == "https" ? "https" : "http";
  io_.describe_tls(*record_);
  record_->request_creation_us = unix_us_now();
  record_->client = client_address_;
  record_->client.push_back(':');
  char port[8];
  auto [end, ec] = std::to_chars(port, port + sizeof port, client_port_);
  record_->client.append(port, end);
  received_at_ = Clock::now();
}

// Counts the exchange's bytes, writes its access-log line, and lets go of its target.
void Exchange::finish(const ListenerContext& ctx) {
  Forward& f = fwd_;
  f.outstanding.reset();
  f.conn.reset();
  f.tried.clear();
  f.target = f.sticky_target = nullptr;
  worker_.head_strings.give(upstream_head_);
  worker_.head_strings.give(downstream_head_);
  if (logging_) {
    record_->time_us = unix_us_now();
    record_->received_bytes = io_.received_bytes;
    record_->sent_bytes = io_.sent_bytes;
    record_->listener = ctx.name;
    record_->listener_port = ctx.port;
    worker_.log_exchange(ctx.settings->access_log, *record_);
  }
  ctx.metrics.sent_bytes->inc(std::exchange(io_.sent_bytes, 0));
  ctx.metrics.received_bytes->inc(std::exchange(io_.received_bytes, 0));
}

}  // namespace albatross::http
