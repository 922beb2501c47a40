#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "albatross/tls/openssl_handles.hpp"

namespace albatross::tls {

enum class KeyType { rsa, ecdsa };

// A certificate chain (leaf first) and its private key, read from PEM files and checked: both
// parse, the key matches the leaf, the key is RSA or ECDSA (ALB serves no Ed25519), and the key
// file is not accessible by group or others. Exposes what SNI selection and the expiry metric
// need. Immutable after load(). Thread: any (read-only); load() does blocking file I/O and runs
// on the control thread.
class Certificate {
 public:
  // Which of the two files a load error is about, and why (one line, naming the file).
  struct Error {
    bool in_private_key = false;
    std::string message;
  };

  static std::optional<Certificate> load(const std::string& certificate_path,
                                         const std::string& private_key_path, Error& error);

  X509* leaf() const { return leaf_.get(); }
  STACK_OF(X509) * chain() const { return chain_.get(); }  // intermediates, may be empty
  EVP_PKEY* private_key() const { return key_.get(); }
  KeyType key_type() const { return key_type_; }
  // DNS names the leaf is valid for, lower-case ("*.example.com" for wildcards): its subject
  // alternative names, or its subject CN when it has none.
  const std::vector<std::string>& names() const { return names_; }
  // The subject CN, or the certificate file's name when the subject has none: the metric label.
  const std::string& label() const { return label_; }
  const std::string& path() const { return path_; }
  std::int64_t not_before_unix() const { return not_before_; }
  std::int64_t not_after_unix() const { return not_after_; }

 private:
  Certificate() = default;

  X509Ptr leaf_;
  X509StackPtr chain_;
  EvpPkeyPtr key_;
  KeyType key_type_ = KeyType::rsa;
  std::vector<std::string> names_;
  std::string label_;
  std::string path_;
  std::int64_t not_before_ = 0;
  std::int64_t not_after_ = 0;
};

}  // namespace albatross::tls
