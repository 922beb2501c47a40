#include "albatross/discovery/dns_client.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace albatross::discovery {
namespace {

namespace net = boost::asio;
using net::ip::tcp;
using net::ip::udp;
using Bytes = std::vector<std::uint8_t>;

// The answer to `query` (one question at offset 12): header copied, QR set, the question kept,
// then one A or AAAA record per address of the asked type.
Bytes answer(const Bytes& query, std::size_t length, const std::vector<std::string>& addresses,
             bool truncated) {
  std::size_t question_end = 12;
  while (query[question_end] != 0)
    question_end += query[question_end] + 1u;
  question_end += 5;
  std::uint16_t type =
      static_cast<std::uint16_t>((query[question_end - 4] << 8) | query[question_end - 3]);
  Bytes out(query.begin(), query.begin() + static_cast<long>(std::min(question_end, length)));
  out[2] = static_cast<std::uint8_t>(0x81 | (truncated ? 0x02 : 0));
  out[3] = 0x80;
  std::uint16_t count = 0;
  for (const std::string& text : addresses) {
    net::ip::address a = net::ip::make_address(text);
    if (a.is_v4() != (type == 1)) continue;
    ++count;
    Bytes rdata;
    if (a.is_v4()) {
      auto b = a.to_v4().to_bytes();
      rdata.assign(b.begin(), b.end());
    } else {
      auto b = a.to_v6().to_bytes();
      rdata.assign(b.begin(), b.end());
    }
    Bytes record{0xc0,
                 12,
                 static_cast<std::uint8_t>(type >> 8),
                 static_cast<std::uint8_t>(type),
                 0,
                 1,
                 0,
                 0,
                 0,
                 30,
                 0,
                 static_cast<std::uint8_t>(rdata.size())};
    record.insert(record.end(), rdata.begin(), rdata.end());
    out.insert(out.end(), record.begin(), record.end());
  }
  out[6] = static_cast<std::uint8_t>(count >> 8);
  out[7] = static_cast<std::uint8_t>(count);
  return out;
}

// A DNS server on 127.0.0.1 (UDP and TCP on one port) answering every question with
// `addresses`: over UDP truncated (no records) when `truncate_udp`, or never when `silent`.
struct FakeServer {
  net::io_context& io;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  std::vector<std::string> addresses;
  bool truncate_udp = false;
  bool silent = false;
  int udp_questions = 0;
  int tcp_questions = 0;

  FakeServer(net::io_context& context, std::vector<std::string> answer_with)
      : io(context), udp_socket(context), acceptor(context), addresses(std::move(answer_with)) {
    // A port free for both UDP and TCP: the kernel picks the UDP one, TCP may hold it already.
    for (int attempt = 0;; ++attempt) {
      udp_socket = udp::socket(context, udp::endpoint(net::ip::make_address("127.0.0.1"), 0));
      tcp::endpoint at(net::ip::make_address("127.0.0.1"), udp_socket.local_endpoint().port());
      boost::system::error_code ec;
      acceptor.open(at.protocol());
      acceptor.bind(at, ec);
      if (!ec) break;
      acceptor.close();
      REQUIRE(attempt < 100);
    }
    acceptor.listen();
    net::co_spawn(io, serve_udp(), net::detached);
    net::co_spawn(io, serve_tcp(), net::detached);
  }
  udp::endpoint endpoint() const { return udp_socket.local_endpoint(); }
  void close() {
    udp_socket.close();
    acceptor.close();
  }

  awaitable<void> serve_udp() {
    for (;;) {
      Bytes buffer(512);
      udp::endpoint from;
      auto [ec, n] = co_await udp_socket.async_receive_from(net::buffer(buffer), from, use_nothrow);
      if (ec) co_return;
      ++udp_questions;
      if (silent) continue;
      buffer.resize(n);
      Bytes reply =
          truncate_udp ? answer(buffer, n, {}, true) : answer(buffer, n, addresses, false);
      co_await udp_socket.async_send_to(net::buffer(reply), from, use_nothrow);
    }
  }
  awaitable<void> serve_tcp() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
      if (ec) co_return;
      std::uint8_t length[2];
      auto [rec, rn] = co_await net::async_read(socket, net::buffer(length), use_nothrow);
      if (rec) continue;
      Bytes query(static_cast<std::size_t>((length[0] << 8) | length[1]));
      std::tie(rec, rn) = co_await net::async_read(socket, net::buffer(query), use_nothrow);
      if (rec) continue;
      ++tcp_questions;
      Bytes reply = answer(query, query.size(), addresses, false);
      Bytes framed{static_cast<std::uint8_t>(reply.size() >> 8),
                   static_cast<std::uint8_t>(reply.size())};
      framed.insert(framed.end(), reply.begin(), reply.end());
      co_await net::async_write(socket, net::buffer(framed), use_nothrow);
    }
  }
};

DnsLookup resolve(net::io_context& io, DnsClient& client, FakeServer& a, FakeServer* b = nullptr) {
  DnsLookup result;
  net::co_spawn(
      io,
      [&]() -> awaitable<void> {
        result = co_await client.resolve("app.test");
        a.close();
        if (b) b->close();
      },
      net::detached);
  io.run();
  return result;
}

std::vector<std::string> texts(const DnsLookup& lookup) {
  std::vector<std::string> out;
  for (const auto& a : lookup.addresses)
    out.push_back(a.to_string());
  return out;
}

TEST_CASE("DnsClient asks A then AAAA over UDP") {
  net::io_context io;
  FakeServer server(io, {"10.0.0.1", "fd00::1", "10.0.0.2"});
  DnsClient client({server.endpoint()}, std::chrono::seconds(5));
  DnsLookup lookup = resolve(io, client, server);
  REQUIRE(lookup.ok);
  CHECK(texts(lookup) == std::vector<std::string>{"10.0.0.1", "10.0.0.2", "fd00::1"});
  CHECK(server.udp_questions == 2);
  CHECK(server.tcp_questions == 0);
}

TEST_CASE("DnsClient asks again over TCP when the UDP answer is truncated") {
  net::io_context io;
  FakeServer server(io, {"10.0.0.7"});
  server.truncate_udp = true;
  DnsClient client({server.endpoint()}, std::chrono::seconds(5));
  DnsLookup lookup = resolve(io, client, server);
  REQUIRE(lookup.ok);
  CHECK(texts(lookup) == std::vector<std::string>{"10.0.0.7"});
  CHECK(server.tcp_questions == 2);
}

TEST_CASE("DnsClient: a silent server times out, the next one answers") {
  net::io_context io;
  FakeServer silent(io, {"10.0.0.1"});
  silent.silent = true;
  FakeServer good(io, {"10.0.0.9"});
  DnsClient client({silent.endpoint(), good.endpoint()}, std::chrono::milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  DnsLookup lookup = resolve(io, client, silent, &good);
  REQUIRE(lookup.ok);
  CHECK(texts(lookup) == std::vector<std::string>{"10.0.0.9"});
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(200));
}

TEST_CASE("DnsClient: every server failing is a failure naming the last one") {
  net::io_context io;
  FakeServer silent(io, {"10.0.0.1"});
  silent.silent = true;
  DnsClient client({silent.endpoint()}, std::chrono::milliseconds(100));
  DnsLookup lookup = resolve(io, client, silent);
  CHECK_FALSE(lookup.ok);
  CHECK(lookup.error.find("timed out") != std::string::npos);
  CHECK(lookup.error.find("127.0.0.1:") != std::string::npos);
}

}  // namespace
}  // namespace albatross::discovery
