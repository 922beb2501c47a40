#include "albatross/tls/openssl_handles.hpp"

#include <openssl/err.h>

namespace albatross::tls {

std::string take_openssl_error(std::string_view fallback) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  const char* reason = ERR_reason_error_string(code);
  if (reason != nullptr) return reason;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace albatross::tls
