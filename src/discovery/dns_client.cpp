#include "albatross/discovery/dns_client.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "albatross/common/str_cat.hpp"
#include "albatross/discovery/dns_message.hpp"
#include "albatross/discovery/resolv_conf.hpp"

namespace albatross::discovery {

namespace net = boost::asio;
using net::ip::tcp;
using net::ip::udp;

namespace {

// Cancels `socket`'s operations when the deadline passes. The timer's handler holds the socket
// through a shared_ptr, so it may run after the coroutine that owns both has gone.
template <typename Socket>
std::shared_ptr<net::steady_timer> arm_deadline(const std::shared_ptr<Socket>& socket,
                                                net::steady_timer::time_point deadline) {
  auto timer = std::make_shared<net::steady_timer>(socket->get_executor());
  timer->expires_at(deadline);
  timer->async_wait([socket](const boost::system::error_code& ec) {
    if (!ec) {
      boost::system::error_code ignored;
      socket->close(ignored);
    }
  });
  return timer;
}

std::string failure(const udp::endpoint& server, std::string_view what, std::string_view why) {
  return str_cat(server.address().to_string(), ':', server.port(), ": ", what, ": ", why);
}

std::string timed_out_or(const boost::system::error_code& ec, bool expired) {
  return expired ? std::string("timed out") : ec.message();
}

// One question over TCP (RFC 1035 §4.2.2: two-byte length, then the message).
awaitable<std::optional<DnsMessage>> ask_tcp(udp::endpoint server, std::vector<std::uint8_t> query,
                                             std::uint16_t id, std::string name, DnsType type,
                                             net::steady_timer::time_point deadline,
                                             std::string& error) {
  auto executor = co_await net::this_coro::executor;
  auto socket = std::make_shared<tcp::socket>(executor);
  auto timer = arm_deadline(socket, deadline);
  auto expired = [&] { return net::steady_timer::clock_type::now() >= deadline; };
  tcp::endpoint endpoint(server.address(), server.port());
  auto [cec] = co_await socket->async_connect(endpoint, use_nothrow);
  if (cec) {
    error = failure(server, "TCP connect", timed_out_or(cec, expired()));
    co_return std::nullopt;
  }
  std::uint8_t prefix[2] = {static_cast<std::uint8_t>(query.size() >> 8),
                            static_cast<std::uint8_t>(query.size() & 0xff)};
  std::array<net::const_buffer, 2> framed{net::buffer(prefix), net::buffer(query)};
  auto [wec, wn] = co_await net::async_write(*socket, framed, use_nothrow);
  std::uint8_t length[2];
  boost::system::error_code ec = wec;
  if (!ec) std::tie(ec, wn) = co_await net::async_read(*socket, net::buffer(length), use_nothrow);
  std::vector<std::uint8_t> answer(static_cast<std::size_t>((length[0] << 8) | length[1]));
  if (!ec) std::tie(ec, wn) = co_await net::async_read(*socket, net::buffer(answer), use_nothrow);
  timer->cancel();
  if (ec) {
    error = failure(server, "TCP", timed_out_or(ec, expired()));
    co_return std::nullopt;
  }
  std::string why;
  auto message = DnsMessage::parse(answer, id, name, type, why);
  if (!message) error = failure(server, "malformed response", why);
  co_return message;
}

// One question to one server: over UDP, again over TCP when the answer is truncated.
awaitable<std::optional<DnsMessage>> ask(udp::endpoint server, std::string name, DnsType type,
                                         std::uint16_t id, net::steady_timer::time_point deadline,
                                         std::string& error) {
  std::string why;
  auto query = DnsMessage::query(id, name, type, why);
  if (!query) {
    error = why;
    co_return std::nullopt;
  }
  auto executor = co_await net::this_coro::executor;
  auto socket = std::make_shared<udp::socket>(executor);
  auto timer = arm_deadline(socket, deadline);
  auto expired = [&] { return net::steady_timer::clock_type::now() >= deadline; };
  // Connected: a refused port reports ECONNREFUSED at once instead of waiting out the deadline,
  // and datagrams from any other address are dropped by the kernel.
  auto [cec] = co_await socket->async_connect(server, use_nothrow);
  if (cec) {
    error = failure(server, "UDP", timed_out_or(cec, expired()));
    co_return std::nullopt;
  }
  auto [sec, sn] = co_await socket->async_send(net::buffer(*query), use_nothrow);
  if (sec) {
    error = failure(server, "UDP send", timed_out_or(sec, expired()));
    co_return std::nullopt;
  }
  std::vector<std::uint8_t> buffer(DnsMessage::kMaxUdpSize * 8);  // room for EDNS answers
  for (;;) {
    auto [rec, n] = co_await socket->async_receive(net::buffer(buffer), use_nothrow);
    if (rec) {
      error = failure(server, "UDP", timed_out_or(rec, expired()));
      co_return std::nullopt;
    }
    std::span<const std::uint8_t> datagram(buffer.data(), n);
    // A late answer to an earlier query (another id) is skipped, not taken as an error.
    if (n >= 2 && ((datagram[0] << 8) | datagram[1]) != id) continue;
    auto message = DnsMessage::parse(datagram, id, name, type, why);
    if (!message) {
      timer->cancel();
      error = failure(server, "malformed response", why);
      co_return std::nullopt;
    }
    if (!message->truncated) {
      timer->cancel();
      co_return message;
    }
    break;
  }
  timer->cancel();
  co_return co_await ask_tcp(server, std::move(*query), id, std::move(name), type, deadline, error);
}

}  // namespace

std::vector<udp::endpoint> DnsClient::servers_for(const config::GlobalConfig& global) {
  if (global.resolvers.empty()) return ResolvConf::load(std::string(ResolvConf::kPath));
  std::vector<udp::endpoint> servers;
  for (const HostPort& resolver : global.resolvers)
    servers.emplace_back(net::ip::make_address(resolver.host), resolver.port);
  return servers;
}

DnsClient::DnsClient(std::vector<udp::endpoint> servers, Duration timeout)
    : servers_(std::move(servers)), timeout_(timeout), ids_(std::random_device{}()) {}

awaitable<DnsLookup> DnsClient::resolve(std::string name) {
  DnsLookup lookup;
  if (servers_.empty()) {
    lookup.error = "no DNS server configured";
    co_return lookup;
  }
  for (const udp::endpoint& server : servers_) {
    auto deadline = net::steady_timer::clock_type::now() + timeout_;
    std::vector<net::ip::address> addresses;
    bool answered = true;
    for (DnsType type : {DnsType::a, DnsType::aaaa}) {
      auto id = static_cast<std::uint16_t>(ids_());
      auto message = co_await ask(server, name, type, id, deadline, lookup.error);
      if (!message) {
        answered = false;
        break;
      }
      if (message->rcode != DnsMessage::kNoError && message->rcode != DnsMessage::kNameError) {
        lookup.error = failure(server, "answer", str_cat("rcode ", int(message->rcode)));
        answered = false;
        break;
      }
      addresses.insert(addresses.end(), message->addresses.begin(), message->addresses.end());
    }
    if (answered) {
      lookup.ok = true;
      lookup.error.clear();
      lookup.addresses = std::move(addresses);
      co_return lookup;
    }
  }
  co_return lookup;
}

DnsLookup DnsClient::resolve_blocking(const std::string& name) {
  net::io_context context;
  DnsLookup result;
  net::co_spawn(
      context, [&]() -> awaitable<void> { result = co_await resolve(name); }, net::detached);
  context.run();
  return result;
}

}  // namespace albatross::discovery
