#include "albatross/admin/admin_request_guard.hpp"

#include "albatross/common/ascii.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::admin {

std::string_view refusal_name(Refusal reason) {
  switch (reason) {
    case Refusal::host:
      return "host";
    case Refusal::method:
      return "method";
    case Refusal::origin:
      return "origin";
    case Refusal::token:
      return "token";
    case Refusal::peer:
      return "peer";
  }
  return "host";
}

AdminRequestGuard::AdminRequestGuard(std::string_view bound_host, std::uint16_t port,
                                     const std::vector<std::string>& allowed_hosts)
    : port_(port) {
  for (std::string_view name :
       {std::string_view("localhost"), std::string_view("127.0.0.1"), std::string_view("::1")}) {
    allowed_.push_back(Authority{std::string(name), port});
  }
  // The bound host is kept as configured (IPv6 without brackets): parse it as a bare host.
  std::string bound(bound_host);
  if (bound.find(':') != std::string::npos) bound = str_cat('[', bound, ']');
  if (auto authority = parse_authority(bound); authority && !authority->port) {
    allowed_.push_back(Authority{authority->host, port});
  }
  for (const std::string& entry : allowed_hosts) {
    auto authority = parse_authority(entry);
    if (!authority) continue;
    if (!authority->port) authority->port = port;
    allowed_.push_back(*authority);
  }
}

bool AdminRequestGuard::authority_allowed(const Authority& authority, std::uint16_t port,
                                          std::string_view local_address) const {
  for (const Authority& allowed : allowed_) {
    if (allowed.host == authority.host && allowed.port == port) return true;
  }
  // The address the client connected to: an IP literal cannot be rebound, and it is the only
  // way to name an endpoint bound to 0.0.0.0 or :: without listing every address.
  return !local_address.empty() && port == port_ && authority.host == local_address;
}

bool AdminRequestGuard::host_allowed(std::string_view host_header,
                                     std::string_view local_address) const {
  auto authority = parse_authority(host_header);
  if (!authority) return false;
  // A Host without a port (HTTP/1.1 clients that assume the default) is judged by its name
  // alone: rebinding is about the name, and a browser always writes a non-default port.
  if (!authority->port) {
    for (const Authority& allowed : allowed_) {
      if (allowed.host == authority->host) return true;
    }
    return authority->host == local_address;
  }
  return authority_allowed(*authority, *authority->port, local_address);
}

bool AdminRequestGuard::origin_allowed(std::string_view origin,
                                       std::string_view local_address) const {
  // A serialized origin is scheme "://" host [":" port], nothing after; the endpoint speaks
  // plain HTTP only, so an https origin is another origin.
  constexpr std::string_view kScheme = "http://";
  if (!ascii::istarts_with(origin, kScheme)) return false;
  std::string_view rest = origin.substr(kScheme.size());
  // An origin without a port is port 80: another service on this host, not this endpoint.
  auto authority = parse_authority(rest);
  return authority && authority_allowed(*authority, authority->port.value_or(80), local_address);
}

bool AdminRequestGuard::is_state_changing(std::string_view path) {
  return path == "/reload" || path == "/targets/drain" || path == "/targets/activate" ||
         path == "/targets/register" || path == "/targets/deregister";
}

bool AdminRequestGuard::is_read(std::string_view path) {
  return path == "/" || path == "/app.js" || path == "/app.css" || path == "/favicon.svg" ||
         path == "/metrics" || path == "/ping" || path == "/status";
}

std::optional<GuardVerdict> AdminRequestGuard::check(const AdminRequest& request,
                                                     std::string_view local_address) const {
  if (!request.host || !host_allowed(*request.host, local_address)) {
    return GuardVerdict{403, Refusal::host,
                        "Host does not name this admin endpoint (see global.admin_allowed_hosts)"};
  }
  bool read_method = request.method == "GET" || request.method == "HEAD";
  if (is_read(request.path) && !read_method) {
    return GuardVerdict{405, Refusal::method, "method not allowed (GET or HEAD)"};
  }
  if (!is_state_changing(request.path)) return std::nullopt;
  if (request.method != "POST") {
    return GuardVerdict{405, Refusal::method, "method not allowed (state changes are POST only)"};
  }
  if (request.sec_fetch_site && !ascii::iequals(*request.sec_fetch_site, "same-origin") &&
      !ascii::iequals(*request.sec_fetch_site, "none")) {
    return GuardVerdict{403, Refusal::origin,
                        "state-changing calls are refused from other sites' pages"};
  }
  if (request.origin && !origin_allowed(*request.origin, local_address)) {
    return GuardVerdict{403, Refusal::origin,
                        "state-changing calls are refused from other origins' pages"};
  }
  return std::nullopt;
}

}  // namespace albatross::admin
