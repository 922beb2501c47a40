#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "albatross/metrics/catalog.hpp"
#include "albatross/metrics/registry.hpp"
#include "albatross/server/listen_socket_set.hpp"
#include "albatross/server/snapshot.hpp"
#include "albatross/server/worker.hpp"
#include "albatross/upstream/state_table.hpp"

namespace albatross::server {

// The daemon: loads the configuration, binds listeners, starts the workers, and runs the
// control context on the calling thread (signals, reload, shutdown). The control context owns
// everything observed (state table, metrics) and is the only writer of what workers read.
// Thread: run() on the main thread; nothing else is public.
class Server {
 public:
  explicit Server(std::string config_path);
  ~Server();

  // Runs until a graceful stop. Returns the process exit code: 0 after SIGTERM/SIGINT, 1 when
  // start-up failed (the cause has been logged).
  int run();

 private:
  bool start();
  // Binds every listener of `config` not bound yet; false (with the error logged) on failure,
  // in which case sockets bound by this call are closed again.
  bool bind_listeners(const config::Config& config,
                      std::map<std::string, std::unique_ptr<ListenSocketSet>>& added);
  void publish(std::shared_ptr<const Snapshot> snapshot);
  void reload();
  void begin_shutdown(int signal);
  void finish_shutdown();
  void wait_signals();

  std::string config_path_;
  boost::asio::io_context control_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer shutdown_timer_;
  unsigned threads_ = 1;
  std::unique_ptr<metrics::Registry> registry_;
  std::unique_ptr<metrics::Catalog> catalog_;
  upstream::StateTable states_;
  std::map<std::string, std::unique_ptr<ListenSocketSet>> sockets_;  // by bind text
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::size_t workers_draining_ = 0;
  bool shutting_down_ = false;
};

}  // namespace albatross::server
