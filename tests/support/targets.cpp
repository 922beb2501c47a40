#include "support/targets.hpp"

#include <boost/asio/post.hpp>
#include <future>

namespace albatross::testing {

namespace net = boost::asio;

Targets::Targets(const std::vector<std::string>& names) {
  net::ip::tcp::endpoint loopback(net::ip::make_address("127.0.0.1"), 0);
  for (const std::string& name : names)
    targets_.push_back(std::make_unique<demo::DemoTarget>(io_, loopback, name));
  auto work = std::make_shared<net::executor_work_guard<net::io_context::executor_type>>(
      io_.get_executor());
  thread_ = std::thread([this, work] {
    // The guard lives in the thread, so io_.stop() alone ends the loop.
    io_.run();
  });
}

Targets::~Targets() {
  for (auto& target : targets_)
    target->stop();
  io_.stop();
  thread_.join();
  targets_.clear();
}

std::vector<std::uint16_t> Targets::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& target : targets_)
    out.push_back(target->port());
  return out;
}

std::uint64_t Targets::total_requests() const {
  std::uint64_t n = 0;
  for (const auto& target : targets_)
    n += target->requests_served();
  return n;
}

std::uint64_t Targets::total_connections() const {
  std::uint64_t n = 0;
  for (const auto& target : targets_)
    n += target->connections_accepted();
  return n;
}

void Targets::stop(std::size_t i) {
  targets_.at(i)->stop();
  // stop() posts the close; one io thread runs handlers in order, so once this one ran, the
  // acceptor and the target's connections are closed.
  std::promise<void> done;
  net::post(io_, [&done] { done.set_value(); });
  done.get_future().wait();
}

}  // namespace albatross::testing
