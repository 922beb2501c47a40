#pragma once

#include <cstdint>
#include <string_view>

namespace albatross::http::grammar {

// Pieces of the HTTP/1.1 request grammar the request head classifier checks against (RFC 9110,
// RFC 9112, RFC 3986). Pure.

// True when `name` (a token), read the way a lenient parser might read it (letters only, case
// folded), spells `letters`. Catches "Transfer_Encoding" and "Content--Length".
bool looks_like(std::string_view name, std::string_view letters);
// A control byte other than HTAB, or DEL.
bool has_control(std::string_view s);
// 1*DIGIT without sign, spaces or overflow (values above 2^63-1 are refused).
bool parse_content_length(std::string_view value, std::uint64_t& out);
// Codings registered for HTTP/1.1 (RFC 9110 §18.7); "identity" is not among them.
bool known_coding(std::string_view coding);
// RFC 9110 §5.6.4 quoted-string, the quotes included.
bool is_quoted_string(std::string_view s);
// The parameters after a coding (RFC 9112 §7), `params` starting after the first ";".
bool valid_coding_params(std::string_view params);
// A byte of a request-target (RFC 9112 §3.2): visible ASCII only.
constexpr bool target_byte(unsigned char c) {
  return c > 0x20 && c < 0x7f;
}
// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":".
bool has_scheme(std::string_view target);
// Host = uri-host [ ":" port ] (RFC 9110 §7.2): no userinfo, no path, no list, no whitespace.
bool valid_host(std::string_view host);

}  // namespace albatross::http::grammar
