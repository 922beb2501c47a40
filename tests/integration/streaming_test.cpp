// Bodies that must stream: Server-Sent Events arriving as they are sent, 200 MB uploads and a
// large download through bounded memory, Expect: 100-continue, and a WebSocket tunnel.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Fixture {
  Targets targets{{"t1"}};
  AlbatrossProcess albatross{
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str()};
  Fixture() { albatross.start(); }
  std::uint16_t port() const { return albatross.port("web"); }
};

TEST_CASE("server-sent events arrive one by one, as the target sends them") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  TimePoint sent = Clock::now();
  REQUIRE(
      client.send("GET /sse?events=5&interval=200 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
  auto head = client.read_head(after(seconds(5)));
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->header("Content-Type") == "text/event-stream");
  std::vector<TimedEvent> events = client.read_sse_events(after(seconds(10)));
  INFO("client: " << client.error());
  REQUIRE(events.size() == 5);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CAPTURE(i);
    CHECK(events[i].text.find("data: event " + std::to_string(i) + " from t1") !=
          std::string::npos);
  }
  // The stream takes at least 800 ms at the target. Its first event must arrive long before
  // that, and the events must spread over the stream, not come in one burst at its end.
  CHECK(events[0].arrived - sent < milliseconds(500));
  CHECK(events[4].arrived - events[0].arrived > milliseconds(600));
  // Sent 200 ms apart: scheduling on a busy machine may squeeze one gap, not several.
  int spaced = 0;
  for (std::size_t i = 1; i < events.size(); ++i) {
    if (events[i].arrived - events[i - 1].arrived > milliseconds(100)) ++spaced;
  }
  CHECK(spaced >= 3);
  // The connection carries on after the stream.
  CHECK(client.get("/").status == 200);
}

TEST_CASE("200 MB uploads and a 128 MB download stream through bounded memory") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  constexpr std::uint64_t kUpload = 200ull * 1024 * 1024;
  constexpr std::uint64_t kDownload = 128ull * 1024 * 1024;
  const std::string piece(64 * 1024, 'u');
  HttpClient client(f.port());
  REQUIRE(client.get("/").status == 200);  // warm up: both workers' first allocations
  HttpClient warm(f.port());
  REQUIRE(warm.get("/").status == 200);
  const std::uint64_t baseline = f.albatross.peak_rss();

  SUBCASE("Content-Length") {
    REQUIRE(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(kUpload) + "\r\n\r\n",
                        after(seconds(5))));
    REQUIRE(client.send_repeated(piece, kUpload / piece.size(), after(seconds(60))));
    auto response = client.read_response(after(seconds(30)));
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "received " + std::to_string(kUpload) + " bytes\n");
  }
  SUBCASE("chunked") {
    REQUIRE(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                        after(seconds(5))));
    const std::string chunk = "10000\r\n" + piece + "\r\n";
    REQUIRE(client.send_repeated(chunk, kUpload / piece.size(), after(seconds(60))));
    REQUIRE(client.send("0\r\n\r\n", after(seconds(5))));
    auto response = client.read_response(after(seconds(30)));
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "received " + std::to_string(kUpload) + " bytes\n");
  }
  SUBCASE("download") {
    HttpClient::ReadOptions discard;
    discard.discard_body = true;
    REQUIRE(
        client.send("GET /bytes?n=" + std::to_string(kDownload) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                    after(seconds(5))));
    auto response = client.read_response(after(seconds(60)), discard);
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->complete);
    CHECK(response->body_size == kDownload);
  }
  const std::uint64_t peak = f.albatross.peak_rss();
  MESSAGE("albatross peak RSS: baseline " << baseline / 1024 << " KiB, after " << peak / 1024
                                          << " KiB");
  // Measured: about 0.1 MiB over the baseline (Release and ASan alike).
  CHECK(peak - baseline < 16ull * 1024 * 1024);
  CHECK(client.get("/").status == 200);
}

TEST_CASE("Expect: 100-continue gets 100 Continue before the body is sent") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  const std::string body(100000, 'e');
  REQUIRE(
      client.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  "Content-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n",
                  after(seconds(5))));
  auto interim = client.read_response(after(seconds(5)));
  REQUIRE(interim);
  CHECK(interim->status == 100);
  REQUIRE(client.send(body, after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "received 100000 bytes\n");
  // The target never sees Expect (albatross answered it).
  std::string headers = client.get("/headers").body;
  CHECK(headers.find("Expect") == std::string::npos);
}

TEST_CASE("a WebSocket session is tunnelled both ways and closes cleanly") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  namespace net = boost::asio;
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

  struct Outcome {
    bool done = false;
    std::string failure;
    std::vector<std::string> echoes;
    bool binary_echo = false;
    bool closed_cleanly = false;
  } outcome;
  const std::string big(300000, 'b');
  net::io_context io;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        websocket::stream<beast::tcp_stream> ws(io);
        ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        beast::get_lowest_layer(ws).expires_after(seconds(5));
        net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), f.port());
        auto [cec] = co_await beast::get_lowest_layer(ws).async_connect(endpoint, use_nothrow);
        if (cec) co_return void(outcome.failure = "connect: " + cec.message());
        auto [hec] = co_await ws.async_handshake("127.0.0.1", "/ws", use_nothrow);
        if (hec) co_return void(outcome.failure = "handshake: " + hec.message());
        beast::get_lowest_layer(ws).expires_never();  // the websocket timeouts take over
        beast::flat_buffer buffer;
        for (std::string text : {"hello", "through", "albatross"}) {
          ws.text(true);
          auto [wec, wn] = co_await ws.async_write(net::buffer(text), use_nothrow);
          if (wec) co_return void(outcome.failure = "write: " + wec.message());
          auto [rec, rn] = co_await ws.async_read(buffer, use_nothrow);
          if (rec) co_return void(outcome.failure = "read: " + rec.message());
          outcome.echoes.push_back(beast::buffers_to_string(buffer.data()));
          buffer.consume(buffer.size());
        }
        ws.binary(true);
        auto [bwec, bwn] = co_await ws.async_write(net::buffer(big), use_nothrow);
        if (bwec) co_return void(outcome.failure = "binary write: " + bwec.message());
        auto [brec, brn] = co_await ws.async_read(buffer, use_nothrow);
        if (brec) co_return void(outcome.failure = "binary read: " + brec.message());
        outcome.binary_echo = !ws.got_text() && beast::buffers_to_string(buffer.data()) == big;
        auto [clec] = co_await ws.async_close(websocket::close_code::normal, use_nothrow);
        if (clec) co_return void(outcome.failure = "close: " + clec.message());
        outcome.closed_cleanly = true;
        outcome.done = true;
      },
      net::detached);
  io.run_for(seconds(20));
  INFO("websocket: " << outcome.failure);
  REQUIRE(outcome.done);
  CHECK(outcome.echoes == std::vector<std::string>{"hello", "through", "albatross"});
  CHECK(outcome.binary_echo);
  CHECK(outcome.closed_cleanly);
  // After the tunnel, plain requests still work.
  HttpClient client(f.port());
  CHECK(client.get("/").status == 200);
}

}  // namespace
}  // namespace albatross::testing
