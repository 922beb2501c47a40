#include "albatross/server/server.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <thread>

#include "albatross/common/json_writer.hpp"
#include "albatross/common/log.hpp"
#include "albatross/common/version.hpp"
#include "albatross/common/wall_clock.hpp"
#include "albatross/server/prepared_config.hpp"
#include "albatross/server/snapshot_builder.hpp"
#include "albatross/tls/certificate.hpp"

namespace albatross::server {

namespace net = boost::asio;

namespace {

// The sum of a family's counters whose labels match `wanted` (label index -> value; the other
// labels summed over). Runs on the control thread while workers count: each value is a
// consistent relaxed read, the sum a moment's picture, which is all a rate needs.
std::uint64_t counter_sum(const metrics::Family<metrics::Counter>& family,
                          std::initializer_list<std::pair<std::size_t, std::string_view>> wanted) {
  std::uint64_t total = 0;
  family.for_each([&](const std::vector<std::string>& labels, const metrics::Counter& counter) {
    for (const auto& [index, value] : wanted) {
      if (index >= labels.size() || labels[index] != value) return;
    }
    total += counter.value();
  });
  return total;
}

std::int64_t gauge_value(const metrics::Family<metrics::Gauge>& family, std::string_view first) {
  std::int64_t total = 0;
  family.for_each([&](const std::vector<std::string>& labels, const metrics::Gauge& gauge) {
    if (!labels.empty() && labels[0] == first) total += gauge.value();
  });
  return total;
}

std::string_view algorithm_name(config::Algorithm a) {
  return a == config::Algorithm::round_robin ? "round_robin" : "least_outstanding_requests";
}

}  // namespace

Server::Server(std::string config_path)
    : config_path_(std::move(config_path)),
      signals_(control_),
      shutdown_timer_(control_),
      housekeeping_timer_(control_) {}

Server::~Server() {
  if (admin_) admin_->stop();
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
  started_unix_ms_ = unix_ms_now();
  // Handled from the start: a stop or reload signal sent as soon as the process announced itself
  // (or while it starts) must not kill it with the default action. Signals that arrive before
  // wait_signals() stay queued in the signal set.
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  signals_.add(SIGUSR1);
  config::ConfigErrors errors;
  std::map<std::string, std::unique_ptr<ListenSocketSet>> added;
  PrepareContext context{states_,
                         fallback_keys_,
                         ticket_keys_,
                         nullptr,
                         [&](const config::Config& config) -> metrics::Catalog& {
                           create_metrics(config);
                           return *catalog_;
                         },
                         [&](const config::Config& config, auto& ports, auto& bind_errors) {
                           return bind_listeners(config, added, ports, bind_errors);
                         }};
  context.ocsp = ocsp_;
  PreparedConfig prepared = prepare_config(config_path_, context, errors);
  if (!prepared.snapshot) {
    // One problem is one line; several are listed, then counted.
    if (errors.size() == 1) {
      log::error("not starting: ", errors.front().to_string());
      return false;
    }
    for (const auto& e : errors)
      log::error(e.to_string());
    log::error("not starting: the configuration has ", errors.size(), " error(s)");
    return false;
  }
  std::shared_ptr<const Snapshot> snapshot = prepared.snapshot;
  const std::optional<HostPort>& admin_address = snapshot->config.global.admin;
  const std::optional<std::string>& token = prepared.admin_token;
  if (admin_address) {
    admin_ =
        std::make_unique<admin::AdminServer>(control_, *this, &catalog_->admin_requests_refused);
    std::string error;
    if (!admin_->start(*admin_address, token, snapshot->config.global.admin_allowed_hosts, error)) {
      log::error("not starting: ", error);
      return false;
    }
    log::info("admin endpoint listening on ", admin_->bound_address());
  }
  sockets_ = std::move(added);
  access_log_ = prepared.access_log;

  for (unsigned i = 0; i < threads_; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, connections_));
    workers_.back()->start();
  }
  publish(snapshot);
  health_ = std::make_unique<health::HealthChecker>(control_.get_executor(), *catalog_);
  health_->update(snapshot_->groups);
  dns_ = std::make_unique<discovery::DnsWatcher>(control_.get_executor(), catalog_->dns_resolutions,
                                                 [this] { rebuild_targets("DNS"); });
  adopt_discovery(prepared);
  record_reload(true, {});
  for (const http::ListenerContext& listener : snapshot_->listeners) {
    HostPort bound{listener.config.bind.host, listener.port};
    log::info("listener ", listener.name, " listening on ", bound.to_string());
  }
  log::info("albatross ", kVersion, " started: ", threads_, " worker thread(s), ",
            snapshot_->groups.size(), " target group(s)");
  wait_signals();
  housekeeping();
  systemd_.ready();
  systemd_.status("serving");
  return true;
}

