#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "albatross/common/authority.hpp"

namespace albatross::admin {

// Why the admin endpoint refused a request; also the `reason` label of
// albatross_admin_requests_refused_total.
enum class Refusal : std::uint8_t {
  host,    // Host is not this endpoint's authority (DNS rebinding): 403
  method,  // a method the path does not accept (state-changing paths: POST only): 405
  origin,  // a state-changing call sent by another origin's page: 403
  token,   // missing or wrong bearer token: 401
  peer,    // a state-changing call from a non-loopback peer without a token configured: 403
};
inline constexpr std::array<Refusal, 5> kRefusals = {
    Refusal::host, Refusal::method, Refusal::origin, Refusal::token, Refusal::peer};
std::string_view refusal_name(Refusal reason);

// The request fields the guard looks at, copied out of the parsed header. A header the request
// did not carry is nullopt.
struct AdminRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // the target without its query
  std::optional<std::string_view> host;
  std::optional<std::string_view> origin;
  std::optional<std::string_view> sec_fetch_site;
};

// A refusal: the status to answer with, its reason, and one line for the client.
struct GuardVerdict {
  int status = 0;
  Refusal reason = Refusal::host;
  std::string message;
};

// The rules every admin request passes before routing, in this order:
//  1. Host names this endpoint: after lower-casing and trimming one trailing dot, its host is
//     exactly one of localhost, 127.0.0.1, ::1, the bound address, the address the connection
//     arrived on, or a global.admin_allowed_hosts name; its port, when it has one, is the admin
//     port (or the port the allowed entry names). X-Forwarded-Host is never looked at. Stops DNS
//     rebinding: a page on evil.example whose name now resolves to 127.0.0.1 still sends Host:
//     evil.example.
//  2. The method is one the path accepts: GET/HEAD for reads, POST only for state changes.
//  3. A state-changing call that carries Origin must name this endpoint (http://<allowed
//     authority>); Origin "null" and Sec-Fetch-Site cross-site or same-site are refused. Stops a
//     page the operator visits from posting a form to the endpoint.
// The token and peer rules need the endpoint's live state and stay in AdminServer. Pure: no I/O,
// any thread once built.
class AdminRequestGuard {
 public:
  // `bound_host`: the configured admin address's host; `allowed_hosts`: admin_allowed_hosts
  // entries ("name" or "name:port"); entries that do not parse are ignored (the configuration
  // validator has refused them already).
  AdminRequestGuard(std::string_view bound_host, std::uint16_t port,
                    const std::vector<std::string>& allowed_hosts);

  // nullopt when the request may proceed to routing. `local_address`: the address the
  // connection arrived on (matters when the endpoint is bound to a wildcard address).
  std::optional<GuardVerdict> check(const AdminRequest& request,
                                    std::string_view local_address = {}) const;

  // Rule 1 alone: `host_header` is a Host value; without a port only its name is compared.
  bool host_allowed(std::string_view host_header, std::string_view local_address = {}) const;
  // Rule 3's Origin test: `origin` ("http://host:port") is this endpoint's own; a missing port
  // is 80.
  bool origin_allowed(std::string_view origin, std::string_view local_address = {}) const;

  static bool is_state_changing(std::string_view path);
  static bool is_read(std::string_view path);

 private:
  bool authority_allowed(const Authority& authority, std::uint16_t port,
                         std::string_view local_address) const;

  std::uint16_t port_;
  std::vector<Authority> allowed_;  // port set on every entry
};

}  // namespace albatross::admin
