#include "albatross/health/probe.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <memory>

#include "albatross/common/byte_buffer.hpp"
#include "albatross/common/coroutine.hpp"
#include "albatross/common/duration.hpp"
#include "albatross/common/str_cat.hpp"
#include "albatross/common/version.hpp"
#include "albatross/http/head_scanner.hpp"
#include "albatross/http/response_head.hpp"

namespace albatross::health {
namespace {

namespace net = boost::asio;
using net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// Response heads of a health endpoint are small; these limits only bound a misbehaving target.
const http::HeadLimits kProbeHeadLimits{
    .max_start_line = 8 * 1024,
    .max_field_line = 16 * 1024,
    .max_head = kMaxProbeResponseHead,
    .max_fields = 100,
};
constexpr std::size_t kReadChunk = 4096;

// The socket and the timeout timer of one check. The timer's handler holds it weakly and closes
// the socket on expiry, which ends whatever operation the check is waiting on.
struct ProbeIo {
  explicit ProbeIo(const net::any_io_executor& executor) : socket(executor), timer(executor) {}
  tcp::socket socket;
  net::steady_timer timer;
  bool timed_out = false;
};

std::string_view scanner_error(http::HeadScanner::Status status) {
  switch (status) {
    case http::HeadScanner::Status::bare_line_break:
      return "invalid response: bare line break";
    case http::HeadScanner::Status::start_line_too_long:
      return "invalid response: status line too long";
    case http::HeadScanner::Status::field_line_too_long:
      return "invalid response: header line too long";
    case http::HeadScanner::Status::head_too_large:
      return "invalid response: head too large";
    case http::HeadScanner::Status::too_many_fields:
      return "invalid response: too many header fields";
    default:
      return "invalid response";
  }
}

}  // namespace

std::string probe_request(std::string_view path, std::string_view host_header) {
  return str_cat("GET ", path, " HTTP/1.1\r\nHost: ", host_header,
                 "\r\nUser-Agent: albatross-health-check/", kVersion,
                 "\r\nAccept: */*\r\nConnection: close\r\n\r\n");
}

awaitable<ProbeResult> probe_target(net::any_io_executor executor,
                                    std::vector<tcp::endpoint> endpoints, std::string host_header,
                                    config::HealthCheckConfig config,
                                    std::shared_ptr<const tls::ClientContext> tls,
                                    std::string server_name) {
  const Clock::time_point start = Clock::now();
  auto io = std::make_shared<ProbeIo>(executor);
  io->timer.expires_after(config.timeout);
  io->timer.async_wait([weak = std::weak_ptr<ProbeIo>(io)](const error_code& ec) {
    if (ec) return;
    if (auto live = weak.lock()) {
      live->timed_out = true;
      error_code ignored;
      live->socket.close(ignored);
    }
  });

  ProbeResult result;
  auto finish = [&](CheckResult kind, std::string_view error) {
    result.result = kind;
    result.error = std::string(error);
    result.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    io->timer.cancel();
    error_code ignored;
    io->socket.shutdown(tcp::socket::shutdown_both, ignored);
    io->socket.close(ignored);
    return result;
  };
  auto io_failure = [&](std::string_view stage, const error_code& ec) {
    if (io->timed_out) {
      return finish(CheckResult::timeout,
                    str_cat(stage, " timed out after ", format_duration(config.timeout)));
    }
    return finish(CheckResult::failed, str_cat(stage, ": ", ec.message()));
  };

  // Endpoints are tried one by one (not with the range async_connect) so that a timeout, which
  // closes the socket, cannot be mistaken for one endpoint's failure and move on to the next.
  if (endpoints.empty()) co_return finish(CheckResult::failed, "no address to connect to");
  error_code connect_error;
  bool connected = false;
  for (const tcp::endpoint& endpoint : endpoints) {
    if (io->timed_out) break;
    error_code ec;
    io->socket.close(ec);
    io->socket.open(endpoint.protocol(), ec);
    if (!ec) std::tie(ec) = co_await io->socket.async_connect(endpoint, use_nothrow);
    if (!ec) {
      connected = true;
      break;
    }
    connect_error = ec;
  }
  if (!connected) co_return io_failure("connect", connect_error);

  // HTTPS targets: TLS over the connected socket (closing the socket on timeout ends it too).
  std::unique_ptr<net::ssl::stream<tcp::socket&>> secure;
  if (tls) {
    tls::SslPtr session = tls->new_session(server_name);
    if (!session) co_return finish(CheckResult::failed, "cannot create a TLS session");
    secure = std::make_unique<net::ssl::stream<tcp::socket&>>(io->socket, session.release());
    auto [ec] = co_await secure->async_handshake(net::ssl::stream_base::client, use_nothrow);
    if (ec) co_return io_failure("TLS handshake", ec);
  }

  const std::string request = probe_request(config.path, host_header);
  auto [write_ec, written] =
      secure ? co_await net::async_write(*secure, net::buffer(request), use_nothrow)
             : co_await net::async_write(io->socket, net::buffer(request), use_nothrow);
  if (write_ec) co_return io_failure("send", write_ec);

  ByteBuffer buffer;
  http::HeadScanner scanner(kProbeHeadLimits);
  http::ResponseHead head;
  std::size_t total = 0;
  while (true) {
    if (total > kMaxProbeResponseHead) {
      co_return finish(CheckResult::failed, "invalid response: head too large");
    }
    char* free = buffer.prepare(kReadChunk, kReadChunk);
    net::mutable_buffer space = net::buffer(free, buffer.free_space());
    auto [ec, n] = secure ? co_await secure->async_read_some(space, use_nothrow)
                          : co_await io->socket.async_read_some(space, use_nothrow);
    if (ec == net::error::eof || (!ec && n == 0)) {
      co_return finish(CheckResult::failed, "connection closed before a complete response head");
    }
    if (ec) co_return io_failure("receive", ec);
    buffer.commit(n);
    total += n;
    // Interim 1xx heads (103 Early Hints, a stray 100) precede the final response: skip them.
    while (true) {
      http::HeadScanner::Status status = scanner.scan(buffer.view());
      if (status == http::HeadScanner::Status::incomplete) break;
      if (status != http::HeadScanner::Status::complete) {
        co_return finish(CheckResult::failed, scanner_error(status));
      }
      http::parse_response_head(buffer.view().substr(0, scanner.head_size()), false, head);
      if (!head.valid) {
        co_return finish(CheckResult::failed, str_cat("invalid response: ", head.error));
      }
      if (head.status >= 200 || head.status == 101) {
        result.status = head.status;
        if (config.matcher.matches(head.status)) co_return finish(CheckResult::pass, "");
        co_return finish(
            CheckResult::code_mismatch,
            str_cat("status ", head.status, " does not match ", config.matcher.to_string()));
      }
      buffer.consume(scanner.head_size());
      scanner.reset();
      if (buffer.empty()) break;
    }
  }
}

}  // namespace albatross::health
