#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "albatross/demo/demo_target.hpp"

namespace albatross::testing {

// In-process demo targets (albatross::demo::DemoTarget) on 127.0.0.1 port 0, all served by one
// background io_context thread. Thread: construct, query and stop from the test thread; the
// targets' counters are atomics.
class Targets {
 public:
  // One target per name.
  explicit Targets(const std::vector<std::string>& names);
  ~Targets();
  Targets(const Targets&) = delete;
  Targets& operator=(const Targets&) = delete;

  std::size_t size() const { return targets_.size(); }
  demo::DemoTarget& operator[](std::size_t i) { return *targets_.at(i); }
  const std::string& name(std::size_t i) const { return targets_.at(i)->name(); }
  std::uint16_t port(std::size_t i) const { return targets_.at(i)->port(); }
  std::vector<std::uint16_t> ports() const;
  std::uint64_t requests_served(std::size_t i) const { return targets_.at(i)->requests_served(); }
  std::uint64_t connections_accepted(std::size_t i) const {
    return targets_.at(i)->connections_accepted();
  }
  std::uint64_t total_requests() const;
  std::uint64_t total_connections() const;

  // Stops target `i` (no more accepts, every connection closed) and returns once that is done:
  // a connect to its port is refused from then on.
  void stop(std::size_t i);

 private:
  boost::asio::io_context io_;
  std::vector<std::unique_ptr<demo::DemoTarget>> targets_;
  std::thread thread_;
};

}  // namespace albatross::testing
