#pragma once

#include <string>
#include <string_view>

namespace albatross::http {

std::string_view status_reason(int status);  // "Bad Gateway"

// A complete response albatross sends on its own (errors, 100 Continue is separate): a short
// text/plain body naming the status, never details of the failure. `close` adds
// `Connection: close` for when the connection ends after it. `head_request`: the response to a
// HEAD, the same head without the body (RFC 9110 9.3.2; a client reads no body after it).
std::string_view generated_response(int status, bool close, bool head_request = false);

// "HTTP/1.1 100 Continue\r\n\r\n"
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace albatross::http
