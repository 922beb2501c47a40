#include "albatross/tls/handshake_failure.hpp"

#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

namespace albatross::tls {
namespace {

boost::system::error_code ssl_error(int reason) {
  return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)),
          boost::asio::error::get_ssl_category()};
}

}  // namespace

TEST_CASE("handshake failures are classified into the metric's bounded reasons") {
  CHECK(classify_handshake_failure(boost::asio::error::operation_aborted, true) ==
        HandshakeFailure::timeout);
  CHECK(classify_handshake_failure(ssl_error(SSL_R_UNSUPPORTED_PROTOCOL), false) ==
        HandshakeFailure::protocol);
  CHECK(classify_handshake_failure(ssl_error(SSL_R_TLSV1_ALERT_PROTOCOL_VERSION), false) ==
        HandshakeFailure::protocol);
  CHECK(classify_handshake_failure(ssl_error(SSL_R_NO_SHARED_CIPHER), false) ==
        HandshakeFailure::cipher);
  CHECK(classify_handshake_failure(ssl_error(SSL_R_TLSV1_ALERT_UNKNOWN_CA), false) ==
        HandshakeFailure::certificate);
  CHECK(classify_handshake_failure(ssl_error(SSL_R_SSLV3_ALERT_BAD_CERTIFICATE), false) ==
        HandshakeFailure::certificate);
  CHECK(classify_handshake_failure(ssl_error(SSL_R_HTTP_REQUEST), false) ==
        HandshakeFailure::malformed);
  CHECK(classify_handshake_failure(boost::asio::ssl::error::stream_truncated, false) ==
        HandshakeFailure::closed);
  CHECK(classify_handshake_failure(boost::asio::error::connection_reset, false) ==
        HandshakeFailure::closed);
  CHECK(classify_handshake_failure(boost::asio::error::eof, false) == HandshakeFailure::closed);
  CHECK(classify_handshake_failure(ssl_error(SSL_R_BAD_PACKET), false) == HandshakeFailure::other);
  // client_auth = "verify": a refused or missing client certificate.
  CHECK(classify_handshake_failure(ssl_error(SSL_R_CERTIFICATE_VERIFY_FAILED), false) ==
        HandshakeFailure::client_certificate);
  CHECK(classify_handshake_failure(ssl_error(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE), false) ==
        HandshakeFailure::client_certificate);
}

TEST_CASE("every reason has a distinct label") {
  CHECK(handshake_failure_name(HandshakeFailure::protocol) == "protocol");
  CHECK(handshake_failure_name(HandshakeFailure::timeout) == "timeout");
  CHECK(handshake_failure_name(HandshakeFailure::client_certificate) == "client_certificate");
  CHECK(handshake_failure_name(static_cast<HandshakeFailure>(kHandshakeFailureCount - 1)) ==
        "other");
}

}  // namespace albatross::tls
