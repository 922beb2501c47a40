#include "fake_target.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace albatross::health::testing {
namespace {

namespace net = boost::asio;
using net::ip::tcp;
constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

net::awaitable<void> serve(std::shared_ptr<tcp::socket> socket,
                           std::shared_ptr<FakeTarget::State> state) {
  using Mode = FakeTarget::Mode;
  if (state->mode == Mode::reset) {
    boost::system::error_code ignored;
    socket->set_option(net::socket_base::linger(true, 0), ignored);
    socket->close(ignored);
    co_return;
  }
  std::string in;
  auto [ec, n] = co_await net::async_read_until(*socket, net::dynamic_buffer(in, 64 * 1024),
                                                "\r\n\r\n", use_nothrow);
  if (ec) co_return;
  state->requests.push_back(in.substr(0, n));
  state->times.push_back(Clock::now());
  std::string response;
  switch (state->mode) {
    case Mode::hang:
      state->open.push_back(socket);
      co_return;
    case Mode::close: {
      boost::system::error_code ignored;
      socket->close(ignored);
      co_return;
    }
    case Mode::garbage:
      response = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
      break;
    case Mode::raw:
      response = state->raw;
      break;
    default:
      response = "HTTP/1.1 " + std::to_string(state->status) +
                 " Whatever\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\npong";
      break;
  }
  state->open.push_back(socket);
  if (auto [wec, wn] = co_await net::async_write(*socket, net::buffer(response), use_nothrow);
      wec) {
    co_return;
  }
  // The client must close after the response: wait for its EOF.
  char sink[512];
  while (true) {
    auto [rec, rn] = co_await socket->async_read_some(net::buffer(sink), use_nothrow);
    if (rec == net::error::eof) ++state->client_closes;
    if (rec) break;
  }
  boost::system::error_code ignored;
  socket->close(ignored);
}

net::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor,
                                 std::shared_ptr<FakeTarget::State> state) {
  while (!state->stopped) {
    auto socket = std::make_shared<tcp::socket>(acceptor->get_executor());
    auto [ec] = co_await acceptor->async_accept(*socket, use_nothrow);
    if (ec) co_return;
    net::co_spawn(acceptor->get_executor(), serve(socket, state), net::detached);
  }
}

}  // namespace

FakeTarget::FakeTarget(net::io_context& io)
    : acceptor_(std::make_shared<tcp::acceptor>(
          io, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0))),
      state_(std::make_shared<State>()) {
  port_ = acceptor_->local_endpoint().port();
  net::co_spawn(io, accept_loop(acceptor_, state_), net::detached);
}

FakeTarget::~FakeTarget() {
  stop();
}

tcp::endpoint FakeTarget::endpoint() const {
  return {net::ip::make_address_v4("127.0.0.1"), port_};
}

void FakeTarget::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ignored;
  acceptor_->close(ignored);
  for (auto& socket : state_->open)
    socket->close(ignored);
  state_->open.clear();
}

std::uint16_t refused_port(net::io_context& io) {
  tcp::acceptor probe(io, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0));
  std::uint16_t port = probe.local_endpoint().port();
  probe.close();
  return port;
}

bool run_until(net::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit) {
  auto guard = net::make_work_guard(io);
  const Clock::time_point end = Clock::now() + limit;
  if (io.stopped()) io.restart();
  while (!done()) {
    if (Clock::now() >= end) return false;
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace albatross::health::testing
