#include "albatross/health/probe.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "albatross/common/version.hpp"
#include "fake_target.hpp"

namespace albatross::health {
namespace {

namespace net = boost::asio;
using net::ip::tcp;
using testing::Clock;
using testing::FakeTarget;
using testing::run_until;
using namespace std::chrono_literals;

config::HealthCheckConfig check_config(std::chrono::milliseconds timeout = 1000ms,
                                       std::string_view matcher = "200") {
  config::HealthCheckConfig c;
  c.timeout = timeout;
  c.interval = timeout * 2;
  c.matcher = *config::StatusMatcher::parse(matcher);
  return c;
}

tcp::endpoint loopback(std::uint16_t port) {
  return {net::ip::make_address_v4("127.0.0.1"), port};
}

// Runs one probe to completion (or fails the test after 3 s).
ProbeResult probe(net::io_context& io, std::vector<tcp::endpoint> endpoints,
                  const config::HealthCheckConfig& config, std::string host = "target:1") {
  auto out = std::make_shared<std::optional<ProbeResult>>();
  net::co_spawn(io, probe_target(io.get_executor(), std::move(endpoints), std::move(host), config),
                [out](std::exception_ptr e, ProbeResult r) {
                  if (!e) *out = std::move(r);
                });
  REQUIRE(run_until(
      io, [&] { return out->has_value(); }, 3000ms));
  return **out;
}

TEST_CASE("probe_request: GET with Host, User-Agent and Connection: close") {
  std::string r = probe_request("/ping?deep=1", "10.0.0.10:8080");
  CHECK(r == std::string("GET /ping?deep=1 HTTP/1.1\r\nHost: 10.0.0.10:8080\r\n"
                         "User-Agent: albatross-health-check/") +
                 kVersion + "\r\nAccept: */*\r\nConnection: close\r\n\r\n");
}

TEST_CASE("probe_target: a matching status passes; the request is on the wire; the probe closes") {
  net::io_context io;
  FakeTarget target(io);
  config::HealthCheckConfig config = check_config();
  config.path = "/health/ready";
  std::string host = "127.0.0.1:" + std::to_string(target.port());
  ProbeResult r = probe(io, {target.endpoint()}, config, host);
  CHECK(r.result == CheckResult::pass);
  CHECK(r.status == 200);
  CHECK(r.error.empty());
  CHECK(r.latency > 0us);
  CHECK(r.latency < 1s);
  REQUIRE(target.requests() == 1);
  CHECK(target.request_heads()[0] == probe_request("/health/ready", host));
  // The responder sees the probe's close (EOF), not a lingering connection.
  CHECK(run_until(
      io, [&] { return target.client_closes() == 1; }, 2000ms));
}

TEST_CASE("probe_target: a status outside the matcher is a code mismatch with that status") {
  net::io_context io;
  FakeTarget target(io);
  target.set_status(503);
  ProbeResult r = probe(io, {target.endpoint()}, check_config());
  CHECK(r.result == CheckResult::code_mismatch);
  CHECK(r.status == 503);
  CHECK(r.error.find("503") != std::string::npos);
}

TEST_CASE("probe_target: the matcher decides (lists and ranges)") {
  net::io_context io;
  FakeTarget target(io);
  struct Case {
    std::string_view matcher;
    int status;
    CheckResult expected;
  };
  const Case cases[] = {
      {"200-299", 204, CheckResult::pass},     {"200-299", 301, CheckResult::code_mismatch},
      {"200,202", 202, CheckResult::pass},     {"200,202", 201, CheckResult::code_mismatch},
      {"200,300-302", 302, CheckResult::pass}, {"200", 200, CheckResult::pass},
      {"200-499", 404, CheckResult::pass},     {"200-499", 500, CheckResult::code_mismatch},
  };
  for (const Case& c : cases) {
    CAPTURE(c.matcher);
    CAPTURE(c.status);
    target.set_status(c.status);
    ProbeResult r = probe(io, {target.endpoint()}, check_config(1000ms, c.matcher));
    CHECK(r.result == c.expected);
    CHECK(r.status == c.status);
  }
}

TEST_CASE("probe_target: no answer within the timeout is a timeout, bounded by it") {
  net::io_context io;
  FakeTarget target(io);
  target.set_mode(FakeTarget::Mode::hang);
  Clock::time_point start = Clock::now();
  ProbeResult r = probe(io, {target.endpoint()}, check_config(150ms));
  auto elapsed = Clock::now() - start;
  CHECK(r.result == CheckResult::timeout);
  CHECK(r.status == 0);
  CHECK(r.error.find("timed out") != std::string::npos);
  CHECK(elapsed >= 150ms);
  CHECK(elapsed < 1000ms);
  CHECK(r.latency >= 150ms);
  CHECK(target.requests() == 1);  // it did connect and send; only the answer was missing
}

TEST_CASE("probe_target: a refused connection fails") {
  net::io_context io;
  ProbeResult r = probe(io, {loopback(testing::refused_port(io))}, check_config());
  CHECK(r.result == CheckResult::failed);
  CHECK(r.status == 0);
  CHECK(r.error.find("connect") != std::string::npos);
}

TEST_CASE("probe_target: endpoints are tried in order; a later one may answer") {
  net::io_context io;
  FakeTarget target(io);
  ProbeResult r =
      probe(io, {loopback(testing::refused_port(io)), target.endpoint()}, check_config());
  CHECK(r.result == CheckResult::pass);
  CHECK(target.requests() == 1);
}

TEST_CASE("probe_target: no endpoint at all fails") {
  net::io_context io;
  ProbeResult r = probe(io, {}, check_config());
  CHECK(r.result == CheckResult::failed);
  CHECK(r.error == "no address to connect to");
}

TEST_CASE("probe_target: a reset, an early close or garbage fails") {
  net::io_context io;
  FakeTarget target(io);
  for (FakeTarget::Mode mode :
       {FakeTarget::Mode::reset, FakeTarget::Mode::close, FakeTarget::Mode::garbage}) {
    CAPTURE(static_cast<int>(mode));
    target.set_mode(mode);
    ProbeResult r = probe(io, {target.endpoint()}, check_config());
    CHECK(r.result == CheckResult::failed);
    CHECK(r.status == 0);
    CHECK(!r.error.empty());
  }
}

TEST_CASE("probe_target: invalid or oversized heads fail") {
  net::io_context io;
  FakeTarget target(io);
  target.set_mode(FakeTarget::Mode::raw);
  const std::string cases[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",  // conflicting
      "HTTP/1.1 200 OK\nContent-Length: 0\n\n",                             // bare LF
      "HTTP/2 200\r\n\r\n",                                                 // not HTTP/1
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(40 * 1024, 'a') + "\r\n\r\n",
  };
  for (const std::string& raw : cases) {
    CAPTURE(raw.substr(0, 40));
    target.set_raw_response(raw);
    ProbeResult r = probe(io, {target.endpoint()}, check_config());
    CHECK(r.result == CheckResult::failed);
    CHECK(r.error.find("invalid response") != std::string::npos);
  }
}

TEST_CASE("probe_target: interim 1xx heads are skipped; the final status decides") {
  net::io_context io;
  FakeTarget target(io);
  target.set_mode(FakeTarget::Mode::raw);
  target.set_raw_response(
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ProbeResult r = probe(io, {target.endpoint()}, check_config());
  CHECK(r.result == CheckResult::pass);
  CHECK(r.status == 200);

  target.set_raw_response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
  r = probe(io, {target.endpoint()}, check_config());
  CHECK(r.result == CheckResult::code_mismatch);
  CHECK(r.status == 101);
}

TEST_CASE("probe_target: the body is not waited for") {
  net::io_context io;
  FakeTarget target(io);
  target.set_mode(FakeTarget::Mode::raw);
  // A declared body that never arrives: the head alone decides, well before the timeout.
  target.set_raw_response("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial");
  Clock::time_point start = Clock::now();
  ProbeResult r = probe(io, {target.endpoint()}, check_config(2000ms));
  CHECK(r.result == CheckResult::pass);
  CHECK(Clock::now() - start < 1000ms);
}

}  // namespace
}  // namespace albatross::health
