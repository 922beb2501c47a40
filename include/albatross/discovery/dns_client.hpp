#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/duration.hpp"
#include "albatross/config/global_config.hpp"

namespace albatross::discovery {

// The outcome of resolving one name.
struct DnsLookup {
  bool ok = false;  // an answer came (NOERROR or NXDOMAIN); false: every server failed
  std::vector<boost::asio::ip::address> addresses;  // A then AAAA records, each once
  std::string error;                                // why not, when !ok
};

// A stub resolver of our own: asks the A and AAAA records of a name over UDP (over TCP when the
// answer is truncated), one server after the other, each under `timeout`; never blocks a
// thread. Answers are taken as they are: NXDOMAIN and NODATA are empty sets. Thread: the
// executor it runs on (the control context); resolve_blocking() any thread, on an io_context
// of its own.
class DnsClient {
 public:
  static constexpr std::chrono::seconds kDefaultTimeout{2};

  DnsClient(std::vector<boost::asio::ip::udp::endpoint> servers, Duration timeout);

  // global.resolvers, or the nameservers of /etc/resolv.conf when there are none.
  static std::vector<boost::asio::ip::udp::endpoint> servers_for(
      const config::GlobalConfig& global);

  const std::vector<boost::asio::ip::udp::endpoint>& servers() const { return servers_; }

  awaitable<DnsLookup> resolve(std::string name);

  // resolve() on a private io_context, waiting for the answer (load time and --check, on the
  // control thread before anything serves).
  DnsLookup resolve_blocking(const std::string& name);

 private:
  std::vector<boost::asio::ip::udp::endpoint> servers_;
  Duration timeout_;
  std::mt19937 ids_;
};

}  // namespace albatross::discovery
