#pragma once

#include <array>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string_view>

namespace albatross::tls {

// Why a downstream TLS handshake failed: the `reason` label of
// albatross_tls_handshake_failures_total. Failed handshakes are counted, never logged one by
// one (scanners and broken clients would flood the log).
enum class HandshakeFailure : std::uint8_t {
  protocol,     // no protocol version in common (TLS 1.0 against a 1.2+ policy, SSLv3, ...)
  cipher,       // no cipher suite, group or signature algorithm in common
  certificate,  // the client rejected our certificate (unknown CA, bad or expired certificate)
  timeout,      // not complete within handshake_timeout (or a client that sent nothing)
  closed,       // the client closed or reset the connection mid-handshake
  malformed,    // not TLS, or a message OpenSSL could not parse
  // client_auth = "verify": we refused the client's certificate, or it sent none
  // (albatross_tls_client_auth_failures_total has the detail)
  client_certificate,
  other,
};
inline constexpr std::size_t kHandshakeFailureCount = 8;

std::string_view handshake_failure_name(HandshakeFailure failure);

// Classifies the error a server handshake ended with. `timed_out`: the handshake deadline fired.
HandshakeFailure classify_handshake_failure(const boost::system::error_code& ec, bool timed_out);

}  // namespace albatross::tls