void Server::create_metrics(const config::Config& config) {
  threads_ = config.global.threads > 0 ? static_cast<unsigned>(config.global.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
  registry_ = std::make_unique<metrics::Registry>(threads_ + 1);
  catalog_ = std::make_unique<metrics::Catalog>(*registry_);
  catalog_->build_info.Add({{"version", kVersion}}).Set(1);
  reloads_success_ = &catalog_->config_reloads.Add({{"result", "success"}});
  reloads_failure_ = &catalog_->config_reloads.Add({{"result", "failure"}});
  last_reload_success_time_ = &catalog_->config_last_reload_success_time.Add({});
  last_reload_failed_ = &catalog_->config_last_reload_failed.Add({});
}

bool Server::bind_listeners(const config::Config& config,
                            std::map<std::string, std::unique_ptr<ListenSocketSet>>& added,
                            std::map<std::string, std::uint16_t>& ports,
                            config::ConfigErrors& errors) {
  for (const auto& [key, set] : sockets_)
    ports[key] = set->port();
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    const config::ListenerConfig& listener = config.listeners[i];
    std::string key = ListenSocketSet::key_for(listener);
    if (sockets_.contains(key) || added.contains(key)) continue;
    std::string bind_error;
    auto set = ListenSocketSet::bind(listener.bind, threads_, bind_error);
    if (!set) {
      std::string key_path = str_cat("listener[", i, "].bind");
      errors.push_back(config::ConfigError{config.file, config.location_of(key_path), key_path,
                                           str_cat("listener ", listener.name, ": ", bind_error)});
      added.clear();
      return false;
    }
    ports[key] = set->port();
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

admin::ActionResult Server::reload() {
  if (shutting_down_) return {503, "shutting down"};
  log::info("reloading configuration from ", config_path_);
  systemd_.reloading();
  config::ConfigErrors errors;
  std::map<std::string, std::unique_ptr<ListenSocketSet>> added;
  PrepareContext context{states_,
                         fallback_keys_,
                         ticket_keys_,
                         access_log_,
                         [&](const config::Config&) -> metrics::Catalog& { return *catalog_; },
                         [&](const config::Config& config, auto& ports, auto& bind_errors) {
                           return bind_listeners(config, added, ports, bind_errors);
                         },
                         &dns_->addresses(),
                         &registrations_};
  context.ocsp = ocsp_;
  PreparedConfig prepared = prepare_config(config_path_, context, errors);
  if (!prepared.snapshot) {
    states_.rollback(snapshot_->target_ids);
    std::vector<std::string> messages;
    for (const auto& e : errors)
      messages.push_back(e.to_string());
    for (const auto& m : messages)
      log::error(m);
    log::error("reload failed: ", messages.size(),
               " error(s); the running configuration stays in service");
    std::string summary = messages.empty() ? "reload failed" : messages.front();
    record_reload(false, std::move(messages));
    systemd_.ready();
    systemd_.status("serving (last reload failed)");
    return {500, str_cat("reload failed: ", summary)};
  }
  std::shared_ptr<const Snapshot> snapshot = prepared.snapshot;
  const config::GlobalConfig& global = snapshot->config.global;
  if (global.threads != snapshot_->config.global.threads) {
    log::warn("global.threads changed: takes effect at the next restart");
  }
  if (global.admin != snapshot_->config.global.admin) {
    log::warn("global.admin changed: takes effect at the next restart");
  }
  for (auto& [key, set] : added)
    sockets_[key] = std::move(set);
  access_log_ = prepared.access_log;
  install(snapshot, "removed from the configuration");
  // Sockets no listener uses any more: workers closed their duplicates on apply.
  std::map<std::string, bool> used;
  for (const auto& l : snapshot_->listeners)
    used[ListenSocketSet::key_for(l.config)] = true;
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    it = used.contains(it->first) ? std::next(it) : sockets_.erase(it);
  }
  adopt_discovery(prepared);
  if (admin_) {
    admin_->set_token(prepared.admin_token);
    admin_->set_allowed_hosts(snapshot_->config.global.admin_allowed_hosts);
  }
  record_reload(true, {});
  log::info("configuration reloaded (", snapshot_->config_hash.substr(0, 12), ")");
  systemd_.ready();
  systemd_.status("serving");
  return {200, "configuration reloaded"};
}

void Server::install(std::shared_ptr<const Snapshot> snapshot, std::string_view why) {
  std::shared_ptr<const Snapshot> previous = snapshot_;
  publish(std::move(snapshot));
  drain_removed(states_.retain_only(snapshot_->target_ids), *previous, why);
  health_->update(snapshot_->groups);
}

void Server::adopt_discovery(PreparedConfig& prepared) {
  registrations_ = std::move(prepared.registrations);
  state_file_error_ = std::move(prepared.state_file_error);
  if (!state_file_error_.empty()) {
    log::error(state_file_error_,
               "; serving the configuration's targets, registrations refused until a reload "
               "reads the file");
  }
  dns_->watch(std::move(prepared.followed), std::move(prepared.resolved),
              std::make_shared<discovery::DnsClient>(
                  discovery::DnsClient::servers_for(snapshot_->config.global),
                  discovery::DnsClient::kDefaultTimeout));
}

bool Server::rebuild_targets(std::string_view why) {
  if (shutting_down_) return false;
  config::ConfigErrors errors;
  BuildOptions options;
  for (const auto& [key, set] : sockets_)
    options.bound_ports[key] = set->port();
  options.access_log = access_log_;
  options.sticky_codec = snapshot_->settings.sticky_codec;
  options.ticket_keys = ticket_keys_;
  options.ocsp = ocsp_;
  options.resolved = &dns_->addresses();
  options.registered = &registrations_;
  options.tls_from = snapshot_;
  auto snapshot = build_snapshot(snapshot_->config, snapshot_->config_hash, states_, *catalog_,
                                 errors, options);
  if (!snapshot) {
    states_.rollback(snapshot_->target_ids);
    for (const auto& e : errors)
      log::error(e.to_string());
    log::error("target change (", why, ") not applied: the running targets stay in service");
    return false;
  }
  install(std::move(snapshot), str_cat("gone from ", why));
  return true;
}

void Server::record_reload(bool success, std::vector<std::string> errors) {
  last_reload_ = ReloadRecord{success, unix_ms_now(), std::move(errors)};
  if (success) {
    reloads_success_->Increment();
    last_reload_success_time_->Set(static_cast<double>(last_reload_.unix_ms) / 1000.0);
    last_reload_failed_->Set(0);
  } else {
    reloads_failure_->Increment();
    last_reload_failed_->Set(1);
  }
}

void Server::drain_removed(const std::vector<std::shared_ptr<upstream::TargetState>>& removed,
                           const Snapshot& previous, std::string_view why) {
  for (const auto& state : removed) {
    // A group the previous snapshot no longer knows cannot happen (its targets would not be
    // removed from it); the documented default is the safe answer.
    Duration delay = config::TargetGroupConfig::kDefaultDeregistrationDelay;
    const std::string& id = state->id();
    if (const auto* group = previous.find_group(std::string_view(id).substr(0, id.find('/')))) {
      delay = group->config().deregistration_delay;
    }
    log::info("target ", id, ' ', why, ": draining for ", format_duration(delay));
    if (delay.count() == 0) {
      states_.forget(id);
    } else {
      state->start_drain(unix_ms_now() + delay.count());
    }
    close_pooled(state);
  }
}

void Server::close_pooled(const std::shared_ptr<upstream::TargetState>& state) {
  for (auto& worker : workers_) {
    worker->post([state](http::WorkerContext& context) { context.pool.close_for(state.get()); });
  }
}

void Server::housekeeping() {
  // Removed targets whose deregistration delay has passed are forgotten.
  std::int64_t now = unix_ms_now();
  std::vector<std::string> expired;
  for (const auto& [id, state] : states_.removed()) {
    if (state->drain_deadline_unix_ms() <= now) expired.push_back(id);
  }
  for (const auto& id : expired) {
    log::info("target ", id, " deregistered");
    states_.forget(id);
  }
  ticket_keys_->rotate_if_due(std::chrono::steady_clock::now());
  ocsp_->poll(now);
  if (snapshot_) publish_ocsp_status(*snapshot_, ocsp_.get(), now / 1000, *catalog_);
  housekeeping_timer_.expires_after(std::chrono::seconds(1));
  housekeeping_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) housekeeping();
  });
}

