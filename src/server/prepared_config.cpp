#include "albatross/server/prepared_config.hpp"

#include <unistd.h>

#include <filesystem>

#include "albatross/admin/admin_server.hpp"
#include "albatross/common/log.hpp"
#include "albatross/common/str_cat.hpp"
#include "albatross/discovery/dns_client.hpp"
#include "albatross/server/snapshot_builder.hpp"

namespace albatross::server {
namespace {

void warn_about_sticky_keys(const config::Config& config) {
  if (!config.global.sticky_key_file.empty()) return;
  for (const auto& group : config.target_groups) {
    if (group.stickiness.enabled) {
      log::warn(
          "stickiness without global.sticky_key_file: cookies are sealed with a random key "
          "made at start, so sessions will not survive a restart or span several albatross "
          "instances");
      return;
    }
  }
}

// The sink global.access_log names: the current one when unchanged, a newly opened one, or
// nullptr for "off". False with `error` when the destination cannot be opened.
bool open_access_log(const config::GlobalConfig& global,
                     const std::shared_ptr<accesslog::AccessLogSink>& current,
                     metrics::Catalog& catalog, std::shared_ptr<accesslog::AccessLogSink>& sink,
                     std::string& error) {
  sink = nullptr;
  if (global.access_log == "off") return true;
  accesslog::Format format =
      global.access_log_format == "json" ? accesslog::Format::json : accesslog::Format::alb;
  if (current && current->destination() == global.access_log && current->format() == format) {
    sink = current;
    return true;
  }
  sink = accesslog::AccessLogSink::open(global.access_log, format,
                                        catalog.access_log_dropped_batches.add({}), error);
  return sink != nullptr;
}

// The registered targets to serve: global.state_file's, else (refused, with the reason in
// `prepared.state_file_error`) the caller's current ones.
void load_registrations(const config::Config& config, const PrepareContext& context,
                        PreparedConfig& prepared, config::ConfigErrors& errors) {
  const std::string& path = config.global.state_file;
  if (path.empty()) return;
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  if (directory.empty()) directory = ".";
  if (::access(directory.c_str(), F_OK) != 0) {
    errors.push_back(config::ConfigError{
        config.file, config.location_of("global.state_file"), "global.state_file",
        str_cat("directory ", directory.string(), " does not exist")});
    return;
  }
  std::string error;
  if (auto loaded = discovery::RegisteredTargets::load(path, error)) {
    prepared.registrations = std::move(*loaded);
    return;
  }
  prepared.state_file_error = std::move(error);
  if (context.current_registrations) prepared.registrations = *context.current_registrations;
}

// Resolves every followed target name of `config` once, before the snapshot is built. A name
// that does not resolve keeps its last good addresses on a reload, and is an error otherwise.
void resolve_followed(const config::Config& config, const PrepareContext& context,
                      PreparedConfig& prepared, config::ConfigErrors& errors) {
  prepared.followed = discovery::DnsWatcher::names_of(config, discovery::HostsFile::load());
  if (prepared.followed.empty()) return;
  discovery::DnsClient client(discovery::DnsClient::servers_for(config.global),
                              discovery::DnsClient::kDefaultTimeout);
  for (const discovery::DnsWatcher::Name& name : prepared.followed) {
    std::string key = discovery::DnsWatcher::key(name.group, name.host);
    discovery::DnsLookup lookup = client.resolve_blocking(name.host);
    if (lookup.ok) {
      prepared.resolved[key] = std::move(lookup.addresses);
      continue;
    }
    if (context.last_good && context.last_good->contains(key)) {
      log::warn("target group ", name.group, ": cannot resolve ", name.host, " (", lookup.error,
                "); keeping its last addresses");
      prepared.resolved[key] = context.last_good->at(key);
      continue;
    }
    // Point at the first declaration of the name.
    for (std::size_t g = 0; g < config.target_groups.size(); ++g) {
      const config::TargetGroupConfig& group = config.target_groups[g];
      if (group.name != name.group) continue;
      for (std::size_t t = 0; t < group.targets.size(); ++t) {
        if (group.targets[t].host != name.host) continue;
        std::string path = str_cat("target_group[", g, "].targets[", t, ']');
        errors.push_back(config::ConfigError{
            config.file, config.location_of(path), path,
            str_cat("cannot resolve host \"", name.host, "\": ", lookup.error)});
        t = group.targets.size();
        g = config.target_groups.size();
        break;
      }
    }
  }
}

}  // namespace

PreparedConfig prepare_config(const std::string& path, const PrepareContext& context,
                              config::ConfigErrors& errors) {
  PreparedConfig prepared;
  std::string hash;
  config::Config config = load_config(path, errors, &hash);
  if (!errors.empty()) return prepared;

  auto file_error = [&](const char* key_path, std::string message) {
    errors.push_back(
        config::ConfigError{path, config.location_of(key_path), key_path, std::move(message)});
  };
  metrics::Catalog& catalog = context.catalog(config);
  BuildOptions options;
  options.ticket_keys = context.ticket_keys;
  options.ocsp = context.ocsp;
  if (context.bind) context.bind(config, options.bound_ports, errors);

  std::string error;
  options.sticky_codec = make_sticky_codec(config.global, context.fallback_keys, error);
  if (!options.sticky_codec) file_error("global.sticky_key_file", std::move(error));
  if (!config.global.admin_token_file.empty()) {
    error.clear();
    prepared.admin_token = admin::load_token_file(config.global.admin_token_file, error);
    if (!prepared.admin_token) file_error("global.admin_token_file", std::move(error));
  }
  error.clear();
  if (!open_access_log(config.global, context.current_access_log, catalog, options.access_log,
                       error)) {
    file_error("global.access_log", std::move(error));
  }
  warn_about_sticky_keys(config);
  load_registrations(config, context, prepared, errors);
  resolve_followed(config, context, prepared, errors);
  options.resolved = &prepared.resolved;
  options.registered = &prepared.registrations;
  // Built even after a file error, so that certificate and host problems are reported with it.
  auto snapshot =
      build_snapshot(std::move(config), std::move(hash), context.states, catalog, errors, options);
  if (!snapshot || !errors.empty()) return prepared;
  publish_certificate_expiry(*snapshot, catalog);
  prepared.snapshot = std::move(snapshot);
  prepared.access_log = std::move(options.access_log);
  return prepared;
}

}  // namespace albatross::server
