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

#include "albatross/admin/admin_request_guard.hpp"
#include "albatross/admin/dashboard_asset.hpp"
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
  std::optional<AdminRequestGuard> guard;  // set by start()
  std::array<metrics::Counter*, kRefusals.size()> refused{};
  // Refusal logging: at most one line per reason per kRefusalLogInterval, so a page hammering
  // the endpoint cannot flood the log; the lines skipped are counted into the next one.
  std::array<std::chrono::steady_clock::time_point, kRefusals.size()> next_log{};
  std::array<std::uint64_t, kRefusals.size()> unlogged{};
  bool stopped = false;
};

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxBody = 4096;
constexpr auto kRefusalLogInterval = std::chrono::seconds(10);

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
  // On every response, refusals and errors included. The dashboard loads its script and style
  // from its own paths, so 'self' holds for it too; no response carries CORS headers, so no
  // other origin's script can read one.
  res.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::optional<std::string_view> header_value(const http::request<http::string_body>& req,
                                             http::field field) {
  auto it = req.find(field);
  if (it == req.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

// Header values quoted into the log: bounded, and printable ASCII only.
std::string loggable(std::optional<std::string_view> value) {
  if (!value) return "(none)";
  std::string out = "\"";
  for (char c : value->substr(0, 80))
    out.push_back(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
  if (value->size() > 80) out += "...";
  out.push_back('"');
  return out;
}

void count_refusal(AdminServer::State& state, Refusal reason, const tcp::endpoint& peer,
                   const http::request<http::string_body>& req) {
  auto index = static_cast<std::size_t>(reason);
  if (state.refused[index]) state.refused[index]->inc();
  auto now = std::chrono::steady_clock::now();
  if (now < state.next_log[index]) {
    ++state.unlogged[index];
    return;
  }
  state.next_log[index] = now + kRefusalLogInterval;
  std::string_view target(req.target().data(), req.target().size());
  std::string_view method(req.method_string().data(), req.method_string().size());
  log::warn("admin endpoint refused ", method, ' ', loggable(target.substr(0, target.find('?'))),
            " from ", peer.address().to_string(), " (", refusal_name(reason), "): Host ",
            loggable(header_value(req, http::field::host)), ", Origin ",
            loggable(header_value(req, http::field::origin)),
            state.unlogged[index] > 0 ? str_cat("; ", state.unlogged[index],
                                                " more refusal(s) for this reason not logged")
                                      : std::string());
  state.unlogged[index] = 0;
}

awaitable<void> serve(tcp::socket socket, std::shared_ptr<AdminServer::State> state,
                      AdminHandler& handler) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(8192);
  boost::system::error_code peer_ec;
  tcp::endpoint peer = stream.socket().remote_endpoint(peer_ec);
  bool loopback = !peer_ec && peer.address().is_loopback();
  // The address the client connected to, as a Host literal would name it (an IPv4 client of an
  // endpoint bound to :: arrives as ::ffff:a.b.c.d).
  boost::system::error_code local_ec;
  net::ip::address local = stream.socket().local_endpoint(local_ec).address();
  if (local.is_v6() && local.to_v6().is_v4_mapped()) {
    local = net::ip::make_address_v4(net::ip::v4_mapped, local.to_v6());
  }
  std::string local_address = local_ec ? std::string() : local.to_string();
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
    auto refuse = [&](int status, Refusal reason, std::string message) {
      count_refusal(*state, reason, peer, req);
      res = make_response(status, message + "\n", "text/plain; charset=utf-8", req.version());
    };
    AdminRequest facts{std::string_view(req.method_string().data(), req.method_string().size()),
                       path, header_value(req, http::field::host),
                       header_value(req, http::field::origin),
                       header_value(req, http::field::sec_fetch_site)};
    auto authorized = [&]() -> bool {
      if (!state->token) return loopback;
      auto header = req[http::field::authorization];
      std::string_view value(header.data(), header.size());
      return value.starts_with("Bearer ") && constant_time_equal(value.substr(7), *state->token);
    };
    if (auto verdict = state->guard->check(facts, local_address)) {
      refuse(verdict->status, verdict->reason, verdict->message);
      if (verdict->status == 405) {
        res.set(http::field::allow,
                AdminRequestGuard::is_state_changing(path) ? "POST" : "GET, HEAD");
      }
    } else if (path == "/metrics") {
      res = make_response(200, handler.metrics_text(), "text/plain; version=0.0.4; charset=utf-8",
                          req.version());
    } else if (path == "/ping") {
      res = make_response(200, "ok\n", "text/plain", req.version());
    } else if (path == "/status") {
      res = make_response(200, handler.status_json(), "application/json", req.version());
    } else if (const DashboardAsset* asset = find_dashboard_asset(path)) {
      res = make_response(200, std::string(asset->body), asset->content_type, req.version());
    } else if (AdminRequestGuard::is_state_changing(path)) {
      if (!authorized()) {
        if (state->token) {
          refuse(401, Refusal::token, "missing or wrong bearer token");
          res.set(http::field::www_authenticate, "Bearer");
        } else {
          refuse(403, Refusal::peer, "state-changing calls are accepted from loopback only");
        }
      } else {
        ActionResult result;
        if (path == "/reload") {
          result = handler.reload();
        } else {
          std::string form = query.empty() ? req.body() : std::string(query);
          // register/deregister spell the group "group" (as ALB's API); every call takes
          // either spelling.
          std::string group = param(form, "target_group");
          if (group.empty()) group = param(form, "group");
          std::string target_name = param(form, "target");
          if (group.empty() || target_name.empty()) {
            result = {400, "group (or target_group) and target are required\n"};
          } else if (path == "/targets/drain") {
            result = handler.drain_target(group, target_name);
          } else if (path == "/targets/activate") {
            result = handler.activate_target(group, target_name);
          } else if (path == "/targets/register") {
            result = handler.register_target(group, target_name);
          } else if (path == "/targets/deregister") {
            result = handler.deregister_target(group, target_name);
          } else {
            result = {404, "not found"};
          }
        }
        if (result.message.empty() || result.message.back() != '\n') result.message.push_back('\n');
        res = make_response(result.status, result.message, "text/plain; charset=utf-8",
                            req.version());
      }
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

AdminServer::AdminServer(net::io_context& control, AdminHandler& handler,
                         metrics::Family<metrics::Counter>* refused)
    : control_(control), handler_(handler), state_(std::make_shared<State>(control)) {
  if (refused) {
    for (Refusal reason : kRefusals) {
      state_->refused[static_cast<std::size_t>(reason)] =
          &refused->add({std::string(refusal_name(reason))});
    }
  }
}

AdminServer::~AdminServer() {
  stop();
}

bool AdminServer::start(const HostPort& address, std::optional<std::string> token,
                        std::vector<std::string> allowed_hosts, std::string& error) {
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
  host_ = address.host;
  set_allowed_hosts(std::move(allowed_hosts));
  net::co_spawn(control_, accept_loop(state_, handler_), net::detached);
  return true;
}

void AdminServer::set_token(std::optional<std::string> token) {
  state_->token = std::move(token);
}

void AdminServer::set_allowed_hosts(std::vector<std::string> allowed_hosts) {
  state_->guard.emplace(host_, port_, allowed_hosts);
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
