#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "albatross/common/coroutine.hpp"
#include "albatross/config/target_group_config.hpp"
#include "albatross/health/check_result.hpp"
#include "albatross/tls/client_context.hpp"

namespace albatross::health {

// The most response-head bytes one check reads (interim 1xx heads included).
inline constexpr std::size_t kMaxProbeResponseHead = 32 * 1024;

// What one health check observed.
struct ProbeResult {
  CheckResult result = CheckResult::failed;
  int status = 0;  // the final response's status code; 0 when no valid head arrived
  // From the start of the connect to the end of the response head, or to the failure.
  std::chrono::microseconds latency{0};
  std::string error;  // why a check failed or timed out ("connection refused"); empty on a pass
};

// The request a check sends: `GET path HTTP/1.1` with Host, User-Agent
// `albatross-health-check/<version>` and `Connection: close`.
std::string probe_request(std::string_view path, std::string_view host_header);

// Runs one health check over a new connection: connects to the endpoints in order, sends
// probe_request(), reads the response head (the body is never waited for) and closes the
// connection. The whole check, connect included, is bounded by `config.timeout`; the result
// never throws for I/O errors. `endpoints` must already carry the health-check port. With `tls`
// (an HTTPS target group) the request goes over TLS to `server_name`, the handshake inside the
// same timeout, as ALB checks HTTPS targets.
// Thread: a single-threaded executor (the control context), which also runs the timeout.
awaitable<ProbeResult> probe_target(boost::asio::any_io_executor executor,
                                    std::vector<boost::asio::ip::tcp::endpoint> endpoints,
                                    std::string host_header, config::HealthCheckConfig config,
                                    std::shared_ptr<const tls::ClientContext> tls = nullptr,
                                    std::string server_name = {});

}  // namespace albatross::health
