#include "albatross/demo/demo_target.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <set>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::demo {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using net::ip::tcp;

namespace {

std::string query_param(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

long long number_param(std::string_view target, std::string_view key, long long fallback) {
  std::string v = query_param(target, key);
  if (v.empty()) return fallback;
  try {
    return std::stoll(v);
  } catch (...) {
    return fallback;
  }
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::uint64_t fnv1a(std::uint64_t h, const char* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

awaitable<void> sleep_for(std::chrono::milliseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  co_await timer.async_wait(use_nothrow);
}

awaitable<void> websocket_echo(tcp::socket socket, http::request<http::empty_body> request) {
  beast::websocket::stream<tcp::socket> ws(std::move(socket));
  auto [ec] = co_await ws.async_accept(request, use_nothrow);
  if (ec) co_return;
  beast::flat_buffer buffer;
  for (;;) {
    auto [rec, n] = co_await ws.async_read(buffer, use_nothrow);
    if (rec) co_return;
    ws.text(ws.got_text());
    auto [wec, m] = co_await ws.async_write(buffer.data(), use_nothrow);
    if (wec) co_return;
    buffer.consume(buffer.size());
  }
}

// Raw-socket misbehaviours for failure tests. Returns true when the connection must end.
// `interval`: the pause before each byte of a trickled body.
awaitable<bool> misbehave(tcp::socket& socket, std::string_view mode,
                          std::chrono::milliseconds interval) {
  if (mode == "reset") {
    std::string_view partial = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial";
    co_await net::async_write(socket, net::buffer(partial), use_nothrow);
    socket.set_option(net::socket_base::linger(true, 0));
    socket.close();
  } else if (mode == "close") {
    socket.close();
  } else if (mode == "no-framing") {
    std::string_view garbage = "this is not HTTP\r\n\r\n";
    co_await net::async_write(socket, net::buffer(garbage), use_nothrow);
    socket.close();
  } else if (mode == "huge-header") {
    std::string head =
        "HTTP/1.1 200 OK\r\nX-Huge: " + std::string(40000, 'a') + "\r\nContent-Length: 0\r\n\r\n";
    co_await net::async_write(socket, net::buffer(head), use_nothrow);
  } else if (mode == "trickle") {
    std::string_view head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    co_await net::async_write(socket, net::buffer(head), use_nothrow);
    for (char c : std::string_view("abcde")) {
      co_await sleep_for(interval);
      auto [ec, n] = co_await net::async_write(socket, net::buffer(&c, 1), use_nothrow);
      if (ec) break;
    }
    co_return false;
  } else if (mode == "hang") {
    char byte;
    co_await socket.async_read_some(net::buffer(&byte, 1), use_nothrow);  // until the peer leaves
  }
  co_return true;
}

awaitable<void> serve(std::shared_ptr<tcp::socket> socket,
                      std::shared_ptr<DemoTarget::State> state) {
  socket->set_option(tcp::no_delay(true));
  beast::flat_buffer buffer;
  std::string name = state->name;
  for (;;) {
    http::request_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    parser.header_limit(64 * 1024);
    auto [ec, n] = co_await http::async_read_header(*socket, buffer, parser, use_nothrow);
    if (ec) break;
    state->requests.fetch_add(1);
    auto& req = parser.get();
    std::string target(req.target());
    std::string_view path = path_of(target);

    if (beast::websocket::is_upgrade(req) && path == "/ws") {
      http::request<http::empty_body> upgrade(req.base());
      std::shared_ptr<tcp::socket> keep = socket;
      {
        std::lock_guard lock(state->sockets_mutex);
        state->sockets.erase(socket);
      }
      co_await websocket_echo(std::move(*keep), std::move(upgrade));
      co_return;
    }
    // Read (and count) the whole body without keeping it.
    std::uint64_t body_bytes = 0;
    std::uint64_t hash = 1469598103934665603ULL;
    char chunk[64 * 1024];
    bool body_ok = true;
    while (!parser.is_done()) {
      req.body().data = chunk;
      req.body().size = sizeof chunk;
      auto [bec, bn] = co_await http::async_read(*socket, buffer, parser, use_nothrow);
      if (bec && bec != http::error::need_buffer) {
        body_ok = false;
        break;
      }
      std::size_t got = sizeof chunk - req.body().size;
      body_bytes += got;
      hash = fnv1a(hash, chunk, got);
    }
    if (!body_ok) break;

    if (path.starts_with("/misbehave/")) {
      std::chrono::milliseconds interval(number_param(target, "interval", 200));
      if (co_await misbehave(*socket, path.substr(11), interval)) break;
      continue;
    }

    std::chrono::milliseconds delay(number_param(target, "delay", 0) +
                                    (path == "/ping" ? 0 : state->delay_ms.load()));
    if (delay.count() > 0) co_await sleep_for(delay);

    if (path == "/sse") {
      long long events = number_param(target, "events", 5);
      std::chrono::milliseconds interval(number_param(target, "interval", 100));
      std::string head = str_cat(
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: "
          "no-cache\r\nX-Target: ",
          name, "\r\nTransfer-Encoding: chunked\r\n\r\n");
      auto [hec, hn] = co_await net::async_write(*socket, net::buffer(head), use_nothrow);
      if (hec) break;
      bool failed = false;
      for (long long i = 0; i < events; ++i) {
        if (i > 0) co_await sleep_for(interval);
        std::string event = str_cat("id: ", i, "\ndata: event ", i, " from ", name, "\n\n");
        std::string chunk_text;
        char size_line[32];
        int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", event.size());
        chunk_text.append(size_line, static_cast<std::size_t>(len)).append(event).append("\r\n");
        auto [wec, wn] = co_await net::async_write(*socket, net::buffer(chunk_text), use_nothrow);
        if (wec) {
          failed = true;
          break;
        }
      }
      if (failed) break;
      auto [tec, tn] = co_await net::async_write(
          *socket, net::buffer(std::string_view("0\r\n\r\n")), use_nothrow);
      if (tec) break;
      if (!req.keep_alive()) break;
      continue;
    }

    http::response<http::string_body> res;
    res.version(11);
    res.set("X-Target", name);
    res.set(http::field::content_type, "text/plain");
    res.result(http::status::ok);
    if (path == "/ping") {
      state->pings.fetch_add(1);
      res.result(static_cast<http::status>(state->ping_status.load()));
      res.body() = "pong\n";
    } else if (path == "/headers") {
      std::string body;
      str_append(body, str_cat(std::string_view(req.method_string()), ' ',
                               std::string_view(req.target()), '\n'));
      for (const auto& field : req) {
        str_append(body, str_cat(std::string_view(field.name_string()), ": ",
                                 std::string_view(field.value()), '\n'));
      }
      res.body() = std::move(body);
    } else if (path == "/upload") {
      res.body() = str_cat("received ", body_bytes, " bytes\n");
    } else if (path.starts_with("/files/")) {
      std::string key(path.substr(7));
      std::lock_guard lock(state->files_mutex);
      if (req.method() == http::verb::post || req.method() == http::verb::put) {
        state->files[key] = str_cat(body_bytes, ' ', hash);
        res.result(http::status::created);
        res.body() = str_cat(key, ' ', state->files[key], '\n');
      } else if (auto it = state->files.find(key); it != state->files.end()) {
        res.body() = str_cat(key, ' ', it->second, '\n');
      } else {
        res.result(http::status::not_found);
        res.body() = str_cat("no file ", key, " on ", name, '\n');
      }
    } else if (path == "/bytes") {
      res.body() = std::string(static_cast<std::size_t>(number_param(target, "n", 0)), 'x');
    } else if (path.starts_with("/status/")) {
      res.result(static_cast<http::status>(std::atoi(std::string(path.substr(8)).c_str())));
    } else if (path == "/admin/ping" && req.method() == http::verb::post) {
      state->ping_status.store(static_cast<int>(number_param(target, "status", 200)));
      res.body() = str_cat("ping status now ", state->ping_status.load(), '\n');
    } else {
      res.body() = str_cat("Hello from ", name, '\n');
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(*socket, res, use_nothrow);
    if (wec || !req.keep_alive()) break;
  }
  boost::system::error_code ignored;
  socket->shutdown(tcp::socket::shutdown_send, ignored);
  socket->close(ignored);
  std::lock_guard lock(state->sockets_mutex);
  state->sockets.erase(socket);
}

void start_serving(tcp::socket socket, const std::shared_ptr<DemoTarget::State>& state,
                   const net::any_io_executor& executor) {
  state->connections.fetch_add(1);
  auto shared = std::make_shared<tcp::socket>(std::move(socket));
  {
    std::lock_guard lock(state->sockets_mutex);
    state->sockets.insert(shared);
  }
  net::co_spawn(executor, serve(shared, state), net::detached);
}

// Takes up to 64 queued connections per wake-up (the acceptor is non-blocking), as real
// servers do: one per wake-up, with hundreds of busy connections, left a proxy's burst of new
// upstream connections in the listen queue for seconds (seen with HAProxy and albatross alike).
awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor,
                            std::shared_ptr<DemoTarget::State> state) {
  constexpr int kMaxAcceptBatch = 64;
  const net::any_io_executor executor = acceptor->get_executor();
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(use_nothrow);
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) co_return;
      continue;
    }
    start_serving(std::move(socket), state, executor);
    for (int taken = 1; taken < kMaxAcceptBatch; ++taken) {
      boost::system::error_code more_ec;
      tcp::socket more = acceptor->accept(more_ec);
      if (more_ec) break;  // would_block: the queue is empty
      start_serving(std::move(more), state, executor);
    }
  }
}

}  // namespace

DemoTarget::DemoTarget(net::io_context& io, const tcp::endpoint& listen, std::string name)
    : io_(io), acceptor_(std::make_shared<tcp::acceptor>(io)), state_(std::make_shared<State>()) {
  state_->name = std::move(name);
  acceptor_->open(listen.protocol());
  acceptor_->set_option(net::socket_base::reuse_address(true));
  acceptor_->bind(listen);
  acceptor_->listen(net::socket_base::max_listen_connections);
  acceptor_->non_blocking(true);  // accept_loop's batches must not wait
  port_ = acceptor_->local_endpoint().port();
  net::co_spawn(io_, accept_loop(acceptor_, state_), net::detached);
}

DemoTarget::~DemoTarget() {
  stop();
}

void DemoTarget::stop() {
  if (state_->stopped.exchange(true)) return;
  net::post(io_, [acceptor = acceptor_, state = state_] {
    boost::system::error_code ignored;
    acceptor->close(ignored);
    std::lock_guard lock(state->sockets_mutex);
    for (const auto& s : state->sockets)
      s->close(ignored);
  });
}

}  // namespace albatross::demo
