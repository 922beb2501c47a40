#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "albatross/tls/openssl_handles.hpp"

namespace albatross::tls {

// The CA certificates and CRLs client certificates are verified against (client_auth =
// "verify"): a PEM bundle of CA certificates, which may also hold CRLs, plus an optional PEM file
// of more CRLs. With CRLs, every certificate of a client's chain whose issuer has a CRL here is
// checked against it (a revoked intermediate refuses its whole subtree); an issuer without one is
// not checked. Loaded on the control thread with the snapshot; the X509_STORE is shared by the
// listener's SSL_CTXs and only read by handshakes afterwards. Thread: any (read-only).
class TrustStore {
 public:
  // A load failure, naming the file and whether it is the CRL file.
  struct Error {
    bool in_crl_file = false;
    std::string message;
  };

  // nullopt with `error` when a file is unreadable, holds no CA certificate (the trust store) or
  // no CRL (crl_file), or holds malformed PEM. `warnings` gets a line per CRL past its
  // nextUpdate: every certificate it covers is refused until it is renewed.
  static std::optional<TrustStore> load(const std::string& trust_store_path,
                                        const std::string& crl_path, std::int64_t now_unix,
                                        Error& error, std::vector<std::string>& warnings);

  X509_STORE* store() const { return store_.get(); }
  std::size_t ca_count() const { return ca_count_; }
  std::size_t crl_count() const { return crl_count_; }
  // SHA-256 of everything loaded: a session resumed under another trust store content (a
  // reload added a CRL) is refused, so the client is verified again.
  const std::array<unsigned char, 32>& digest() const { return digest_; }

 private:
  TrustStore() = default;
  struct StoreFree {
    void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  };
  std::shared_ptr<X509_STORE> store_;
  std::size_t ca_count_ = 0;
  std::size_t crl_count_ = 0;
  std::array<unsigned char, 32> digest_{};
};

}  // namespace albatross::tls