const upstream::Target* Server::find_target(std::string_view group, std::string_view target) const {
  const upstream::TargetGroup* g = snapshot_->find_group(group);
  if (!g) return nullptr;
  for (const upstream::Target& t : g->targets()) {
    if (t.authority == target) return &t;
  }
  return nullptr;
}

admin::ActionResult Server::drain_target(std::string_view group, std::string_view target) {
  const upstream::Target* t = find_target(group, target);
  if (!t) return {404, str_cat("no target ", target, " in target group ", group)};
  Duration delay = snapshot_->find_group(group)->config().deregistration_delay;
  t->state->start_drain(unix_ms_now() + delay.count());
  close_pooled(t->state);
  log::info("target ", t->id, " drained by the operator (deregistration_delay ",
            format_duration(delay), ')');
  return {200, str_cat("draining ", t->id)};
}

admin::ActionResult Server::activate_target(std::string_view group, std::string_view target) {
  const upstream::Target* t = find_target(group, target);
  if (!t) return {404, str_cat("no target ", target, " in target group ", group)};
  t->state->stop_drain();
  log::info("target ", t->id, " activated by the operator");
  return {200, str_cat("active ", t->id)};
}

admin::ActionResult Server::register_target(std::string_view group, std::string_view target) {
  if (shutting_down_) return {503, "shutting down"};
  const std::string& path = snapshot_->config.global.state_file;
  if (path.empty()) {
    return {409,
            "registering targets needs global.state_file, where they are kept across "
            "restarts"};
  }
  if (!state_file_error_.empty()) {
    return {503,
            str_cat(state_file_error_, " (registrations are refused until a reload reads it)")};
  }
  const upstream::TargetGroup* g = snapshot_->find_group(group);
  if (!g) return {404, str_cat("no target group ", group)};
  std::string why;
  std::optional<HostPort> address = parse_host_port(target, &why);
  boost::system::error_code ec;
  auto ip = address ? net::ip::make_address(address->host, ec) : net::ip::address();
  if (!address || ec) {
    return {400, str_cat("target \"", target,
                         "\": expected IP:port (names are followed through DNS when the "
                         "configuration declares them)",
                         why.empty() ? "" : str_cat(": ", why))};
  }
  address->host = ip.to_string();  // one spelling per address: the identity of its state
  const auto& declared = g->config().targets;
  if (std::find(declared.begin(), declared.end(), *address) != declared.end()) {
    return {200, str_cat(group, '/', address->to_string(), " is declared in the configuration")};
  }
  if (registrations_.contains(group, *address)) {
    return {200, str_cat(group, '/', address->to_string(), " is already registered")};
  }
  // `g` and `path` point into the snapshot the rebuild below replaces: not used after it.
  discovery::RegisteredTargets next = registrations_;
  next.add(group, *address);
  if (!next.save(path, why)) return {500, why};
  registrations_ = std::move(next);
  log::info("target ", group, '/', address->to_string(), " registered by the operator");
  if (!rebuild_targets("registration")) {
    return {500, "registered, but the snapshot could not be rebuilt (see the log)"};
  }
  return {200, str_cat("registered ", group, '/', address->to_string(),
                       ": in service once its health checks pass")};
}

