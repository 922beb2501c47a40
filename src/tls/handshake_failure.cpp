#include "albatross/tls/handshake_failure.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

namespace albatross::tls {

std::string_view handshake_failure_name(HandshakeFailure failure) {
  switch (failure) {
    case HandshakeFailure::protocol:
      return "protocol";
    case HandshakeFailure::cipher:
      return "cipher";
    case HandshakeFailure::certificate:
      return "certificate";
    case HandshakeFailure::timeout:
      return "timeout";
    case HandshakeFailure::closed:
      return "closed";
    case HandshakeFailure::malformed:
      return "malformed";
    case HandshakeFailure::client_certificate:
      return "client_certificate";
    case HandshakeFailure::other:
      break;
  }
  return "other";
}

HandshakeFailure classify_handshake_failure(const boost::system::error_code& ec, bool timed_out) {
  namespace error = boost::asio::error;
  if (timed_out) return HandshakeFailure::timeout;
  if (ec == error::eof || ec == error::connection_reset || ec == error::broken_pipe ||
      ec == error::connection_aborted || ec == boost::asio::ssl::error::stream_truncated) {
    return HandshakeFailure::closed;
  }
  if (ec.category() != error::get_ssl_category()) return HandshakeFailure::other;
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_UNSUPPORTED_SSL_VERSION:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_TLSV1_ALERT_INAPPROPRIATE_FALLBACK:
      return HandshakeFailure::protocol;
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY:
      return HandshakeFailure::cipher;
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
      return HandshakeFailure::certificate;
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return HandshakeFailure::client_certificate;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return HandshakeFailure::closed;
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
      return HandshakeFailure::malformed;
    default:
      return HandshakeFailure::other;
  }
}

}  // namespace albatross::tls
