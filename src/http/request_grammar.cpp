#include "albatross/http/request_grammar.hpp"

#include <array>

#include "albatross/common/ascii.hpp"

namespace albatross::http::grammar {
namespace {

// Bytes of a reg-name or IPv4address (RFC 3986 §3.2.2): unreserved, pct-encoded and sub-delims,
// except "," (which would make Host a list of hosts).
constexpr auto kHostBytes = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c)
    table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    table[c] = true;
  for (int c = '0'; c <= '9'; ++c)
    table[c] = true;
  for (unsigned char c : std::string_view("-._~%!$&'()*+;="))
    table[c] = true;
  return table;
}();

}  // namespace

using ascii::iequals;
using ascii::trim_ows;

// True when `name` (a token), read the way a lenient parser might read it (letters only, case
// folded), spells `letters`. Catches "Transfer_Encoding" and "Content--Length". Names that are
// not tokens (" Content-Length", "Tran\u017Ffer-Encoding") are refused before this is asked.
bool looks_like(std::string_view name, std::string_view letters) {
  std::size_t matched = 0;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) continue;
    if (matched >= letters.size() || letters[matched] != ascii::to_lower(c)) return false;
    ++matched;
  }
  return matched == letters.size();
}

bool has_control(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

// 1*DIGIT without sign, spaces or overflow (values above 2^63-1 are refused).
bool parse_content_length(std::string_view value, std::uint64_t& out) {
  if (value.empty() || value.size() > 19) return false;
  std::uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > static_cast<std::uint64_t>(INT64_MAX)) return false;
  out = n;
  return true;
}

// Codings registered for HTTP/1.1 (RFC 9110 §18.7). "identity" is not among them any more: it
// was removed by RFC 7230 and is refused.
bool known_coding(std::string_view coding) {
  return iequals(coding, "chunked") || iequals(coding, "gzip") || iequals(coding, "deflate") ||
         iequals(coding, "compress") || iequals(coding, "x-gzip") || iequals(coding, "x-compress");
}

// RFC 9110 §5.6.4 quoted-string, the quotes included.
bool is_quoted_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (++i + 1 >= s.size()) return false;
      c = static_cast<unsigned char>(s[i]);
      if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
    } else if (c == '"' || (c != '\t' && (c < 0x20 || c == 0x7f))) {
      return false;
    }
  }
  return true;
}

// The parameters after a coding, each `OWS ";" OWS token BWS "=" BWS ( token / quoted-string )`
// (RFC 9112 §7). `params` starts after the first ";". A bare ";" is refused.
bool valid_coding_params(std::string_view params) {
  for (;;) {
    std::size_t semi = params.find(';');
    std::string_view param = trim_ows(params.substr(0, semi));
    std::size_t eq = param.find('=');
    if (eq == std::string_view::npos || !ascii::is_token(trim_ows(param.substr(0, eq))))
      return false;
    std::string_view value = trim_ows(param.substr(eq + 1));
    if (!ascii::is_token(value) && !is_quoted_string(value)) return false;
    if (semi == std::string_view::npos) return true;
    params.remove_prefix(semi + 1);
  }
}

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":".
bool has_scheme(std::string_view target) {
  std::size_t colon = target.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    char c = target[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!(alpha || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
      return false;
  }
  return true;
}

// Host = uri-host [ ":" port ] (RFC 9110 §7.2): no userinfo, no path, no list, no whitespace.
bool valid_host(std::string_view host) {
  if (host.empty()) return false;
  std::size_t i = 0;
  if (host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (i = 1; i < close; ++i) {
      char c = host[i];
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                c == ':' || c == '.' || c == 'v' || c == 'V';
      if (!ok) return false;
    }
    i = close + 1;
  } else {
    while (i < host.size() && kHostBytes[static_cast<unsigned char>(host[i])])
      ++i;
    if (i == 0) return false;
  }
  if (i == host.size()) return true;
  if (host[i] != ':' || host.size() - i - 1 > 5) return false;
  for (++i; i < host.size(); ++i) {
    if (host[i] < '0' || host[i] > '9') return false;
  }
  return true;
}

}  // namespace albatross::http::grammar
