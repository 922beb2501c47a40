#include "albatross/server/snapshot_builder.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "albatross/common/log.hpp"
#include "albatross/common/str_cat.hpp"
#include "albatross/common/wall_clock.hpp"
#include "albatross/config/parser.hpp"
#include "albatross/config/validator.hpp"
#include "albatross/server/listen_socket_set.hpp"
#include "albatross/upstream/sticky_id.hpp"

namespace albatross::server {
namespace {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

}  // namespace

config::Config load_config(const std::string& path, config::ConfigErrors& errors,
                           std::string* file_hash) {
  // POSIX reads, so that every failure has its errno: a directory opens fine as a stream and
  // would read as an empty configuration.
  std::string content;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    errors.push_back(
        config::ConfigError{path, {}, "", str_cat("cannot read file: ", std::strerror(errno))});
    return {};
  }
  for (;;) {
    char chunk[16384];
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      errors.push_back(
          config::ConfigError{path, {}, "", str_cat("cannot read file: ", std::strerror(error))});
      return {};
    }
    if (n == 0) break;
    content.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (file_hash) *file_hash = sha256_hex(content);
  std::size_t before = errors.size();
  config::Config config = config::parse(content, path, errors);
  // Cross-checks on a config that did not even parse would only repeat the same problems.
  if (errors.size() == before || !config.listeners.empty()) config::validate(config, errors);
  return config;
}