admin::ActionResult Server::deregister_target(std::string_view group, std::string_view target) {
  if (shutting_down_) return {503, "shutting down"};
  const std::string& path = snapshot_->config.global.state_file;
  if (path.empty()) return {409, "registering targets needs global.state_file"};
  if (!state_file_error_.empty()) {
    return {503,
            str_cat(state_file_error_, " (registrations are refused until a reload reads it)")};
  }
  const upstream::TargetGroup* g = snapshot_->find_group(group);
  if (!g) return {404, str_cat("no target group ", group)};
  std::optional<HostPort> address = parse_host_port(target);
  boost::system::error_code ec;
  if (address) {
    auto ip = net::ip::make_address(address->host, ec);
    if (!ec) address->host = ip.to_string();
  }
  if (!address || !registrations_.contains(group, *address)) {
    const auto& declared = g->config().targets;
    if (address && std::find(declared.begin(), declared.end(), *address) != declared.end()) {
      return {409, str_cat(group, '/', address->to_string(),
                           " is declared in the configuration: remove it there and reload (or "
                           "drain it with POST /targets/drain)")};
    }
    return {404, str_cat("no registered target ", target, " in target group ", group)};
  }
  // Read before the rebuild, which replaces the snapshot `g` and `path` point into.
  const Duration delay = g->config().deregistration_delay;
  discovery::RegisteredTargets next = registrations_;
  next.remove(group, *address);
  std::string why;
  if (!next.save(path, why)) return {500, why};
  registrations_ = std::move(next);
  log::info("target ", group, '/', address->to_string(), " deregistered by the operator");
  if (!rebuild_targets("the registered targets")) {
    return {500, "deregistered, but the snapshot could not be rebuilt (see the log)"};
  }
  return {200, str_cat("deregistered ", group, '/', address->to_string(), ": draining for ",
                       format_duration(delay), ", then removed")};
}

