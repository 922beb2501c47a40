#include "albatross/server/server.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <thread>

#include "albatross/common/log.hpp"
#include "albatross/common/version.hpp"
#include "albatross/server/snapshot_builder.hpp"

namespace albatross::server {

namespace net = boost::asio;

Server::Server(std::string config_path)
    : config_path_(std::move(config_path)), signals_(control_), shutdown_timer_(control_) {}

Server::~Server() {
  for (auto& worker : workers_)
    worker->stop();
  workers_.clear();
}

int Server::run() {
  if (!start()) return 1;
  control_.run();
  for (auto& worker : workers_)
    worker->stop();
  log::info("albatross stopped");
  return 0;
}

bool Server::start() {
  // Handled from the start: a stop or reload signal sent as soon as the process announced itself
  // (or while it starts) must not kill it with the default action. Signals that arrive before
  // wait_signals() stay queued in the signal set.
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  config::ConfigErrors errors;
  std::string hash;
  config::Config config = load_config(config_path_, errors, &hash);
  if (!errors.empty()) {
    for (const auto& e : errors)
      log::error(e.to_string());
    log::error("not starting: the configuration has ", errors.size(), " error(s)");
    return false;
  }
  threads_ = config.global.threads > 0 ? static_cast<unsigned>(config.global.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
  registry_ = std::make_unique<metrics::Registry>(threads_ + 1);
  catalog_ = std::make_unique<metrics::Catalog>(*registry_);

  std::map<std::string, std::unique_ptr<ListenSocketSet>> added;
  if (!bind_listeners(config, added)) return false;
  std::map<std::string, std::uint16_t> ports;
  for (auto& [key, set] : added)
    ports[key] = set->port();
  auto snapshot = build_snapshot(std::move(config), hash, states_, *catalog_, errors, &ports);
  if (!snapshot) {
    for (const auto& e : errors)
      log::error(e.to_string());
    log::error("not starting: the configuration has ", errors.size(), " error(s)");
    return false;
  }
  sockets_ = std::move(added);

  for (unsigned i = 0; i < threads_; ++i) {
    workers_.push_back(std::make_unique<Worker>(i));
    workers_.back()->start();
  }
  publish(snapshot);
  for (const http::ListenerContext& listener : snapshot->listeners) {
    const HostPort& bind = listener.config.bind;
    log::info(
        "listener ", listener.name, " listening on ",
        HostPort{bind.host, static_cast<std::uint16_t>(std::stoi(listener.port_text))}.to_string());
  }
  log::info("albatross ", kVersion, " started: ", threads_, " worker thread(s), ",
            snapshot->groups.size(), " target group(s)");
  wait_signals();
  return true;
}

bool Server::bind_listeners(const config::Config& config,
                            std::map<std::string, std::unique_ptr<ListenSocketSet>>& added) {
  for (const config::ListenerConfig& listener : config.listeners) {
    std::string key = ListenSocketSet::key_for(listener);
    if (sockets_.contains(key) || added.contains(key)) continue;
    std::string error;
    auto set = ListenSocketSet::bind(listener.bind, threads_, error);
    if (!set) {
      log::error("listener ", listener.name, ": ", error);
      added.clear();
      return false;
    }
    added[key] = std::move(set);
  }
  return true;
}

void Server::publish(std::shared_ptr<const Snapshot> snapshot) {
  for (auto& worker : workers_) {
    std::vector<ListenerAssignment> assignments;
    for (std::size_t i = 0; i < snapshot->listeners.size(); ++i) {
      const http::ListenerContext& listener = snapshot->listeners[i];
      ListenerAssignment a;
      a.key = ListenSocketSet::key_for(listener.config);
      const ListenSocketSet& set = *sockets_.at(a.key);
      a.fd = ::dup(set.fd(worker->index()));
      a.ipv6 = set.ipv6();
      a.context = Snapshot::listener(snapshot, i);
      assignments.push_back(std::move(a));
    }
    worker->apply(std::move(assignments));
  }
  snapshot_ = std::move(snapshot);
}

void Server::reload() {
  log::info("reloading configuration from ", config_path_);
  config::ConfigErrors errors;
  std::string hash;
  config::Config config = load_config(config_path_, errors, &hash);
  auto fail = [&] {
    for (const auto& e : errors)
      log::error(e.to_string());
    log::error("reload failed: the configuration has ", errors.size(),
               " error(s); the running configuration stays in service");
  };
  if (!errors.empty()) return fail();
  if (config.global.threads != snapshot_->config.global.threads) {
    log::warn("global.threads changed: takes effect at the next restart");
  }
  std::map<std::string, std::unique_ptr<ListenSocketSet>> added;
  if (!bind_listeners(config, added)) {
    log::error("reload failed; the running configuration stays in service");
    return;
  }
  std::map<std::string, std::uint16_t> ports;
  for (auto& [key, set] : sockets_)
    ports[key] = set->port();
  for (auto& [key, set] : added)
    ports[key] = set->port();
  auto snapshot = build_snapshot(std::move(config), hash, states_, *catalog_, errors, &ports);
  if (!snapshot) {
    states_.rollback(snapshot_->target_ids);
    return fail();
  }
  for (auto& [key, set] : added)
    sockets_[key] = std::move(set);
  publish(snapshot);
  // Sockets no listener uses any more: workers close their duplicates on apply.
  std::map<std::string, bool> used;
  for (const auto& l : snapshot_->listeners)
    used[ListenSocketSet::key_for(l.config)] = true;
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    it = used.contains(it->first) ? std::next(it) : sockets_.erase(it);
  }
  states_.retain_only(snapshot_->target_ids);
  log::info("configuration reloaded (", snapshot_->config_hash.substr(0, 12), ")");
}

void Server::wait_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      if (!shutting_down_) reload();
    } else {
      begin_shutdown(signal);
    }
    if (!control_.stopped()) wait_signals();
  });
}

void Server::begin_shutdown(int signal) {
  if (shutting_down_) {
    log::warn("second stop signal: closing every connection now");
    finish_shutdown();
    return;
  }
  shutting_down_ = true;
  Duration timeout = snapshot_->config.global.shutdown_timeout;
  log::info(signal == SIGINT ? "SIGINT" : "SIGTERM", ": stopping; in-flight exchanges have up to ",
            format_duration(timeout), " to finish");
  sockets_.clear();  // workers close their duplicates as they start draining
  workers_draining_ = workers_.size();
  for (auto& worker : workers_) {
    worker->shutdown([this] {
      net::post(control_, [this] {
        if (--workers_draining_ == 0) finish_shutdown();
      });
    });
  }
  shutdown_timer_.expires_after(timeout);
  shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    log::warn("shutdown_timeout reached: closing the connections still open");
    finish_shutdown();
  });
}

void Server::finish_shutdown() {
  shutdown_timer_.cancel();
  signals_.cancel();
  control_.stop();
}

}  // namespace albatross::server
