#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "albatross/tls/openssl_handles.hpp"

namespace albatross::tls {

// TLS toward the targets of one HTTPS target group. As ALB: SNI is the target's host name (none
// for an IP address), ALPN offers http/1.1, and certificates are not verified, with the back-end
// policy ELBSecurityPolicy-TLS13-1-0-2021-06 so that old targets still connect. With `verify`,
// the chain is checked against `ca_file` (or the system trust store when empty) and the
// certificate must name the target's host (or IP address), and TLS 1.2 is the minimum. Built on
// the control thread with the snapshot; workers create sessions from it concurrently (SSL_new
// on a shared SSL_CTX is thread-safe). Thread: any (read-only).
class ClientContext {
 public:
  // Nullptr with `error` (one line, naming the file) when `ca_file` cannot be loaded.
  static std::shared_ptr<const ClientContext> create(bool verify, const std::string& ca_file,
                                                     std::string& error);

  // A new client session for a connection to `host` (as declared: a name or an IP literal).
  // Nullptr only when OpenSSL runs out of memory.
  SslPtr new_session(const std::string& host) const;

  SSL_CTX* native() const { return ctx_.get(); }
  bool verify() const { return verify_; }

 private:
  ClientContext() = default;
  SslCtxPtr ctx_;
  bool verify_ = false;
};

}  // namespace albatross::tls