std::string Server::metrics_text() {
  return registry_->serialize();
}

std::string Server::status_json() {
  const Snapshot& s = *snapshot_;
  std::int64_t now = unix_ms_now();
  JsonWriter j;
  j.begin_object();
  j.field("version", kVersion);
  j.field("started_at", iso8601_ms(started_unix_ms_))
      .field("uptime_seconds", (now - started_unix_ms_) / 1000)
      .field("threads", static_cast<std::int64_t>(threads_));
  j.key("config").begin_object();
  j.field("file", config_path_)
      .field("hash", s.config_hash)
      .field("loaded_at", iso8601_ms(s.loaded_unix_ms));
  j.key("last_reload").begin_object();
  j.field("result", last_reload_.success ? "success" : "failure")
      .field("at", iso8601_ms(last_reload_.unix_ms));
  j.key("errors").begin_array();
  for (const auto& e : last_reload_.errors)
    j.value(e);
  j.end_array().end_object().end_object();

  j.key("listeners").begin_array();
  for (const http::ListenerContext& l : s.listeners) {
    j.begin_object()
        .field("name", l.name)
        .field("bind", l.config.bind.to_string())
        .field("port", static_cast<std::int64_t>(l.port))
        .field("protocol", l.scheme)
        .field("target_group", l.config.target_group);
    if (l.config.tls) {
      j.field("tls_policy", l.config.tls->policy);
    } else {
      j.key("tls_policy").null();
    }
    // Cumulative counters: the dashboard turns them into rates.
    const metrics::Catalog& c = *catalog_;
    j.field("connections_active", gauge_value(c.downstream_connections_active, l.name))
        .field("requests_total", static_cast<std::int64_t>(counter_sum(c.requests, {{0, l.name}})));
    j.key("responses_total").begin_object();
    for (std::string_view code_class : {"2xx", "3xx", "4xx", "5xx"}) {
      j.field(code_class,
              static_cast<std::int64_t>(counter_sum(c.responses, {{0, l.name}, {3, code_class}})));
    }
    j.end_object();
    j.end_object();
  }
  j.end_array();

  j.key("certificates").begin_array();
  for (const http::ListenerContext& l : s.listeners) {
    if (!l.tls) continue;
    for (const tls::Certificate& cert : l.tls->certificates()) {
      std::int64_t not_after_ms = static_cast<std::int64_t>(cert.not_after_unix()) * 1000;
      j.begin_object()
          .field("listener", l.name)
          .field("certificate", cert.label())
          .field("not_after", iso8601_ms(not_after_ms))
          .field("days_left", (not_after_ms - now) / 86'400'000)
          .end_object();
    }
  }
  j.end_array();

  auto write_target = [&](const std::string& group, const std::string& name,
                          const upstream::TargetState& state, std::string_view source) {
    j.begin_object();
    j.field("target_group", group).field("target", name);
    if (source.empty()) {
      j.key("source").null();
    } else {
      j.field("source", source);
    }
    upstream::TargetHealth display = state.display_state();
    std::int64_t deadline = state.drain_deadline_unix_ms();
    if (display == upstream::TargetHealth::draining && deadline <= now) {
      j.field("state", "unused").field("reason", "Target.NotInUse");
    } else {
      j.field("state", upstream::health_name(display));
      std::string_view reason = upstream::reason_code(state.display_reason());
      if (reason.empty()) {
        j.key("reason").null();
      } else {
        j.field("reason", reason);
      }
    }
    if (state.last_check_unix_ms() > 0) {
      j.field("last_check_status", static_cast<std::int64_t>(state.last_check_status()));
      j.field("last_check_latency_ms",
              static_cast<double>(state.last_check_latency().count()) / 1000.0);
      j.field("last_check_at", iso8601_ms(state.last_check_unix_ms()));
    } else {
      j.key("last_check_status").null();
      j.key("last_check_latency_ms").null();
      j.key("last_check_at").null();
    }
    j.field("in_flight", state.outstanding());
    j.field("requests_total", static_cast<std::int64_t>(
                                  counter_sum(catalog_->target_requests, {{0, group}, {1, name}})));
    j.field("connection_errors_total",
            static_cast<std::int64_t>(
                counter_sum(catalog_->target_connection_errors, {{0, group}, {1, name}})));
    if (deadline != 0) {
      j.field("drain_deadline", iso8601_ms(deadline));
    } else {
      j.key("drain_deadline").null();
    }
    j.end_object();
  };

  j.key("target_groups").begin_array();
  for (const upstream::TargetGroup& g : s.groups) {
    std::int64_t healthy = 0;
    std::int64_t unhealthy = 0;
    for (const upstream::Target& t : g.targets()) {
      if (upstream::TargetGroup::routable(t)) ++healthy;
      if (t.state->health() == upstream::TargetHealth::unhealthy) ++unhealthy;
    }
    j.begin_object();
    j.field("name", g.name())
        .field("algorithm", algorithm_name(g.config().algorithm))
        .field("stickiness", g.config().stickiness.enabled)
        .field("fail_open", g.config().fail_open)
        .field("routable_targets", healthy)
        .field("unhealthy_targets", unhealthy);
    const metrics::Catalog& c = *catalog_;
    j.field("requests_total", static_cast<std::int64_t>(counter_sum(c.requests, {{1, g.name()}})))
        .field("responses_5xx_total",
               static_cast<std::int64_t>(counter_sum(c.responses, {{1, g.name()}, {3, "5xx"}})));
    // The response-time histogram (seconds, cumulative per upper bound, then +Inf): the
    // dashboard takes p50/p99 over the last interval from the difference of two readings.
    j.key("response_time").begin_object();
    j.key("bounds").begin_array();
    metrics::Histogram::Snapshot histogram;
    std::vector<double> bounds;
    c.target_response_time.for_each(
        [&](const std::vector<std::string>& labels, const metrics::Histogram& h) {
          if (labels.empty() || labels[0] != g.name()) return;
          histogram = h.snapshot();
          bounds = h.upper_bounds();
        });
    for (double b : bounds)
      j.value(b);
    j.end_array();
    j.key("cumulative").begin_array();
    for (std::uint64_t n : histogram.cumulative)
      j.value(static_cast<std::int64_t>(n));
    j.end_array();
    j.end_object();
    j.key("targets").begin_array();
    for (const upstream::Target& t : g.targets()) {
      // "dns": an address of a followed name (the name stays the target's host);
      // "registered": through POST /targets/register; "config": declared.
      std::string_view source = t.address.to_string() != t.authority           ? "dns"
                                : registrations_.contains(g.name(), t.address) ? "registered"
                                                                               : "config";
      write_target(g.name(), t.authority, *t.state, source);
    }
    j.end_array();
    j.end_object();
  }
  j.end_array();
  j.key("removed_targets").begin_array();
  for (const auto& [id, state] : states_.removed()) {
    write_target(id.substr(0, id.find('/')), id.substr(id.find('/') + 1), *state, "");
  }
  j.end_array();
  // Targets registered through the admin endpoint, as the state file holds them.
  j.key("registered_targets").begin_array();
  for (const auto& [group, targets] : registrations_.groups()) {
    for (const HostPort& target : targets) {
      j.begin_object()
          .field("target_group", group)
          .field("target", target.to_string())
          .end_object();
    }
  }
  j.end_array();
  j.key("state_file").begin_object();
  if (s.config.global.state_file.empty()) {
    j.key("path").null();
  } else {
    j.field("path", s.config.global.state_file);
  }
  if (state_file_error_.empty()) {
    j.key("error").null();
  } else {
    j.field("error", state_file_error_);
  }
  j.end_object();
  j.end_object();
  std::string out = j.take();
  out.push_back('\n');
  return out;
}

void Server::wait_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      reload();
    } else if (signal == SIGUSR1) {
      if (access_log_) access_log_->reopen();  // logrotate moved the file
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
  systemd_.stopping();
  Duration timeout = snapshot_->config.global.shutdown_timeout;
  log::info(signal == SIGINT ? "SIGINT" : "SIGTERM", ": stopping; in-flight exchanges have up to ",
            format_duration(timeout), " to finish");
  if (admin_) admin_->stop();
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
  if (health_) health_->stop();
  if (dns_) dns_->stop();
  shutdown_timer_.cancel();
  housekeeping_timer_.cancel();
  ocsp_->stop();
  signals_.cancel();
  control_.stop();
}

}  // namespace albatross::server