std::shared_ptr<const Snapshot> build_snapshot(config::Config config, std::string file_hash,
                                               upstream::StateTable& states,
                                               metrics::Catalog& catalog,
                                               config::ConfigErrors& errors,
                                               const BuildOptions& options) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config_hash = std::move(file_hash);
  // A rebuild for a change of targets serves the same file, loaded when it was.
  snapshot->loaded_unix_ms = options.tls_from ? options.tls_from->loaded_unix_ms : unix_ms_now();
  std::size_t errors_before = errors.size();
  const config::GlobalConfig& global = config.global;
  snapshot->settings.request_limits.max_fields = static_cast<std::size_t>(global.max_header_count);
  snapshot->settings.parse_options.drop_invalid_header_fields = global.drop_invalid_header_fields;
  snapshot->settings.access_log = options.access_log;
  snapshot->settings.max_connections = global.max_connections;
  snapshot->settings.sticky_codec = options.sticky_codec;
  snapshot->settings.desync_mode =
      global.desync_mitigation_mode == "monitor"     ? http::DesyncMode::monitor
      : global.desync_mitigation_mode == "strictest" ? http::DesyncMode::strictest
                                                     : http::DesyncMode::defensive;
  // Monitor mode forwards what the other modes refuse as not implemented ("gzip, chunked").
  snapshot->settings.parse_options.forward_transfer_codings =
      snapshot->settings.desync_mode == http::DesyncMode::monitor;

  auto config_error = [&](const std::string& path, std::string message) {
    errors.push_back(
        config::ConfigError{config.file, config.location_of(path), path, std::move(message)});
  };

  boost::asio::io_context resolver_context;
  boost::asio::ip::tcp::resolver resolver(resolver_context);
  for (std::size_t g = 0; g < config.target_groups.size(); ++g) {
    const config::TargetGroupConfig& group_config = config.target_groups[g];
    std::vector<upstream::Target> targets;
    std::shared_ptr<const tls::ClientContext> client_tls;
    if (group_config.protocol == config::TargetProtocol::https) {
      std::string error;
      client_tls = tls::ClientContext::create(group_config.verify, group_config.ca_file, error);
      if (!client_tls) {
        config_error(str_cat("target_group[", g, ']',
                             group_config.ca_file.empty() ? ".protocol" : ".ca_file"),
                     error);
      }
    }
    // Declared targets first, then the registered ones; an identity already served by this
    // group (a name and an IP resolving alike, a registration the file also declares) once.
    std::vector<std::pair<HostPort, std::string>> declared;  // target, key path
    for (std::size_t t = 0; t < group_config.targets.size(); ++t)
      declared.emplace_back(group_config.targets[t],
                            str_cat("target_group[", g, "].targets[", t, ']'));
    if (options.registered) {
      if (auto it = options.registered->groups().find(group_config.name);
          it != options.registered->groups().end()) {
        for (const HostPort& target : it->second)
          declared.emplace_back(target, "global.state_file");
      }
    }
    std::set<std::string> ids;
    auto add_target = [&](upstream::Target target) {
      if (!ids.insert(target.id).second) return;
      target.tls = client_tls;
      target.state = states.target(target.id, group_config.health_check.enabled);
      target.metrics.resolve(catalog, group_config.name, target.authority);
      snapshot->target_ids[target.id] = true;
      targets.push_back(std::move(target));
    };
    for (const auto& [address, path] : declared) {
      std::string follow_key = discovery::DnsWatcher::key(group_config.name, address.host);
      if (options.resolved && options.resolved->contains(follow_key)) {
        // A followed name: every address a target, known by its address; the name stays the
        // target's host (TLS server name).
        for (const boost::asio::ip::address& ip : options.resolved->at(follow_key)) {
          upstream::Target target;
          target.address = address;
          target.authority = HostPort{ip.to_string(), address.port}.to_string();
          target.id = str_cat(group_config.name, '/', target.authority);
          target.sticky_id = upstream::stable_sticky_id(target.authority);
          target.endpoints.emplace_back(ip, address.port);
          add_target(std::move(target));
        }
        continue;
      }
      upstream::Target target;
      target.address = address;
      target.authority = address.to_string();
      target.id = str_cat(group_config.name, '/', target.authority);
      target.sticky_id = upstream::stable_sticky_id(target.authority);
      boost::system::error_code ec;
      auto results = resolver.resolve(address.host, std::to_string(address.port),
                                      boost::asio::ip::resolver_base::numeric_service, ec);
      if (ec || results.empty()) {
        errors.push_back(config::ConfigError{config.file, config.location_of(path), path,
                                             str_cat("cannot resolve host \"", address.host,
                                                     "\": ", ec ? ec.message() : "no addresses")});
        continue;
      }
      for (const auto& entry : results)
        target.endpoints.push_back(entry.endpoint());
      add_target(std::move(target));
    }
    metrics::TargetGroupMetrics group_metrics;
    group_metrics.resolve(catalog, group_config.name);
    snapshot->groups.emplace_back(group_config, std::move(targets), states.group(group_config.name),
                                  group_metrics);
  }

  // TLS listeners: certificates are read and checked here, so --check refuses what start-up
  // would refuse.
  std::shared_ptr<const tls::TicketKeyRing> ticket_keys = options.ticket_keys;
  std::vector<std::shared_ptr<const tls::ServerContext>> server_tls(config.listeners.size());
  std::int64_t now_unix = snapshot->loaded_unix_ms / 1000;
  for (std::size_t l = 0; l < config.listeners.size(); ++l) {
    if (!config.listeners[l].tls) continue;
    if (options.tls_from && l < options.tls_from->listeners.size()) {
      server_tls[l] = options.tls_from->listeners[l].tls;
      continue;
    }
    if (!ticket_keys) ticket_keys = std::make_shared<tls::TicketKeyRing>();
    std::vector<tls::ServerContext::Problem> problems;
    std::vector<std::string> warnings;
    tls::ServerContext::Services services;
    services.listener = config.listeners[l].name;
    services.ocsp = options.ocsp;
    if (config.listeners[l].tls->client_auth == config::ClientAuthMode::verify) {
      std::array<metrics::Counter*, tls::kClientAuthFailureCount> counters{};
      for (std::size_t r = 0; r < tls::kClientAuthFailureCount; ++r) {
        counters[r] = &catalog.tls_client_auth_failures.add(
            {config.listeners[l].name,
             std::string(tls::client_auth_failure_name(static_cast<tls::ClientAuthFailure>(r)))});
      }
      services.count_client_auth_failure = [counters](tls::ClientAuthFailure reason) {
        counters[static_cast<std::size_t>(reason)]->inc();
      };
    }
    server_tls[l] =
        tls::ServerContext::create(*config.listeners[l].tls, str_cat("listener[", l, "].tls"),
                                   ticket_keys, now_unix, problems, warnings, std::move(services));
    for (auto& problem : problems)
      config_error(problem.key_path, std::move(problem.message));
    for (const std::string& warning : warnings)
      log::warn(config.file, ": ", warning);
  }
  if (errors.size() != errors_before) return nullptr;

  for (std::size_t l = 0; l < config.listeners.size(); ++l) {
    const config::ListenerConfig& listener_config = config.listeners[l];
    http::ListenerContext& ctx = snapshot->listeners.emplace_back();
    ctx.name = listener_config.name;
    ctx.config = listener_config;
    std::uint16_t port = listener_config.bind.port;
    if (auto it = options.bound_ports.find(ListenSocketSet::key_for(listener_config));
        it != options.bound_ports.end()) {
      port = it->second;
    }
    ctx.port = port;
    ctx.port_text = std::to_string(port);
    ctx.scheme = server_tls[l] ? "https" : "http";
    if (server_tls[l]) {
      ctx.tls = server_tls[l];
      for (std::size_t r = 0; r < tls::kHandshakeFailureCount; ++r) {
        ctx.tls_handshake_failures[r] = &catalog.tls_handshake_failures.add(
            {listener_config.name,
             std::string(tls::handshake_failure_name(static_cast<tls::HandshakeFailure>(r)))});
      }
      ctx.tls_handshakes_new = &catalog.tls_handshakes.add({listener_config.name, "new"});
      ctx.tls_handshakes_resumed = &catalog.tls_handshakes.add({listener_config.name, "resumed"});
    }
    ctx.settings = &snapshot->settings;
    ctx.metrics.resolve(catalog, listener_config.name);
    for (std::size_t r = 1; r < http::kReasonCount; ++r) {
      auto reason = static_cast<http::Reason>(r);
      ctx.desync[r] = &catalog.desync_requests.add(
          {listener_config.name, std::string(http::tier_name(http::tier_of(reason))),
           std::string(http::reason_name(reason))});
    }
    ctx.invalid_headers_dropped =
        &catalog.invalid_header_requests.add({listener_config.name, "dropped"});
    ctx.invalid_headers_forwarded =
        &catalog.invalid_header_requests.add({listener_config.name, "forwarded"});
    // One route per target group forwarded to, in order of first use (the default first), so
    // rules naming the same group share its route and its metric series.
    auto route_of = [&](const std::string& group_name) {
      for (std::size_t r = 0; r < ctx.routes.size(); ++r) {
        if (ctx.routes[r].group->name() == group_name) return r;
      }
      http::Route& route = ctx.routes.emplace_back();
      route.group = snapshot->find_group(group_name);
      route.metrics.resolve(catalog, listener_config.name, group_name);
      return ctx.routes.size() - 1;
    };
    if (!listener_config.target_group.empty()) route_of(listener_config.target_group);
    ctx.rules = http::RuleMatcher(listener_config, route_of);
    for (const http::Rule& rule : ctx.rules.rules()) {
      const http::RuleAction& action = rule.action;
      int generated = action.redirect         ? action.redirect->status()
                      : action.fixed_response ? action.fixed_response->status()
                                              : 0;
      ctx.rule_metrics.emplace_back().resolve(catalog, listener_config.name, rule.priority,
                                              generated);
    }
  }
  snapshot->config = std::move(config);
  return snapshot;
}

