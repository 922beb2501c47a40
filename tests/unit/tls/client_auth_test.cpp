#include "albatross/tls/client_auth.hpp"

#include <doctest/doctest.h>
#include <openssl/x509_vfy.h>

namespace albatross::tls {

TEST_CASE("verification errors map to ALB-style refusal reasons") {
  CHECK(classify_verify_error(X509_V_ERR_CERT_HAS_EXPIRED) == ClientAuthFailure::expired);
  CHECK(classify_verify_error(X509_V_ERR_CERT_NOT_YET_VALID) == ClientAuthFailure::not_yet_valid);
  CHECK(classify_verify_error(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) ==
        ClientAuthFailure::unknown_ca);
  CHECK(classify_verify_error(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) ==
        ClientAuthFailure::unknown_ca);
  CHECK(classify_verify_error(X509_V_ERR_CERT_REVOKED) == ClientAuthFailure::revoked);
  CHECK(classify_verify_error(X509_V_ERR_CRL_HAS_EXPIRED) == ClientAuthFailure::crl);
  CHECK(classify_verify_error(X509_V_ERR_CERT_SIGNATURE_FAILURE) == ClientAuthFailure::invalid);
  CHECK(classify_verify_error(X509_V_ERR_INVALID_PURPOSE) == ClientAuthFailure::invalid);
  for (std::size_t r = 0; r < kClientAuthFailureCount; ++r)
    CHECK_FALSE(client_auth_failure_name(static_cast<ClientAuthFailure>(r)).empty());
  CHECK(client_auth_failure_name(ClientAuthFailure::unknown_ca) == "unknown_ca");
}

TEST_CASE("the failure log lets one line per reason through per interval, counting the rest") {
  FailureLogLimiter limiter;
  std::uint64_t skipped = 99;
  CHECK(limiter.admit(ClientAuthFailure::revoked, 1'000, skipped));
  CHECK(skipped == 0);
  CHECK_FALSE(limiter.admit(ClientAuthFailure::revoked, 1'001, skipped));
  CHECK_FALSE(limiter.admit(ClientAuthFailure::revoked, 10'999, skipped));
  // Another reason has its own budget.
  CHECK(limiter.admit(ClientAuthFailure::missing, 1'002, skipped));
  CHECK(skipped == 0);
  CHECK(limiter.admit(ClientAuthFailure::revoked, 11'000, skipped));
  CHECK(skipped == 2);
  CHECK_FALSE(limiter.admit(ClientAuthFailure::revoked, 11'001, skipped));
}

}  // namespace albatross::tls
