#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "albatross/admin/admin_handler.hpp"
#include "albatross/admin/admin_server.hpp"
#include "albatross/config/config_error.hpp"
#include "albatross/discovery/dns_client.hpp"
#include "albatross/discovery/dns_watcher.hpp"
#include "albatross/discovery/registered_targets.hpp"
#include "albatross/health/health_checker.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/metrics/registry.hpp"
#include "albatross/server/listen_socket_set.hpp"
#include "albatross/server/prepared_config.hpp"
#include "albatross/server/snapshot.hpp"
#include "albatross/server/systemd_notifier.hpp"
#include "albatross/server/worker.hpp"
#include "albatross/tls/ocsp_stapler.hpp"
#include "albatross/tls/ticket_key_ring.hpp"
#include "albatross/upstream/state_table.hpp"

namespace albatross::server {

// The daemon: loads the configuration, binds listeners, starts the workers, and runs the
// control context on the calling thread (signals, reload, admin endpoint, drains, shutdown).
// The control context owns everything observed (state table, metrics) and is the only writer of
// what workers read. Thread: run() on the main thread; the AdminHandler methods on control.
class Server final : public admin::AdminHandler {
 public:
  explicit Server(std::string config_path);
  ~Server() override;

  // Runs until a graceful stop. Returns the process exit code: 0 after SIGTERM/SIGINT, 1 when
  // start-up failed (the cause has been logged).
  int run();

  // admin::AdminHandler
  std::string metrics_text() override;
  std::string status_json() override;
  admin::ActionResult reload() override;
  admin::ActionResult drain_target(std::string_view group, std::string_view target) override;
  admin::ActionResult activate_target(std::string_view group, std::string_view target) override;
  admin::ActionResult register_target(std::string_view group, std::string_view target) override;
  admin::ActionResult deregister_target(std::string_view group, std::string_view target) override;

 private:
  struct ReloadRecord {
    bool success = true;
    std::int64_t unix_ms = 0;
    std::vector<std::string> errors;
  };

  bool start();
  // Sizes the workers by global.threads and creates the registry, the catalog and the
  // control-plane metrics (once, at start-up).
  void create_metrics(const config::Config& config);
  // Binds every listener of `config` not bound yet into `added` and records every listener's
  // port in `ports`; false (with the error, keyed listener[i].bind) on failure, in which case
  // sockets bound by this call are closed again.
  bool bind_listeners(const config::Config& config,
                      std::map<std::string, std::unique_ptr<ListenSocketSet>>& added,
                      std::map<std::string, std::uint16_t>& ports, config::ConfigErrors& errors);
  void publish(std::shared_ptr<const Snapshot> snapshot);
  // Publishes `snapshot` in place of the running one and reconciles observed state: targets it
  // no longer has drain (`why` says where they went), health checks follow its targets.
  void install(std::shared_ptr<const Snapshot> snapshot, std::string_view why);
  // A snapshot of the running configuration with the current target sets (followed names'
  // addresses, registrations), built and installed; false (logged) when the build fails, in
  // which case the running snapshot stays.
  bool rebuild_targets(std::string_view why);
  // Takes a preparation's target discovery: its registrations, state file verdict and
  // followed names (re-resolved from now on).
  void adopt_discovery(PreparedConfig& prepared);
  void drain_removed(const std::vector<std::shared_ptr<upstream::TargetState>>& removed,
                     const Snapshot& previous, std::string_view why);
  void close_pooled(const std::shared_ptr<upstream::TargetState>& state);
  void housekeeping();
  void record_reload(bool success, std::vector<std::string> errors);
  void begin_shutdown(int signal);
  void finish_shutdown();
  void wait_signals();
  const upstream::Target* find_target(std::string_view group, std::string_view target) const;

  std::string config_path_;
  boost::asio::io_context control_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer shutdown_timer_;
  boost::asio::steady_timer housekeeping_timer_;
  SystemdNotifier systemd_;
  unsigned threads_ = 1;
  std::unique_ptr<metrics::Registry> registry_;
  std::unique_ptr<metrics::Catalog> catalog_;
  std::unique_ptr<health::HealthChecker> health_;  // after registry_: destroyed before it
  std::unique_ptr<discovery::DnsWatcher> dns_;     // after registry_: destroyed before it
  // Targets registered through the admin endpoint, as global.state_file holds them.
  discovery::RegisteredTargets registrations_;
  // Why the state file was refused at the last load ("" = fine): registrations are refused
  // until a reload reads it.
  std::string state_file_error_;
  upstream::StateTable states_;
  std::map<std::string, std::unique_ptr<ListenSocketSet>> sockets_;  // by bind text
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::shared_ptr<std::atomic<std::int64_t>> connections_ =
      std::make_shared<std::atomic<std::int64_t>>(0);
  std::unique_ptr<admin::AdminServer> admin_;
  std::shared_ptr<accesslog::AccessLogSink> access_log_;
  // Sticky keys when no sticky_key_file is configured: made once, kept across reloads.
  upstream::StickyKeyRing fallback_keys_ = upstream::StickyKeyRing::generate_random();
  // TLS session-ticket keys, shared by every snapshot; rotated hourly by housekeeping().
  std::shared_ptr<tls::TicketKeyRing> ticket_keys_ = std::make_shared<tls::TicketKeyRing>();
  // OCSP responses of stapled certificates, fetched on control_ and kept across reloads.
  std::shared_ptr<tls::OcspStapler> ocsp_ =
      std::make_shared<tls::OcspStapler>(control_.get_executor());
  ReloadRecord last_reload_;
  std::int64_t started_unix_ms_ = 0;
  // Control-plane metrics (prometheus-cpp, written on the control thread only).
  prometheus::Counter* reloads_success_ = nullptr;
  prometheus::Counter* reloads_failure_ = nullptr;
  prometheus::Gauge* last_reload_success_time_ = nullptr;
  prometheus::Gauge* last_reload_failed_ = nullptr;
  std::size_t workers_draining_ = 0;
  bool shutting_down_ = false;
};

}  // namespace albatross::server
