#include "albatross/tls/security_policy.hpp"

#include <openssl/ssl.h>

#include <array>

namespace albatross::tls {
namespace {

constexpr std::string_view kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// Forward secrecy only: ECDHE with GCM or CBC-SHA256/384.
#define ALB_FS_SHA2                                                                      \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:" \
  "ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"   \
  "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384"
#define ALB_RSA_KX_SHA2 "AES128-GCM-SHA256:AES128-SHA256:AES256-GCM-SHA384:AES256-SHA256"
#define ALB_SHA1                                                                             \
  "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:" \
  "AES128-SHA:AES256-SHA"

// ELBSecurityPolicy-2016-08's own order: each AES128 group before its AES256 group.
constexpr std::string_view k2016Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:"
    "ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-SHA384:"
    "ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA:AES128-GCM-SHA256:"
    "AES128-SHA256:AES128-SHA:AES256-GCM-SHA384:AES256-SHA256:AES256-SHA";

constexpr std::array kPolicies = {
    SecurityPolicy{"ELBSecurityPolicy-TLS13-1-2-2021-06", TLS1_2_VERSION, TLS1_3_VERSION,
                   ALB_FS_SHA2, kTls13Suites},
    SecurityPolicy{"ELBSecurityPolicy-TLS13-1-2-Res-2021-06", TLS1_2_VERSION, TLS1_3_VERSION,
                   "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                   "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384",
                   kTls13Suites},
    SecurityPolicy{"ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", TLS1_2_VERSION, TLS1_3_VERSION,
                   ALB_FS_SHA2 ":" ALB_RSA_KX_SHA2, kTls13Suites},
    SecurityPolicy{"ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", TLS1_2_VERSION, TLS1_3_VERSION,
                   ALB_FS_SHA2 ":" ALB_RSA_KX_SHA2 ":" ALB_SHA1, kTls13Suites},
    SecurityPolicy{"ELBSecurityPolicy-TLS13-1-3-2021-06", TLS1_3_VERSION, TLS1_3_VERSION, "",
                   kTls13Suites},
    SecurityPolicy{"ELBSecurityPolicy-TLS13-1-1-2021-06", TLS1_1_VERSION, TLS1_3_VERSION,
                   ALB_FS_SHA2 ":" ALB_RSA_KX_SHA2 ":" ALB_SHA1, kTls13Suites, 0},
    SecurityPolicy{"ELBSecurityPolicy-TLS13-1-0-2021-06", TLS1_VERSION, TLS1_3_VERSION,
                   ALB_FS_SHA2 ":" ALB_RSA_KX_SHA2 ":" ALB_SHA1, kTls13Suites, 0},
    SecurityPolicy{"ELBSecurityPolicy-2016-08", TLS1_VERSION, TLS1_2_VERSION, k2016Ciphers, "", 0},
    SecurityPolicy{"ELBSecurityPolicy-TLS-1-1-2017-01", TLS1_1_VERSION, TLS1_2_VERSION,
                   k2016Ciphers, "", 0},
    SecurityPolicy{"ELBSecurityPolicy-TLS-1-2-2017-01", TLS1_2_VERSION, TLS1_2_VERSION,
                   ALB_FS_SHA2 ":" ALB_RSA_KX_SHA2, ""},
    SecurityPolicy{"ELBSecurityPolicy-TLS-1-2-Ext-2018-06", TLS1_2_VERSION, TLS1_2_VERSION,
                   ALB_FS_SHA2 ":" ALB_RSA_KX_SHA2 ":" ALB_SHA1, ""},
};

#undef ALB_FS_SHA2
#undef ALB_RSA_KX_SHA2
#undef ALB_SHA1

}  // namespace

std::span<const SecurityPolicy> security_policies() {
  return kPolicies;
}

const SecurityPolicy* find_security_policy(std::string_view name) {
  for (const SecurityPolicy& policy : kPolicies) {
    if (policy.name == name) return &policy;
  }
  return nullptr;
}

const SecurityPolicy& target_security_policy() {
  return *find_security_policy("ELBSecurityPolicy-TLS13-1-0-2021-06");
}

}  // namespace albatross::tls
