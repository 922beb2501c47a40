#include "albatross/http/fixed_response.hpp"

#include "albatross/common/str_cat.hpp"
#include "albatross/http/generated_response.hpp"

namespace albatross::http {
namespace {

std::string build(const config::FixedResponseConfig& config, bool close) {
  std::string out = str_cat("HTTP/1.1 ", config.status, ' ', status_reason(config.status), "\r\n");
  // 204 has neither body nor length (RFC 9110 §8.6); parse() refuses a body for it.
  if (config.status != 204) {
    str_append(out, str_cat("Content-Type: ", config.content_type,
                            "\r\nContent-Length: ", config.body.size(), "\r\n"));
  }
  if (close) out.append("Connection: close\r\n");
  out.append("\r\n");
  out.append(config.body);
  return out;
}

}  // namespace

FixedResponse::FixedResponse(const config::FixedResponseConfig& config)
    : status_(config.status),
      keep_alive_(build(config, false)),
      closing_(build(config, true)),
      body_size_(config.status == 204 ? 0 : config.body.size()) {}

std::string_view FixedResponse::bytes(bool close, bool head_request) const {
  std::string_view response = close ? closing_ : keep_alive_;
  if (head_request) response.remove_suffix(body_size_);
  return response;
}

}  // namespace albatross::http
