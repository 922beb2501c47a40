#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "albatross/config/config.hpp"
#include "albatross/config/config_error.hpp"
#include "albatross/discovery/dns_watcher.hpp"
#include "albatross/discovery/registered_targets.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/server/snapshot.hpp"
#include "albatross/tls/ocsp_stapler.hpp"
#include "albatross/tls/ticket_key_ring.hpp"
#include "albatross/upstream/state_table.hpp"
#include "albatross/upstream/sticky_codec.hpp"

namespace albatross::server {

// Reads, parses and validates a configuration file (stages 1 and 2). Errors, including an
// unreadable file, go to `errors`; the returned config is meaningful only when none were added.
config::Config load_config(const std::string& path, config::ConfigErrors& errors,
                           std::string* file_hash = nullptr);

// Stage 3: resolves target hosts (names in /etc/hosts here, followed names from
// options.resolved), attaches observed state from `states` and metric handles from
// `catalog`, compiles listener routes, loads TLS certificates and builds TLS contexts. Returns
// nullptr with `errors` filled when a host does not resolve or TLS cannot be set up (every
// error with its key path, so --check reports them). Runs on the control thread, off the request
// path.
struct BuildOptions {
  // A listener's socket key (ListenSocketSet::key_for) -> the port bound (port 0 binds pick one).
  std::map<std::string, std::uint16_t> bound_ports;
  std::shared_ptr<accesslog::AccessLogSink> access_log;  // already opened by the caller
  std::shared_ptr<const upstream::StickyCodec> sticky_codec;
  // Session-ticket keys of every TLS listener, kept across reloads (nullptr: a fresh ring).
  std::shared_ptr<const tls::TicketKeyRing> ticket_keys;
  // OCSP responses fetched in the background, kept across reloads (nullptr: none fetched).
  std::shared_ptr<tls::OcspStapler> ocsp;
  // The addresses of followed target names (DnsWatcher::key -> addresses), each address a
  // target of its own; a followed name missing here is an error. nullptr: none are followed.
  const discovery::AddressSets* resolved = nullptr;
  // Targets registered through the admin endpoint, served after each group's declared ones.
  const discovery::RegisteredTargets* registered = nullptr;
  // A rebuild for a change of targets only (same configuration, same listeners): the TLS
  // contexts of this snapshot's listeners are reused instead of loading certificates again, and
  // its load time is kept.
  std::shared_ptr<const Snapshot> tls_from;
};

// The sticky cookie codec for `global`: keys from global.sticky_key_file, or `fallback` (a random
// ring made once per process) when none is configured. nullptr with `error` when the file is
// refused.
std::shared_ptr<const upstream::StickyCodec> make_sticky_codec(
    const config::GlobalConfig& global, const upstream::StickyKeyRing& fallback,
    std::string& error);
std::shared_ptr<const Snapshot> build_snapshot(config::Config config, std::string file_hash,
                                               upstream::StateTable& states,
                                               metrics::Catalog& catalog,
                                               config::ConfigErrors& errors,
                                               const BuildOptions& options = {});

// albatross_tls_certificate_expiry_timestamp_seconds for the certificates of `snapshot`; series
// of certificates no longer served are removed. Called once a snapshot is accepted (not by
// build_snapshot), so a preparation that fails leaves the running snapshot's series alone.
void publish_certificate_expiry(const Snapshot& snapshot, metrics::Catalog& catalog);

// albatross_tls_ocsp_staple_age_seconds for every certificate of `snapshot` with a valid staple
// at `now_unix` (other series removed), and albatross_tls_ocsp_fetch_failures_total from
// `ocsp`'s counts. Control thread, every second.
void publish_ocsp_status(const Snapshot& snapshot, const tls::OcspStapler* ocsp,
                         std::int64_t now_unix, metrics::Catalog& catalog);

}  // namespace albatross::server
