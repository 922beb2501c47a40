#pragma once

#include <string>
#include <vector>

#include "albatross/common/duration.hpp"

namespace albatross::config {

// One certificate of a TLS listener: a PEM chain (leaf first) and its PEM private key.
struct TlsCertificateConfig {
  std::string certificate;
  std::string private_key;
};

// [listener.tls]: TLS termination on a listener. `certificate`/`private_key` are the default
// certificate (clients without SNI, or whose name matches no certificate); `sni` lists extra
// certificates chosen by the names they carry. `policy` is one of ALB's security policy names
// (alb-behaviour.md §6); the name is resolved when the snapshot is built.
struct TlsConfig {
  static constexpr std::string_view kDefaultPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06";

  TlsCertificateConfig default_certificate;
  std::vector<TlsCertificateConfig> sni;
  std::string policy{kDefaultPolicy};
  Duration handshake_timeout = std::chrono::seconds(10);
};

}  // namespace albatross::config
