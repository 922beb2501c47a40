#pragma once

#include <span>
#include <string_view>

namespace albatross::tls {

// One of ALB's predefined security policies (alb-behaviour.md §6): the protocol versions and
// cipher suites a TLS listener offers, in server preference order, ECDSA before RSA. Cipher
// names are OpenSSL's. Immutable table data. Thread: any.
struct SecurityPolicy {
  std::string_view name;
  int min_version = 0;            // TLS1_VERSION .. TLS1_3_VERSION
  int max_version = 0;            //
  std::string_view ciphers;       // TLS 1.2 and earlier; empty when the policy is 1.3-only
  std::string_view ciphersuites;  // TLS 1.3; empty when the policy stops at 1.2
  // OpenSSL security level. TLS 1.0/1.1 sign with SHA-1, which OpenSSL 3 refuses from level 1
  // on: the legacy policies run at level 0 so that old clients really connect.
  int security_level = 2;
};

// Key exchange groups of every policy: X25519, P-256, P-384 (as ALB). Finite-field groups are
// left out: a client could otherwise make the server compute ffdhe8192 key shares.
inline constexpr std::string_view kKeyExchangeGroups = "X25519:P-256:P-384";

// Every policy albatross knows, the default (ELBSecurityPolicy-TLS13-1-2-2021-06) first.
std::span<const SecurityPolicy> security_policies();

// The policy named `name` (exact, case-sensitive as ALB's API), or nullptr.
const SecurityPolicy* find_security_policy(std::string_view name);

// The policy albatross uses toward HTTPS targets, as ALB does with a TLS 1.3 listener policy:
// ELBSecurityPolicy-TLS13-1-0-2021-06 (TLS 1.0..1.3, the full legacy list).
const SecurityPolicy& target_security_policy();

}  // namespace albatross::tls