namespace {

// Removes the series of `family` whose labels are not in `current`.
template <typename Metric>
void remove_other_series(prometheus::Family<Metric>& family,
                         const std::set<prometheus::Labels>& current) {
  for (const prometheus::MetricFamily& collected : family.Collect()) {
    for (const prometheus::ClientMetric& metric : collected.metric) {
      prometheus::Labels labels;
      for (const auto& label : metric.label)
        labels.emplace(label.name, label.value);
      if (!current.contains(labels)) family.Remove(&family.Add(labels));
    }
  }
}

}  // namespace

void publish_certificate_expiry(const Snapshot& snapshot, metrics::Catalog& catalog) {
  prometheus::Family<prometheus::Gauge>& family = catalog.tls_certificate_expiry;
  std::set<prometheus::Labels> current;
  for (const http::ListenerContext& listener : snapshot.listeners) {
    if (!listener.tls) continue;
    for (const tls::Certificate& cert : listener.tls->certificates()) {
      prometheus::Labels labels{{"listener", listener.name}, {"certificate", cert.label()}};
      family.Add(labels).Set(static_cast<double>(cert.not_after_unix()));
      current.insert(std::move(labels));
    }
  }
  remove_other_series(family, current);
}

void publish_ocsp_status(const Snapshot& snapshot, const tls::OcspStapler* ocsp,
                         std::int64_t now_unix, metrics::Catalog& catalog) {
  std::set<prometheus::Labels> current;
  for (const http::ListenerContext& listener : snapshot.listeners) {
    if (!listener.tls) continue;
    std::span<const tls::Certificate> certs = listener.tls->certificates();
    for (std::size_t i = 0; i < certs.size(); ++i) {
      auto staple = listener.tls->staple(i, now_unix);
      if (!staple) continue;
      prometheus::Labels labels{{"listener", listener.name}, {"certificate", certs[i].label()}};
      catalog.tls_ocsp_staple_age.Add(labels).Set(
          static_cast<double>(std::max<std::int64_t>(0, now_unix - staple->this_update)));
      current.insert(std::move(labels));
    }
  }
  remove_other_series(catalog.tls_ocsp_staple_age, current);
  if (ocsp == nullptr) return;
  for (const tls::OcspStapler::Status& status : ocsp->status()) {
    for (std::size_t r = 0; r < tls::kOcspFetchFailureCount; ++r) {
      if (status.failures[r] == 0) continue;
      prometheus::Counter& counter = catalog.tls_ocsp_fetch_failures.Add(
          {{"certificate", status.label},
           {"reason",
            std::string(tls::ocsp_fetch_failure_name(static_cast<tls::OcspFetchFailure>(r)))}});
      double delta = static_cast<double>(status.failures[r]) - counter.Value();
      if (delta > 0) counter.Increment(delta);
    }
  }
}

std::shared_ptr<const upstream::StickyCodec> make_sticky_codec(
    const config::GlobalConfig& global, const upstream::StickyKeyRing& fallback,
    std::string& error) {
  if (global.sticky_key_file.empty())
    return std::make_shared<const upstream::StickyCodec>(fallback);
  std::string why;
  auto ring = upstream::StickyKeyRing::load(global.sticky_key_file, why);
  if (!ring) {
    error = std::move(why);
    return nullptr;
  }
  return std::make_shared<const upstream::StickyCodec>(std::move(*ring));
}

}  // namespace albatross::server
