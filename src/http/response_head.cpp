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
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_lists_other = false;
  bool transfer_encoding = false;
  bool final_chunked = false;
  int chunked_count = 0;
  int content_lengths = 0;
  std::uint64_t content_length = 0;
  while (true) {
    eol = head.find("\r\n");
    if (eol == 0 || eol == std::string_view::npos) break;
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
      fail(out, "NUL in header");
      return;
    }
    if (ascii::is_ows(line.front())) {
      fail(out, "obs-fold in header");
      return;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      fail(out, "header line without colon");
      return;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!ascii::is_token(name)) {
      fail(out, "invalid header name");
      return;
    }
    Field field{name, value, identify_field(name)};
    for (char ch : value) {
      auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7f) field.sanitize_value = true;
    }
    switch (field.id) {
      case FieldId::content_length: {
        std::uint64_t n = 0;
        bool ok = !value.empty() && value.size() <= 19;
        for (char c : value) {
          if (c < '0' || c > '9') ok = false;
          if (ok) n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (!ok) {
          fail(out, "invalid Content-Length");
          return;
        }
        if (content_lengths > 0 && n != content_length) {
          fail(out, "conflicting Content-Length");
          return;
        }
        content_length = n;
        ++content_lengths;
        field.drop = true;
        break;
      }
      case FieldId::transfer_encoding:
        transfer_encoding = true;
        ascii::for_each_list_element(value, [&](std::string_view item) {
          std::string_view coding = trim_ows(item.substr(0, item.find(';')));
          if (iequals(coding, "chunked")) {
            ++chunked_count;
            final_chunked = true;
          } else {
            final_chunked = false;
            if (!iequals(coding, "identity")) out.other_codings = true;
          }
        });
        field.drop = true;
        break;
      case FieldId::connection:
        ascii::for_each_list_element(value, [&](std::string_view token) {
          if (iequals(token, "close")) {
            connection_close = true;
          } else if (iequals(token, "keep-alive")) {
            connection_keep_alive = true;
          } else {
            connection_lists_other = true;
          }
        });
        field.drop = true;
        break;
      case FieldId::keep_alive:
      case FieldId::proxy_connection:
      case FieldId::te:
      case FieldId::trailer:
      case FieldId::upgrade:  // re-emitted for 101 only
        field.drop = true;
        break;
      default:
        break;
    }
    out.fields.push_back(field);
  }
  if (connection_lists_other) {
    // Fields the target named in Connection are hop-by-hop too (RFC 9110 §7.6.1); fields the
    // proxy itself interprets keep their own handling.
    for (const Field& c : out.fields) {
      if (c.id != FieldId::connection) continue;
      ascii::for_each_list_element(c.value, [&](std::string_view listed) {
        for (Field& f : out.fields) {
          if (f.id == FieldId::other && iequals(f.name, listed)) f.drop = true;
        }
      });
    }
  }
  out.has_content_length = content_lengths > 0;
  out.declared_content_length = content_length;
  if (chunked_count > 1) {
    fail(out, "chunked applied twice");
    return;
  }
  out.keep_alive =
      out.version == 11 ? !connection_close : (connection_keep_alive && !connection_close);
  if (request_method_head || out.status < 200 || out.status == 204 || out.status == 304) {
    out.body = ResponseBody::none;
  } else if (transfer_encoding) {
    // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; without a final chunked the body
    // runs to the close.
    out.body = final_chunked ? ResponseBody::chunked : ResponseBody::until_close;
    if (content_lengths > 0) out.keep_alive = false;
  } else if (content_lengths > 0) {
    out.body = ResponseBody::content_length;
    out.content_length = content_length;
  } else {
    out.body = ResponseBody::until_close;
  }
  if (out.body == ResponseBody::until_close) out.keep_alive = false;
  out.valid = true;
}

}  // namespace albatross::http
