#include "albatross/admin/admin_server.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/log.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::admin {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using net::ip::tcp;

struct AdminServer::State {
  explicit State(net::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  std::optional<std::string> token;
  bool stopped = false;
};

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxBody = 4096;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// The value of `key` in an application/x-www-form-urlencoded string, percent-decoded
// (target names are host:port, often sent as host%3Aport).
std::string param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == key) {
      std::string out;
      std::string_view v = pair.substr(eq + 1);
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size() && hex_digit(v[i + 1]) >= 0 &&
            hex_digit(v[i + 2]) >= 0) {
          out.push_back(static_cast<char>(hex_digit(v[i + 1]) * 16 + hex_digit(v[i + 2])));
          i += 2;
        } else {
          out.push_back(v[i] == '+' ? ' ' : v[i]);
        }
      }
      return out;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

http::response<http::string_body> make_response(int status, std::string body,
                                                std::string_view content_type, unsigned version) {
  http::response<http::string_body> res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

awaitable<void> serve(tcp::socket socket, std::shared_ptr<AdminServer::State> state,
                      AdminHandler& handler) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(8192);
  boost::system::error_code peer_ec;
  tcp::endpoint peer = stream.socket().remote_endpoint(peer_ec);
  bool loopback = !peer_ec && peer.address().is_loopback();
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8192);
    parser.body_limit(kMaxBody);
    stream.expires_after(kRequestTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (ec) break;
    auto& req = parser.get();
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    std::string_view query = target.find('?') == std::string_view::npos
                                 ? std::string_view{}
                                 : target.substr(target.find('?') + 1);
    http::response<http::string_body> res;
    bool is_get = req.method() == http::verb::get || req.method() == http::verb::head;
    bool is_post = req.method() == http::verb::post;
    auto authorized = [&]() -> bool {
      if (!state->token) return loopback;
      auto header = req[http::field::authorization];
      std::string_view value(header.data(), header.size());
      return value.starts_with("Bearer ") && constant_time_equal(value.substr(7), *state->token);
    };
    if (path == "/metrics" && is_get) {
      res = make_response(200, handler.metrics_text(), "text/plain; version=0.0.4; charset=utf-8",
                          req.version());
    } else if (path == "/ping" && is_get) {
      res = make_response(200, "ok\n", "text/plain", req.version());
    } else if (path == "/status" && is_get) {
      res = make_response(200, handler.status_json(), "application/json", req.version());
    } else if ((path == "/reload" || path == "/targets/drain" || path == "/targets/activate") &&
               is_post) {
      if (!authorized()) {
        res = make_response(state->token ? 401 : 403,
                            state->token ? "missing or wrong bearer token\n"
                                         : "state-changing calls are accepted from loopback only\n",
                            "text/plain", req.version());
        if (state->token) res.set(http::field::www_authenticate, "Bearer");
      } else {
        ActionResult result;
        if (path == "/reload") {
          result = handler.reload();
        } else {
          std::string form = query.empty() ? req.body() : std::string(query);
          std::string group = param(form, "target_group");
          std::string target_name = param(form, "target");
          if (group.empty() || target_name.empty()) {
            result = {400, "target_group and target are required\n"};
          } else if (path == "/targets/drain") {
            result = handler.drain_target(group, target_name);
          } else {
            result = handler.activate_target(group, target_name);
          }
        }
        if (result.message.empty() || result.message.back() != '\n') result.message.push_back('\n');
        res = make_response(result.status, result.message, "text/plain", req.version());
      }
    } else if (path == "/metrics" || path == "/ping" || path == "/status" || path == "/reload" ||
               path == "/targets/drain" || path == "/targets/activate") {
      res = make_response(405, "method not allowed\n", "text/plain", req.version());
    } else {
      res = make_response(404, "not found\n", "text/plain", req.version());
    }
    res.keep_alive(req.keep_alive());
    if (req.method() == http::verb::head) res.body().clear();
    stream.expires_after(kRequestTimeout);
    auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
    if (wec || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<void> accept_loop(std::shared_ptr<AdminServer::State> state, AdminHandler& handler) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor.async_accept(use_nothrow);
    if (ec) {
      if (state->stopped || !state->acceptor.is_open()) co_return;
      continue;
    }
    net::co_spawn(state->acceptor.get_executor(), serve(std::move(socket), state, handler),
                  net::detached);
  }
}

}  // namespace

AdminServer::AdminServer(net::io_context& control, AdminHandler& handler)
    : control_(control), handler_(handler), state_(std::make_shared<State>(control)) {}

AdminServer::~AdminServer() {
  stop();
}

bool AdminServer::start(const HostPort& address, std::optional<std::string> token,
                        std::string& error) {
  boost::system::error_code ec;
  tcp::resolver resolver(control_);
  auto results = resolver.resolve(address.host, std::to_string(address.port),
                                  net::ip::resolver_base::numeric_service, ec);
  if (ec || results.empty()) {
    error = str_cat("cannot resolve admin address ", address.to_string(), ": ", ec.message());
    return false;
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  state_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) state_->acceptor.bind(endpoint, ec);
  if (!ec) state_->acceptor.listen(64, ec);
  if (ec) {
    error = str_cat("cannot bind admin endpoint ", address.to_string(), ": ", ec.message());
    return false;
  }
  port_ = state_->acceptor.local_endpoint().port();
  bound_ = HostPort{address.host, port_}.to_string();
  state_->token = std::move(token);
  net::co_spawn(control_, accept_loop(state_, handler_), net::detached);
  return true;
}

void AdminServer::set_token(std::optional<std::string> token) {
  state_->token = std::move(token);
}

void AdminServer::stop() {
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
}

std::optional<std::string> load_token_file(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = str_cat("cannot read admin token file ", path, ": ", std::strerror(errno));
    return std::nullopt;
  }
  struct stat st {};
  ::fstat(fd, &st);
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    error = str_cat("admin token file ", path, " is readable by group or others (chmod 600 it)");
    return std::nullopt;
  }
  std::string content;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && content.size() < 4096)
    content.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  std::string token = content.substr(0, content.find('\n'));
  while (!token.empty() && (token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.size() < 16) {
    error = str_cat("admin token file ", path, " must hold a token of at least 16 characters");
    return std::nullopt;
  }
  return token;
}

}  // namespace albatross::admin
