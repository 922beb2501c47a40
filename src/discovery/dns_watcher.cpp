#include "albatross/discovery/dns_watcher.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "albatross/common/log.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::discovery {

namespace net = boost::asio;

namespace {

std::vector<net::ip::address> sorted(std::vector<net::ip::address> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

DnsWatcher::DnsWatcher(net::any_io_executor control,
                       prometheus::Family<prometheus::Counter>& resolutions,
                       std::function<void()> on_change)
    : control_(std::move(control)), family_(resolutions), on_change_(std::move(on_change)) {}

DnsWatcher::~DnsWatcher() {
  stop();
}

std::string DnsWatcher::key(std::string_view group, std::string_view host) {
  return str_cat(group, '/', host);
}

bool DnsWatcher::is_followed(const std::string& host, const HostsFile& hosts) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return ec && !hosts.contains(host);
}

std::vector<DnsWatcher::Name> DnsWatcher::names_of(const config::Config& config,
                                                   const HostsFile& hosts) {
  std::vector<Name> names;
  for (const config::TargetGroupConfig& group : config.target_groups) {
    for (const HostPort& target : group.targets) {
      if (!is_followed(target.host, hosts)) continue;
      bool seen = std::any_of(names.begin(), names.end(), [&](const Name& n) {
        return n.group == group.name && n.host == target.host;
      });
      if (!seen) names.push_back(Name{group.name, target.host, group.dns_refresh});
    }
  }
  return names;
}

void DnsWatcher::watch(std::vector<Name> names, AddressSets current,
                       std::shared_ptr<DnsClient> client) {
  if (stopped_) return;
  ++generation_;
  for (auto& timer : timers_)
    timer->cancel();
  timers_.clear();
  client_ = std::move(client);
  addresses_ = std::move(current);
  for (Name& name : names) {
    if (name.refresh.count() <= 0) continue;
    auto timer = std::make_shared<net::steady_timer>(control_);
    timers_.push_back(timer);
    net::co_spawn(control_, follow(std::move(name), generation_, std::move(timer)), net::detached);
  }
}

void DnsWatcher::stop() {
  if (stopped_) return;
  stopped_ = true;
  ++generation_;
  for (auto& timer : timers_)
    timer->cancel();
  timers_.clear();
}

awaitable<void> DnsWatcher::follow(Name name, std::uint64_t generation,
                                   std::shared_ptr<net::steady_timer> timer) {
  std::string key = DnsWatcher::key(name.group, name.host);
  prometheus::Counter& successes =
      family_.Add({{"target_group", name.group}, {"name", name.host}, {"result", "success"}});
  prometheus::Counter& failures =
      family_.Add({{"target_group", name.group}, {"name", name.host}, {"result", "failure"}});
  std::shared_ptr<DnsClient> client = client_;
  for (;;) {
    timer->expires_after(name.refresh);
    auto [ec] = co_await timer->async_wait(use_nothrow);
    if (ec || generation != generation_) co_return;
    DnsLookup lookup = co_await client->resolve(name.host);
    // A watch() or stop() while the question was out: `this` is still alive (the server
    // outlives the control context's handlers), but the answer belongs to an older set.
    if (generation != generation_) co_return;
    ++resolutions_done_;
    if (!lookup.ok) {
      failures.Increment();
      log::warn("target group ", name.group, ": cannot resolve ", name.host, " (", lookup.error,
                "); keeping its last ", addresses_[key].size(), " address(es)");
      continue;
    }
    successes.Increment();
    std::vector<net::ip::address> now = sorted(std::move(lookup.addresses));
    std::vector<net::ip::address>& before = addresses_[key];
    if (now == sorted(before)) continue;
    log::info("target group ", name.group, ": ", name.host, " now resolves to ", now.size(),
              " address(es) (was ", before.size(), ')');
    before = std::move(now);
    on_change_();
  }
}

}  // namespace albatross::discovery
