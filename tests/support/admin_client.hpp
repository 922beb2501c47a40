#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/wait.hpp"

namespace albatross::testing {

class AlbatrossProcess;

// The admin endpoint of a running albatross: /status parsed as JSON, /metrics parsed as
// Prometheus text, and the state-changing POST calls, each on a new connection under a deadline.
// Thread: one thread at a time.
class AdminClient {
 public:
  explicit AdminClient(std::uint16_t port) : port_(port) {}
  // The endpoint `albatross` announced ("admin endpoint listening on HOST:PORT").
  explicit AdminClient(const AlbatrossProcess& albatross);

  std::uint16_t port() const { return port_; }

  HttpResponse get(std::string_view path, TimePoint deadline = after(std::chrono::seconds(10)));
  // POST with `form` as an application/x-www-form-urlencoded body, and
  // `Authorization: Bearer <token>` when `token` is not empty.
  HttpResponse post(std::string_view path, std::string_view form = "", std::string_view token = "",
                    TimePoint deadline = after(std::chrono::seconds(10)));

  // GET /status, which must answer 200 with a JSON object (throws otherwise).
  boost::json::object status(TimePoint deadline = after(std::chrono::seconds(10)));
  // GET /metrics, which must answer 200 with a page that parses (throws otherwise).
  MetricsText metrics(TimePoint deadline = after(std::chrono::seconds(10)));

  // The /status entry of `target` ("host:port") in `group`, from target_groups[].targets[] or,
  // when `removed`, from removed_targets[]; nullptr when absent.
  static const boost::json::object* find_target(const boost::json::object& status,
                                                std::string_view group, std::string_view target,
                                                bool removed = false);
  // The state /status shows for a target ("healthy", ...), "" when it is not listed.
  std::string target_state(std::string_view group, std::string_view target);
  // Polls /status (every 20 ms: the control thread answers it, so no tighter) until
  // `condition` holds for it; true when it did before `deadline`.
  bool wait_status(const std::function<bool(const boost::json::object&)>& condition,
                   TimePoint deadline);
  // wait_status() until the target shows `state`.
  bool wait_target_state(std::string_view group, std::string_view target, std::string_view state,
                         TimePoint deadline);

 private:
  std::uint16_t port_;
};

// "127.0.0.1:PORT", the form /status and the configuration name targets by.
std::string loopback(std::uint16_t port);

}  // namespace albatross::testing
