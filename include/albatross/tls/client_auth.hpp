#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace albatross::tls {

// Why a client certificate was refused on a listener with client_auth = "verify": the `reason`
// label of albatross_tls_client_auth_failures_total.
enum class ClientAuthFailure : std::uint8_t {
  missing,        // the client sent no certificate
  expired,        // the client certificate (or a certificate of its chain) is past notAfter
  not_yet_valid,  // before notBefore
  unknown_ca,     // the chain does not lead to a CA of the trust store
  revoked,        // a CRL of the trust store lists a certificate of the chain
  crl,            // a CRL that applies could not be used (expired, bad signature, malformed)
  invalid,        // anything else: bad signature, wrong purpose or key usage, path length, ...
};
inline constexpr std::size_t kClientAuthFailureCount = 7;

std::string_view client_auth_failure_name(ClientAuthFailure failure);

// The reason for an X509_V_ERR_* code met while verifying a client chain.
ClientAuthFailure classify_verify_error(int x509_error);

// Lets one log line per reason through per interval and counts the others, so a client (or a
// scanner) failing in a loop cannot flood the log; the next line says how many were left out.
// Thread: any (workers call it from handshakes concurrently; lock-free).
class FailureLogLimiter {
 public:
  static constexpr std::chrono::seconds kInterval{10};

  // True when a line for `reason` may be written now; `skipped` is then the number of failures
  // of that reason not logged since the last line.
  bool admit(ClientAuthFailure reason, std::int64_t now_ms, std::uint64_t& skipped);

 private:
  std::array<std::atomic<std::int64_t>, kClientAuthFailureCount> next_ms_{};
  std::array<std::atomic<std::uint64_t>, kClientAuthFailureCount> skipped_{};
};

}  // namespace albatross::tls
