#include "albatross/upstream/sticky_id.hpp"

#include <openssl/evp.h>

#include <cstdlib>

#include "albatross/common/log.hpp"

namespace albatross::upstream {

std::uint64_t stable_sticky_id(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    log::error("sticky id: SHA-256 unavailable");
    std::abort();
  }
  std::uint64_t id = 0;
  for (int i = 0; i < 8; ++i)
    id = (id << 8) | digest[i];
  return id;
}

}  // namespace albatross::upstream
