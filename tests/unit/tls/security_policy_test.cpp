#include "albatross/tls/security_policy.hpp"

#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace albatross::tls {

TEST_CASE("the default policy is ALB's TLS13-1-2-2021-06: TLS 1.2 and 1.3, forward secrecy only") {
  const SecurityPolicy& first = security_policies().front();
  CHECK(first.name == "ELBSecurityPolicy-TLS13-1-2-2021-06");
  CHECK(first.min_version == TLS1_2_VERSION);
  CHECK(first.max_version == TLS1_3_VERSION);
  CHECK(first.ciphers.find("ECDHE-ECDSA-AES128-GCM-SHA256") == 0);  // ECDSA preferred
  CHECK(first.ciphers.find(":AES128-") == std::string_view::npos);  // no static RSA
  CHECK(first.ciphers.find("-SHA:") == std::string_view::npos);     // no CBC-SHA1
}

TEST_CASE("policies are found by their exact ALB name") {
  CHECK(find_security_policy("ELBSecurityPolicy-TLS13-1-2-Res-2021-06") != nullptr);
  CHECK(find_security_policy("ELBSecurityPolicy-TLS13-1-3-2021-06")->min_version == TLS1_3_VERSION);
  const SecurityPolicy* legacy = find_security_policy("ELBSecurityPolicy-2016-08");
  REQUIRE(legacy != nullptr);
  CHECK(legacy->min_version == TLS1_VERSION);
  CHECK(legacy->max_version == TLS1_2_VERSION);
  CHECK(legacy->security_level == 0);
  CHECK(find_security_policy("elbsecuritypolicy-2016-08") == nullptr);
  CHECK(find_security_policy("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09") == nullptr);
  CHECK(find_security_policy("") == nullptr);
  CHECK(target_security_policy().name == "ELBSecurityPolicy-TLS13-1-0-2021-06");
}

TEST_CASE("every policy's cipher lists are accepted by OpenSSL in full") {
  for (const SecurityPolicy& policy : security_policies()) {
    CAPTURE(policy.name);
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                          SSL_CTX_free);
    SSL_CTX_set_security_level(ctx.get(), policy.security_level);
    if (!policy.ciphers.empty()) {
      REQUIRE(SSL_CTX_set_cipher_list(ctx.get(), std::string(policy.ciphers).c_str()) == 1);
      // Each named suite is known to this OpenSSL: none was silently dropped.
      std::size_t named = 1;
      for (char c : policy.ciphers)
        named += c == ':';
      STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx.get());
      int tls12 = 0;
      for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
        if (std::string_view(SSL_CIPHER_get_version(sk_SSL_CIPHER_value(list, i))) != "TLSv1.3")
          ++tls12;
      }
      CHECK(static_cast<std::size_t>(tls12) == named);
    } else {
      CHECK(policy.min_version == TLS1_3_VERSION);
    }
    if (!policy.ciphersuites.empty()) {
      CHECK(SSL_CTX_set_ciphersuites(ctx.get(), std::string(policy.ciphersuites).c_str()) == 1);
    } else {
      CHECK(policy.max_version == TLS1_2_VERSION);
    }
  }
}

}  // namespace albatross::tls
