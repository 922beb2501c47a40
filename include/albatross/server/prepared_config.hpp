#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "albatross/accesslog/access_log_sink.hpp"
#include "albatross/config/config.hpp"
#include "albatross/config/config_error.hpp"
#include "albatross/discovery/dns_watcher.hpp"
#include "albatross/discovery/registered_targets.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/server/snapshot.hpp"
#include "albatross/tls/ocsp_stapler.hpp"
#include "albatross/tls/ticket_key_ring.hpp"
#include "albatross/upstream/state_table.hpp"
#include "albatross/upstream/sticky_key_ring.hpp"

namespace albatross::server {

// A configuration ready to serve: the snapshot and every file it names, loaded. Produced by
// prepare_config(); `snapshot` is nullptr when errors were reported.
struct PreparedConfig {
  std::shared_ptr<const Snapshot> snapshot;
  // Opened (or the caller's current one, when destination and format are unchanged); nullptr
  // for access_log = "off".
  std::shared_ptr<accesslog::AccessLogSink> access_log;
  std::optional<std::string> admin_token;  // global.admin_token_file's token, when set
  // The target names followed through DNS and the addresses they resolved to for this snapshot.
  std::vector<discovery::DnsWatcher::Name> followed;
  discovery::AddressSets resolved;
  // The registered targets the snapshot serves: global.state_file's, or the caller's current
  // ones when the file was refused.
  discovery::RegisteredTargets registrations;
  // Why global.state_file was refused ("" when it was read or is not set). Not an error of the
  // preparation: the configuration's targets are served, and the file is left as it is.
  std::string state_file_error;
};

// What prepare_config() needs from its caller. Start-up, reload and --check differ only here.
struct PrepareContext {
  // Observed state the snapshot's targets attach to (a reload rolls it back on failure).
  upstream::StateTable& states;
  // Sticky keys used when global.sticky_key_file is unset.
  const upstream::StickyKeyRing& fallback_keys;
  // Session-ticket keys kept across reloads (nullptr: a fresh ring per TLS snapshot).
  std::shared_ptr<const tls::TicketKeyRing> ticket_keys;
  // The running access log, reused when the configuration still names it in the same format,
  // so a reload does not reopen it.
  std::shared_ptr<accesslog::AccessLogSink> current_access_log;
  // The catalog metric handles are resolved from. Called once, after validation (start-up sizes
  // its registry by global.threads).
  std::function<metrics::Catalog&(const config::Config&)> catalog;
  // Binds the listeners `config` declares that are not bound yet and records their ports
  // (ListenSocketSet::key_for -> port). Called after validation, before any referenced file is
  // loaded; returns false with its errors added when a bind fails. Empty for --check, which
  // binds nothing.
  std::function<bool(const config::Config& config, std::map<std::string, std::uint16_t>& ports,
                     config::ConfigErrors& errors)>
      bind;
  // The last good addresses of followed names (a reload whose resolution fails keeps them);
  // nullptr at start-up and for --check, where a name that does not resolve is an error.
  const discovery::AddressSets* last_good = nullptr;
  // The registered targets in service (kept when a reload finds the state file refused).
  const discovery::RegisteredTargets* current_registrations = nullptr;
  // Fetches and keeps the OCSP responses of certificates served with ocsp_stapling, across
  // reloads (nullptr for --check, which fetches nothing).
  std::shared_ptr<tls::OcspStapler> ocsp;
};

// The one preparation path of start-up, reload (SIGHUP, POST /reload) and --check: read, parse,
// validate, bind (when context.bind is set), load every file the configuration names (sticky key
// file, admin token file, TLS certificates and keys, CA files, the state file), resolve the
// followed target names (on this thread, each DNS server under a deadline), open the access log,
// and build the snapshot. Every problem goes to `errors` with its key path; files are loaded only
// once the configuration validated (errors about a file would repeat the config's own), then all of
// them are reported together. Runs on the control thread.
PreparedConfig prepare_config(const std::string& path, const PrepareContext& context,
                              config::ConfigErrors& errors);

}  // namespace albatross::server
