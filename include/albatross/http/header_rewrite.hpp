#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "albatross/http/request_head.hpp"
#include "albatross/http/response_head.hpp"

namespace albatross::tls {
struct ClientCertHeaders;
}

namespace albatross::http {

// What the request rewrite adds from outside the request.
struct ForwardContext {
  std::string_view client_address;        // appended to X-Forwarded-For
  std::string_view scheme;                // X-Forwarded-Proto: "http" or "https"
  std::string_view listener_port;         // X-Forwarded-Port
  std::string_view fallback_host;         // Host for requests that carry none (HTTP/1.0)
  std::string_view generated_request_id;  // X-Request-Id when the client sent no usable one
  std::string_view strip_cookie;          // albatross's own cookie names, removed from Cookie
  std::string_view strip_cookie_cors;
  // ALB's X-Amzn-Mtls-Clientcert* fields of the client connection (mutual TLS), or null. The
  // client's own fields of those names are always dropped.
  const tls::ClientCertHeaders* client_cert = nullptr;
};

// Writes the head sent to a target: HTTP/1.1, hop-by-hop fields removed (RFC 9110 §7.6.1), the
// framing albatross decided (one Content-Length of digits or chunked), X-Forwarded-For appended,
// X-Forwarded-Proto/-Port set, X-Request-Id kept or generated, Host preserved, control characters
// blanked, the target percent-encoded where it held spaces or controls. Pure.
void write_upstream_request(const RequestHead& head, const ForwardContext& context,
                            std::string& out);

// True when `id` is acceptable as a request id to pass through (1..128 of [A-Za-z0-9._:-]).
bool valid_request_id(std::string_view id);

// How the response body travels to the client.
enum class ClientFraming : std::uint8_t { none, content_length, chunked, until_close };

struct ResponseContext {
  ClientFraming framing = ClientFraming::none;
  bool keep_alive = true;      // the client connection stays open after this response
  bool client_http10 = false;  // the client spoke HTTP/1.0: keep-alive must be explicit
  bool upgrade = false;        // a 101 being tunnelled: keep Connection/Upgrade
  std::string_view upgrade_protocol;
  std::string_view extra_fields;  // complete field lines albatross adds (Set-Cookie), CRLF-ended
};

// Writes the head sent to the client: hop-by-hop fields removed, framing and Connection set
// from `context`, the target's other fields (Set-Cookie included) passed through. Pure.
void write_downstream_response(const ResponseHead& head, const ResponseContext& context,
                               std::string& out);

}  // namespace albatross::http
