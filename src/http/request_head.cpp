#include <array>
#include <cstring>

#include "albatross/common/ascii.hpp"
#include "albatross/http/request_grammar.hpp"
#include "albatross/http/request_head.hpp"

namespace albatross::http {
namespace {

using ascii::iequals;
using ascii::is_ows;
using ascii::trim_ows;
using namespace grammar;

class RequestClassifier {
 public:
  RequestClassifier(const ParseOptions& options, RequestHead& out) : options_(options), out_(out) {}

  void note(Reason reason) {
    Tier tier = tier_of(reason);
    if (tier > out_.tier) {
      out_.tier = tier;
      out_.reason = reason;
    }
  }

  void parse(std::string_view head) {
    while (head.starts_with("\r\n"))
      head.remove_prefix(2);
    std::size_t eol = head.find("\r\n");
    if (eol == std::string_view::npos) {
      note(Reason::bad_uri);
      return;
    }
    parse_start_line(head.substr(0, eol));
    head.remove_prefix(eol + 2);
    bool first = true;
    while (true) {
      eol = head.find("\r\n");
      if (eol == 0 || eol == std::string_view::npos) break;
      parse_field_line(head.substr(0, eol), first);
      head.remove_prefix(eol + 2);
      first = false;
    }
    finish();
  }

 private:
  void parse_start_line(std::string_view line) {
    if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
      // NUL before the first space is in the method, after it in the target.
      std::size_t sp = line.find(' ');
      std::size_t nul = line.find('\0');
      note(sp != std::string_view::npos && nul > sp ? Reason::bad_uri : Reason::bad_method);
      return;
    }
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) {
      note(ascii::is_token(line) ? Reason::bad_uri : Reason::bad_method);
      return;
    }
    out_.method = line.substr(0, sp);
    if (!ascii::is_token(out_.method)) note(Reason::bad_method);
    std::string_view rest = line.substr(sp + 1);
    // The version starts at the first " HTTP/": spaces before it belong to the target
    // (SpaceInUri), anything after it to the version (BadVersion).
    std::size_t v = rest.find(" HTTP/");
    std::string_view version;
    if (v == std::string_view::npos) {
      out_.target = rest;
      // No version, but one hidden behind a tab or control: "GET /a\tHTTP/1.1" is a second
      // request line smuggled into the target.
      for (std::size_t h = rest.find("HTTP/"); h != std::string_view::npos;
           h = rest.find("HTTP/", h + 1)) {
        if (h > 0 && static_cast<unsigned char>(rest[h - 1]) < 0x20) note(Reason::bad_uri);
      }
      // The version is case-sensitive (RFC 9112 §2.3): "GET / http/1.1" has a bad one.
      std::size_t last = rest.rfind(' ');
      if (last != std::string_view::npos && ascii::istarts_with(rest.substr(last + 1), "http/"))
        note(Reason::bad_version);
    } else {
      out_.target = rest.substr(0, v);
      version = rest.substr(v + 1);
    }
    parse_version(version);
    out_.is_get = out_.method == "GET";
    out_.is_head = out_.method == "HEAD";
    out_.is_trace = out_.method == "TRACE";
    if (!valid_target()) note(Reason::invalid_request_target);
  }

  // RFC 9112 §3.2: origin-form ("/..."), absolute-form ("scheme:..."), authority-form (CONNECT
  // only) or asterisk-form ("*", OPTIONS only), of visible ASCII. An invalid request line is
  // answered 400 (§3), never repaired: a space or control in the target is where two parsers
  // disagree about where the target ends.
  bool valid_target() {
    std::string_view target = out_.target;
    if (target.empty()) return false;
    for (char c : target) {
      if (!target_byte(static_cast<unsigned char>(c))) return false;
    }
    if (target.front() == '/') return true;
    if (target == "*") return out_.method == "OPTIONS";
    if (out_.method == "CONNECT") return true;
    return has_scheme(target);
  }

  void parse_version(std::string_view version) {
    if (version == "HTTP/1.1") {
      out_.version = 11;
      return;
    }
    if (version == "HTTP/1.0") {
      out_.version = 10;
      return;
    }
    versionless_ = version.empty() || version == "HTTP/0.9";
    std::string_view trimmed = trim_ows(version);
    if (versionless_) {
      out_.version = 10;
      note(Reason::non_compliant_version);
    } else if (trimmed.size() == 8 && trimmed.starts_with("HTTP/") && trimmed[6] == '.' &&
               trimmed[5] >= '0' && trimmed[5] <= '9' && trimmed[7] >= '0' && trimmed[7] <= '9') {
      if (trimmed[5] == '1') {
        out_.version = trimmed[7] == '0' ? 10 : 11;
        note(Reason::non_compliant_version);
      } else if (trimmed[5] >= '2') {
        note(Reason::unsupported_version);
      } else {
        out_.version = 10;
        versionless_ = true;
        note(Reason::non_compliant_version);
      }
    } else {
      note(Reason::bad_version);
    }
  }

  // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS, the name a token. A request
  // with a field line outside that grammar is refused (400), not repaired: dropping the field
  // would forward a request another parser reads differently.
  void parse_field_line(std::string_view line, bool first) {
    std::string_view name;
    std::string_view value;
    if (!split_field_line(line, first, name, value)) return;
    FieldId id = identify_field(name);
    if (id == FieldId::other && suspicious_framing_name(name, value)) return;
    Field field{name, value, id};
    if (has_control(value)) {
      // RFC 9110 §5.5: CR, LF and NUL must be refused, other controls may be; all are.
      if (id == FieldId::content_length) {
        note(Reason::bad_content_length);
      } else if (id == FieldId::transfer_encoding) {
        note(Reason::bad_transfer_encoding);
      } else {
        note(Reason::invalid_field_value);
      }
      return;
    }
    if (!alnum_dash(name)) {
      if (options_.drop_invalid_header_fields) {
        ++out_.invalid_field_names;
        return;
      }
      ++out_.forwarded_invalid_names;
    }
    if (!note_field(field)) return;
    out_.fields.push_back(field);
  }

  // The name and trimmed value of a field line; false (noted) when the line breaks the grammar.
  bool split_field_line(std::string_view line, bool first, std::string_view& name,
                        std::string_view& value) {
    if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
      note(Reason::bad_header);
      return false;
    }
    if (is_ows(line.front())) {
      // obs-fold (RFC 9112 §5.2) is refused rather than unfolded; whitespace before the first
      // field line (§2.2) is refused rather than skipped.
      note(first ? Reason::invalid_field_line : Reason::obs_fold);
      return false;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      note(Reason::invalid_field_line);
      return false;
    }
    name = line.substr(0, colon);
    value = trim_ows(line.substr(colon + 1));
    // Also catches whitespace before the colon, non-ASCII and control bytes in the name.
    if (!ascii::is_token(name)) {
      note(Reason::invalid_field_line);
      return false;
    }
    return true;
  }

  // A name another parser might read as Content-Length or Transfer-Encoding: noted, and its
  // framing counted as that parser would count it. True when it was one (it is not forwarded).
  bool suspicious_framing_name(std::string_view name, std::string_view value) {
    bool cl_like = looks_like(name, "contentlength");
    bool te_like = !cl_like && looks_like(name, "transferencoding");
    if (!cl_like && !te_like) return false;
    note(Reason::suspicious_header);
    if (cl_like) {
      std::uint64_t n = 0;
      if (parse_content_length(value, n)) add_content_length(n);
    } else {
      ascii::for_each_list_element(value, [&](std::string_view item) {
        if (iequals(trim_ows(item.substr(0, item.find(';'))), "chunked")) ++chunked_count_;
      });
    }
    return true;
  }

  // What the fields the proxy interprets say; hop-by-hop and framing fields are marked to be
  // dropped. False (noted) when the field makes the request invalid.
  bool note_field(Field& field) {
    std::string_view value = field.value;
    switch (field.id) {
      case FieldId::content_length: {
        std::uint64_t n = 0;
        if (!parse_content_length(value, n)) {
          note(Reason::bad_content_length);
          return false;
        }
        ++content_length_fields_;
        out_.content_length = n;
        add_content_length(n);
        field.drop = true;  // re-emitted by the rewrite from the framing decision
        return true;
      }
      case FieldId::transfer_encoding:
        parse_transfer_encoding(value);
        field.drop = true;
        return true;
      case FieldId::host:
        ++host_fields_;
        out_.host = value;
        return true;
      case FieldId::connection:
        note_connection(value);
        field.drop = true;
        return true;
      case FieldId::expect:
        if (iequals(value, "100-continue")) {
          out_.expect_continue = true;
        } else {
          out_.expect_unsupported = true;
        }
        field.drop = true;
        return true;
      case FieldId::upgrade:
        out_.upgrade_protocol = value;
        field.drop = true;  // re-emitted only when the upgrade is forwarded
        return true;
      case FieldId::keep_alive:
      case FieldId::proxy_connection:
      case FieldId::te:
      case FieldId::trailer:
        field.drop = true;  // hop-by-hop (RFC 9110 §7.6.1)
        return true;
      default:
        return true;
    }
  }

  void note_connection(std::string_view value) {
    ascii::for_each_list_element(value, [&](std::string_view token_value) {
      if (iequals(token_value, "close")) {
        connection_close_ = true;
      } else if (iequals(token_value, "keep-alive")) {
        connection_keep_alive_ = true;
      } else if (iequals(token_value, "upgrade")) {
        connection_upgrade_ = true;
      } else {
        connection_lists_other_ = true;
      }
    });
  }

  static bool alnum_dash(std::string_view name) {
    for (char c : name) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    return true;
  }

  void add_content_length(std::uint64_t n) {
    if (content_length_seen_ > 0 && n != first_content_length_) {
      content_length_conflict_ = true;
    }
    if (content_length_seen_ == 0) first_content_length_ = n;
    ++content_length_seen_;
  }

  // Each coding must be a registered one; chunked takes no parameters, the others only
  // well-formed ones. An empty value, "identity" and unknown codings are refused (400).
  void parse_transfer_encoding(std::string_view value) {
    transfer_encoding_ = true;
    ++transfer_encoding_fields_;
    bool valid = !value.empty();
    ascii::for_each_list_element(value, [&](std::string_view item) {
      std::size_t semi = item.find(';');
      std::string_view coding = trim_ows(item.substr(0, semi));
      bool params = semi != std::string_view::npos;
      if (!ascii::is_token(coding) || !known_coding(coding)) {
        valid = false;
      } else if (iequals(coding, "chunked")) {
        if (params) valid = false;
        ++chunked_count_;
        final_chunked_ = true;
      } else {
        if (params && !valid_coding_params(item.substr(semi + 1))) valid = false;
        final_chunked_ = false;
        other_codings_ = true;
      }
    });
    if (!valid) note(Reason::bad_transfer_encoding);
  }

  void finish() {
    if (content_length_conflict_) note(Reason::multiple_content_length);
    if (chunked_count_ > 1) note(Reason::multiple_transfer_encoding_chunked);
    if (content_length_seen_ > 1 && !content_length_conflict_)
      note(Reason::duplicate_content_length);
    bool has_cl = content_length_fields_ > 0;
    if (transfer_encoding_ && has_cl) note(Reason::both_te_cl_present);
    if (transfer_encoding_ && (out_.version == 10 || versionless_)) {
      note(Reason::undefined_transfer_encoding_semantics);
    }
    if (has_cl && versionless_) note(Reason::undefined_content_length_semantics);
    if (out_.is_get || out_.is_head) {
      if (transfer_encoding_) note(Reason::undefined_transfer_encoding_semantics);
      if (has_cl) {
        note(out_.content_length == 0 ? Reason::get_head_zero_content_length
                                      : Reason::undefined_content_length_semantics);
      }
    }
    if (host_fields_ > 1) note(Reason::multiple_host);
    if (host_fields_ == 0 && out_.version == 11) note(Reason::missing_host);
    // RFC 9112 §3.2: an origin- or asterisk-form target needs the authority in Host; an
    // absolute-form target has one, so an empty Host contradicts it. Either way empty is wrong.
    if (host_fields_ == 1 && !valid_host(out_.host)) note(Reason::invalid_host);
    // One Transfer-Encoding field line: a second one is how a list is split between two parsers
    // that each read only one of them.
    if (transfer_encoding_fields_ > 1) note(Reason::duplicate_transfer_encoding);

    // Framing (RFC 9112 §6.3): chunked wins over Content-Length; a request whose coding list
    // does not end in chunked has no determinable length and is refused (400), with or without
    // a Content-Length. Codings before chunked are not implemented here (RFC 9112 §6.1: 501),
    // except in monitor mode, which forwards them unchanged and only flags the request.
    if (transfer_encoding_) {
      if (!final_chunked_) {
        note(Reason::bad_transfer_encoding);
      } else {
        out_.body = BodyKind::chunked;
        if (other_codings_) {
          note(options_.forward_transfer_codings ? Reason::forwarded_transfer_coding
                                                 : Reason::unsupported_transfer_encoding);
          out_.other_codings = true;
        }
      }
    } else if (has_cl) {
      out_.body = BodyKind::content_length;
    }
    if (out_.body != BodyKind::content_length) out_.content_length = 0;

    out_.keep_alive =
        out_.version == 11 ? !connection_close_ : (connection_keep_alive_ && !connection_close_);
    out_.upgrade = connection_upgrade_ && !out_.upgrade_protocol.empty() && out_.version == 11 &&
                   !iequals(out_.upgrade_protocol, "h2c");
    if (connection_lists_other_) drop_connection_listed();
  }

  // Fields named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
  void drop_connection_listed() {
    for (const Field& c : out_.fields) {
      if (c.id != FieldId::connection) continue;
      ascii::for_each_list_element(c.value, [&](std::string_view listed) {
        for (Field& f : out_.fields) {
          if (f.id == FieldId::other && iequals(f.name, listed)) f.drop = true;
        }
      });
    }
  }

  const ParseOptions& options_;
  RequestHead& out_;
  bool versionless_ = false;
  int content_length_fields_ = 0;
  int content_length_seen_ = 0;
  std::uint64_t first_content_length_ = 0;
  bool content_length_conflict_ = false;
  bool transfer_encoding_ = false;
  int transfer_encoding_fields_ = 0;
  int chunked_count_ = 0;
  bool final_chunked_ = false;
  bool other_codings_ = false;
  int host_fields_ = 0;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool connection_upgrade_ = false;
  bool connection_lists_other_ = false;
};

}  // namespace

int RequestHead::error_status() const {
  switch (reason) {
    case Reason::unsupported_transfer_encoding:
      return 501;
    case Reason::unsupported_version:
      return 505;
    default:
      return 400;
  }
}

bool RequestHead::idempotent() const {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE" || method == "TRACE";
}

void parse_request_head(std::string_view head, const ParseOptions& options, RequestHead& out) {
  auto fields = std::move(out.fields);
  fields.clear();
  out = RequestHead{};
  out.fields = std::move(fields);
  RequestClassifier(options, out).parse(head);
}

}  // namespace albatross::http
