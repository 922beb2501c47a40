#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/duration.hpp"
#include "albatross/config/config.hpp"
#include "albatross/discovery/dns_client.hpp"
#include "albatross/discovery/hosts_file.hpp"

namespace albatross::discovery {

// The address sets of the target names albatross follows, keyed by "<target group>/<name>":
// what the last successful resolution of each returned. Built at load, updated by DnsWatcher.
using AddressSets = std::map<std::string, std::vector<boost::asio::ip::address>>;

// Re-resolves every followed target name every `dns_refresh` of its group and reports a
// changed address set through `on_change` (the server then builds a snapshot with the new
// targets). A failed resolution keeps the last good set, is counted in
// albatross_dns_resolutions_total{result="failure"} and logged. Thread: the control context
// only (every call and every resolution); the client, counters and callback must outlive it.
class DnsWatcher {
 public:
  struct Name {
    std::string group;
    std::string host;
    Duration refresh;  // 0: resolved at load only
  };

  DnsWatcher(boost::asio::any_io_executor control,
             prometheus::Family<prometheus::Counter>& resolutions, std::function<void()> on_change);
  ~DnsWatcher();
  DnsWatcher(const DnsWatcher&) = delete;
  DnsWatcher& operator=(const DnsWatcher&) = delete;

  static std::string key(std::string_view group, std::string_view host);
  // Whether a declared target host is followed through DNS: not an IP literal, not in `hosts`.
  static bool is_followed(const std::string& host, const HostsFile& hosts);
  // The followed names of `config`, each (group, name) once.
  static std::vector<Name> names_of(const config::Config& config, const HostsFile& hosts);

  // Follows `names` from now on, starting from the sets resolved at load (`current`), asking
  // `client`'s servers. Resolutions in flight for the previous names are discarded.
  void watch(std::vector<Name> names, AddressSets current, std::shared_ptr<DnsClient> client);
  // Stops every timer (shutdown). Idempotent.
  void stop();

  const AddressSets& addresses() const { return addresses_; }
  std::uint64_t resolutions() const { return resolutions_done_; }

 private:
  awaitable<void> follow(Name name, std::uint64_t generation,
                         std::shared_ptr<boost::asio::steady_timer> timer);

  boost::asio::any_io_executor control_;
  prometheus::Family<prometheus::Counter>& family_;
  std::function<void()> on_change_;
  std::shared_ptr<DnsClient> client_;
  AddressSets addresses_;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> timers_;
  std::uint64_t generation_ = 0;
  std::uint64_t resolutions_done_ = 0;
  bool stopped_ = false;
};

}  // namespace albatross::discovery
