#include "albatross/http/response_head.hpp"

#include <cstring>

#include "albatross/common/ascii.hpp"

namespace albatross::http {
namespace {

using ascii::iequals;
using ascii::trim_ows;

bool fail(ResponseHead& out, std::string_view why) {
  out.valid = false;
  out.error = why;
  return false;
}

bool parse_status_line(std::string_view line, ResponseHead& out) {
  // HTTP-version SP 3DIGIT SP [reason]
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') {
    return fail(out, "invalid status line");
  }
  if (line[7] == '1') {
    out.version = 11;
  } else if (line[7] == '0') {
    out.version = 10;
  } else {
    return fail(out, "unsupported HTTP version");
  }
  int status = 0;
  for (int i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return fail(out, "invalid status code");
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100 || status > 599) return fail(out, "invalid status code");
  if (line.size() > 12 && line[12] != ' ') return fail(out, "invalid status line");
  out.status = status;
  out.reason = line.size() > 13 ? line.substr(13) : std::string_view{};
  for (char ch : out.reason) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return fail(out, "invalid reason phrase");
  }
  return true;
}

// What the fields said about framing and the connection, gathered while they are parsed.
struct FramingFacts {
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_lists_other = false;
  bool transfer_encoding = false;
  bool final_chunked = false;
  int chunked_count = 0;
  int content_lengths = 0;
  std::uint64_t content_length = 0;
};

// One field line into `field`; false (and `out` failed) when the line is malformed.
bool parse_field_line(std::string_view line, ResponseHead& out, Field& field) {
  if (std::memchr(line.data(), '\0', line.size()) != nullptr) return fail(out, "NUL in header");
  if (ascii::is_ows(line.front())) return fail(out, "obs-fold in header");
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(out, "header line without colon");
  std::string_view name = line.substr(0, colon);
  std::string_view value = trim_ows(line.substr(colon + 1));
  if (!ascii::is_token(name)) return fail(out, "invalid header name");
  field = Field{name, value, identify_field(name)};
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) field.sanitize_value = true;
  }
  return true;
}

bool note_content_length(std::string_view value, FramingFacts& facts, ResponseHead& out) {
  std::uint64_t n = 0;
  bool ok = !value.empty() && value.size() <= 19;
  for (char c : value) {
    if (c < '0' || c > '9') ok = false;
    if (ok) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (!ok) return fail(out, "invalid Content-Length");
  if (facts.content_lengths > 0 && n != facts.content_length) {
    return fail(out, "conflicting Content-Length");
  }
  facts.content_length = n;
  ++facts.content_lengths;
  return true;
}

// Framing and hop-by-hop fields: noted in `facts` and marked to be dropped (the proxy frames
// the response to the client itself). False when the framing cannot be trusted.
bool note_framing(Field& field, FramingFacts& facts, ResponseHead& out) {
  switch (field.id) {
    case FieldId::content_length:
      if (!note_content_length(field.value, facts, out)) return false;
      break;
    case FieldId::transfer_encoding:
      facts.transfer_encoding = true;
      ascii::for_each_list_element(field.value, [&](std::string_view item) {
        std::string_view coding = trim_ows(item.substr(0, item.find(';')));
        if (iequals(coding, "chunked")) {
          ++facts.chunked_count;
          facts.final_chunked = true;
        } else {
          facts.final_chunked = false;
          if (!iequals(coding, "identity")) out.other_codings = true;
        }
      });
      break;
    case FieldId::connection:
      ascii::for_each_list_element(field.value, [&](std::string_view token) {
        if (iequals(token, "close")) {
          facts.connection_close = true;
        } else if (iequals(token, "keep-alive")) {
          facts.connection_keep_alive = true;
        } else {
          facts.connection_lists_other = true;
        }
      });
      break;
    case FieldId::keep_alive:
    case FieldId::proxy_connection:
    case FieldId::te:
    case FieldId::trailer:
    case FieldId::upgrade:  // re-emitted for 101 only
      break;
    default:
      return true;
  }
  field.drop = true;
  return true;
}

// Fields the target named in Connection are hop-by-hop too (RFC 9110 §7.6.1); fields the proxy
// itself interprets keep their own handling.
void drop_connection_listed(ResponseHead& out) {
  for (const Field& c : out.fields) {
    if (c.id != FieldId::connection) continue;
    ascii::for_each_list_element(c.value, [&](std::string_view listed) {
      for (Field& f : out.fields) {
        if (f.id == FieldId::other && iequals(f.name, listed)) f.drop = true;
      }
    });
  }
}

// The body's framing (RFC 9112 §6.3) and whether the connection may be reused.
void settle_body(const FramingFacts& facts, bool request_method_head, ResponseHead& out) {
  out.keep_alive = out.version == 11 ? !facts.connection_close
                                     : (facts.connection_keep_alive && !facts.connection_close);
  if (request_method_head || out.status < 200 || out.status == 204 || out.status == 304) {
    out.body = ResponseBody::none;
  } else if (facts.transfer_encoding) {
    // Transfer-Encoding overrides Content-Length; without a final chunked the body runs to the
    // close.
    out.body = facts.final_chunked ? ResponseBody::chunked : ResponseBody::until_close;
    if (facts.content_lengths > 0) out.keep_alive = false;
  } else if (facts.content_lengths > 0) {
    out.body = ResponseBody::content_length;
    out.content_length = facts.content_length;
  } else {
    out.body = ResponseBody::until_close;
  }
  if (out.body == ResponseBody::until_close) out.keep_alive = false;
}

}  // namespace

void parse_response_head(std::string_view head, bool request_method_head, ResponseHead& out) {
  auto fields = std::move(out.fields);
  fields.clear();
  out = ResponseHead{};
  out.fields = std::move(fields);

  std::size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos || !parse_status_line(head.substr(0, eol), out)) {
    if (out.error.empty()) fail(out, "invalid status line");
    return;
  }
  head.remove_prefix(eol + 2);
  FramingFacts facts;
  while (true) {
    eol = head.find("\r\n");
    if (eol == 0 || eol == std::string_view::npos) break;
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    Field field;
    if (!parse_field_line(line, out, field) || !note_framing(field, facts, out)) return;
    out.fields.push_back(field);
  }
  if (facts.connection_lists_other) drop_connection_listed(out);
  out.has_content_length = facts.content_lengths > 0;
  out.declared_content_length = facts.content_length;
  if (facts.chunked_count > 1) {
    fail(out, "chunked applied twice");
    return;
  }
  settle_body(facts, request_method_head, out);
  out.valid = true;
}

}  // namespace albatross::http
