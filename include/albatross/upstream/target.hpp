#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "albatross/common/host_port.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/tls/client_context.hpp"
#include "albatross/upstream/target_state.hpp"

namespace albatross::upstream {

// One backend server of a target group, as declared and resolved for one snapshot. Immutable;
// its observed state lives in `state`, shared with the same target in earlier and later
// snapshots. Thread: any (read-only).
struct Target {
  std::string id;         // "<target group>/<host:port>": the identity observed state is keyed by
  HostPort address;       // as declared
  std::string authority;  // "host:port" text: the metric label and the health check's Host
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // resolved when the snapshot was built
  std::uint64_t sticky_id = 0;  // stable across reloads and processes; what a sticky cookie names
  std::shared_ptr<TargetState> state;
  std::shared_ptr<const tls::ClientContext> tls;  // HTTPS target groups only
  metrics::TargetMetrics metrics;
};

}  // namespace albatross::upstream
