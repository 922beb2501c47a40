#include "albatross/http/header_rewrite.hpp"

#include <charconv>

#include "albatross/common/ascii.hpp"
#include "albatross/http/generated_response.hpp"
#include "albatross/tls/client_cert_headers.hpp"

namespace albatross::http {
namespace {

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// Appends `value`, control characters blanked when `sanitize`.
void append_text(std::string& out, std::string_view value, bool sanitize) {
  if (!sanitize) {
    out.append(value);
    return;
  }
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    out.push_back(((c < 0x20 && c != '\t') || c == 0x7f) ? ' ' : ch);
  }
}

void append_value(std::string& out, const Field& field) {
  append_text(out, field.value, field.sanitize_value);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void append_target(std::string& out, const RequestHead& head) {
  if (head.target.empty()) {
    out.push_back('/');
    return;
  }
  if (!head.target_needs_encoding) {
    out.append(head.target);
    return;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : head.target) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
}

// Copies a Cookie value without the pairs named `a` or `b`, control characters blanked like any
// other value. Returns false when nothing is left.
bool append_cookie_without(std::string& out, const Field& field, std::string_view a,
                           std::string_view b) {
  std::size_t start = out.size();
  std::string_view value = field.value;
  while (!value.empty()) {
    auto semi = value.find(';');
    std::string_view pair = ascii::trim_ows(value.substr(0, semi));
    std::string_view name = ascii::trim_ows(pair.substr(0, pair.find('=')));
    bool strip = (!a.empty() && name == a) || (!b.empty() && name == b);
    if (!pair.empty() && !strip) {
      if (out.size() > start) out.append("; ");
      append_text(out, pair, field.sanitize_value);
    }
    if (semi == std::string_view::npos) break;
    value.remove_prefix(semi + 1);
  }
  return out.size() > start;
}

// "Transfer-Encoding: <content codings in order>, chunked": the codings a message carried
// besides chunked survive, and albatross's own chunked framing ends the list.
void append_transfer_encoding(std::string& out, const std::vector<Field>& fields,
                              bool other_codings) {
  out.append("Transfer-Encoding: ");
  if (other_codings) {
    for (const Field& f : fields) {
      if (f.id != FieldId::transfer_encoding) continue;
      ascii::for_each_list_element(f.value, [&](std::string_view item) {
        std::string_view coding = ascii::trim_ows(item.substr(0, item.find(';')));
        if (!ascii::iequals(coding, "chunked") && !ascii::iequals(coding, "identity")) {
          out.append(coding);
          out.append(", ");
        }
      });
    }
  }
  out.append("chunked\r\n");
}

// Every X-Forwarded-For the client sent, in order, then the client address, as one field.
void append_forwarded_for(std::string& out, const std::vector<Field>& fields,
                          std::string_view client_address) {
  out.append("X-Forwarded-For: ");
  for (const Field& f : fields) {
    if (f.id == FieldId::x_forwarded_for && !f.drop && !f.value.empty()) {
      append_value(out, f);
      out.append(", ");
    }
  }
  out.append(client_address);
  out.append("\r\n");
}

// The body's framing as the proxy decided it (the client's framing fields are dropped).
void append_framing(std::string& out, const RequestHead& head) {
  switch (head.body) {
    case BodyKind::content_length:
      out.append("Content-Length: ");
      append_number(out, head.content_length);
      out.append("\r\n");
      break;
    case BodyKind::chunked:
      append_transfer_encoding(out, head.fields, head.other_codings);
      break;
    case BodyKind::none:
      break;
  }
}

// One of ALB's mTLS fields, which only albatross may set. The length and first letter rule out
// almost every other name before the comparisons.
bool is_client_cert_field(std::string_view name) {
  if (name.size() < tls::kClientCert.size() || (name[0] != 'x' && name[0] != 'X')) return false;
  for (std::string_view known : tls::kClientCertHeaderNames) {
    if (ascii::iequals(name, known)) return true;
  }
  return false;
}

}  // namespace

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

void write_upstream_request(const RequestHead& head, const ForwardContext& context,
                            std::string& out) {
  out.clear();
  out.append(head.method);
  out.push_back(' ');
  append_target(out, head);
  out.append(" HTTP/1.1\r\n");

  bool has_host = false;
  bool has_request_id = false;
  bool xff_written = false;
  for (const Field& field : head.fields) {
    if (field.drop) continue;
    if (field.id == FieldId::other && is_client_cert_field(field.name)) continue;
    switch (field.id) {
      case FieldId::x_forwarded_proto:
      case FieldId::x_forwarded_port:
        continue;  // overwritten below (ALB semantics, alb-behaviour.md §4.5)
      case FieldId::x_forwarded_for:
        if (!xff_written) append_forwarded_for(out, head.fields, context.client_address);
        xff_written = true;
        continue;
      case FieldId::x_request_id:
        if (has_request_id || !valid_request_id(field.value)) continue;
        has_request_id = true;
        break;
      case FieldId::host:
        has_host = true;
        break;
      case FieldId::cookie: {
        if (!context.strip_cookie.empty()) {
          std::size_t mark = out.size();
          out.append("Cookie: ");
          if (append_cookie_without(out, field, context.strip_cookie, context.strip_cookie_cors)) {
            out.append("\r\n");
          } else {
            out.resize(mark);
          }
          continue;
        }
        break;
      }
      default:
        break;
    }
    out.append(field.name);
    out.append(": ");
    append_value(out, field);
    out.append("\r\n");
  }
  if (!has_host && !context.fallback_host.empty()) append_field(out, "Host", context.fallback_host);
  if (!xff_written) append_field(out, "X-Forwarded-For", context.client_address);
  append_field(out, "X-Forwarded-Proto", context.scheme);
  append_field(out, "X-Forwarded-Port", context.listener_port);
  if (!has_request_id && !context.generated_request_id.empty()) {
    append_field(out, "X-Request-Id", context.generated_request_id);
  }
  if (context.client_cert != nullptr) {
    for (const auto& [name, value] : context.client_cert->fields)
      append_field(out, name, value);
  }
  append_framing(out, head);
  if (head.upgrade) {
    out.append("Connection: Upgrade\r\nUpgrade: ");
    append_text(out, head.upgrade_protocol, true);  // the client's value, blanked like any other
    out.append("\r\n");
  }
  out.append("\r\n");
}

void write_downstream_response(const ResponseHead& head, const ResponseContext& context,
                               std::string& out) {
  out.clear();
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::uint64_t>(head.status));
  out.push_back(' ');
  out.append(head.reason.empty() ? status_reason(head.status) : head.reason);
  out.append("\r\n");
  for (const Field& field : head.fields) {
    if (field.drop) continue;
    out.append(field.name);
    out.append(": ");
    append_value(out, field);
    out.append("\r\n");
  }
  switch (context.framing) {
    case ClientFraming::content_length:
      out.append("Content-Length: ");
      append_number(out, head.content_length);
      out.append("\r\n");
      break;
    case ClientFraming::chunked:
      append_transfer_encoding(out, head.fields, head.other_codings);
      break;
    case ClientFraming::none:
      // HEAD and 304 responses describe the body they would have had; 1xx and 204 never carry
      // a Content-Length (RFC 9110 §8.6), even when the target sent one.
      if (head.has_content_length && head.status >= 200 && head.status != 204) {
        out.append("Content-Length: ");
        append_number(out, head.declared_content_length);
        out.append("\r\n");
      }
      break;
    case ClientFraming::until_close:
      break;
  }
  out.append(context.extra_fields);
  if (context.upgrade) {
    out.append("Connection: Upgrade\r\nUpgrade: ");
    append_text(out, context.upgrade_protocol, true);
    out.append("\r\n");
  } else if (!context.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (context.client_http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

}  // namespace albatross::http
