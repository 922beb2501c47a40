#include "albatross/config/rule_config.hpp"

namespace albatross::config {

std::string RedirectConfig::loop_problem(bool listener_tls, std::uint16_t listener_port) const {
  bool same_protocol = protocol == kKeepProtocol || protocol == (listener_tls ? "https" : "http");
  bool same_port =
      port == kKeepPort || (listener_port != 0 && port == std::to_string(listener_port));
  if (!same_protocol || !same_port || host != kKeepHost || path != kKeepPath) return {};
  if (protocol == kKeepProtocol && port == kKeepPort && query == kKeepQuery) {
    return "redirects every request to itself: change at least one of protocol, host, port, path";
  }
  return "redirects to the same listener with the same host and path, where the rule matches "
         "again (a loop): change at least one of protocol, host, port, path";
}

}  // namespace albatross::config
