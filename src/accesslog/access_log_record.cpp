#include "albatross/accesslog/access_log_record.hpp"

#include <cstdio>

#include "albatross/common/json_escape.hpp"
#include "albatross/common/str_cat.hpp"
#include "albatross/common/wall_clock.hpp"

namespace albatross::accesslog {

void AccessLogRecord::reset() {
  std::string keep[] = {std::move(client), std::move(target),     std::move(method),
                        std::move(host),   std::move(uri),        std::move(user_agent),
                        std::move(sni),    std::move(request_id), std::move(redirect_url)};
  *this = AccessLogRecord{};
  std::string* fields[] = {&client,     &target, &method,     &host,        &uri,
                           &user_agent, &sni,    &request_id, &redirect_url};
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    *fields[i] = std::move(keep[i]);
    fields[i]->clear();
  }
}

namespace {

void append_seconds(std::string& out, double seconds) {
  if (seconds < 0) {
    out.append("-1");
    return;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.3f", seconds);
  out.append(buf, static_cast<std::size_t>(n));
}

// Quoted field content: no raw quotes, backslashes or control bytes (log injection).
void append_escaped(std::string& out, std::string_view text, std::size_t limit = 8192) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t n = 0;
  for (char ch : text) {
    if (++n > limit) break;
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c == 0x7f) {
      out.append("\\x");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
}

void append_or_dash(std::string& out, std::string_view text) {
  if (text.empty()) {
    out.push_back('-');
  } else {
    append_escaped(out, text);
  }
}

void append_request_line(std::string& out, const AccessLogRecord& r) {
  if (r.method.empty()) {
    out.append("- - -");
    return;
  }
  append_escaped(out, r.method);
  out.push_back(' ');
  bool tls = r.type == "https" || r.type == "wss";
  out.append(tls ? "https://" : "http://");
  std::string_view host = r.host;
  // ALB writes scheme://host:port: add the listener port when the Host field carried none.
  append_escaped(out, host);
  if (host.find(':') == std::string_view::npos || host.back() == ']') {
    str_append(out, str_cat(':', r.listener_port));
  }
  if (r.uri.empty() || r.uri.front() != '/') out.push_back('/');
  append_escaped(out, r.uri);
  out.push_back(' ');
  out.append(r.version);
}

void json_string(std::string& out, std::string_view key, std::string_view value) {
  out.push_back('"');
  out.append(key);
  out.append("\":\"");
  append_json_escaped(out, value);
  out.append("\",");
}

template <typename Number>
void json_number(std::string& out, std::string_view key, Number value) {
  out.push_back('"');
  out.append(key);
  out.append("\":");
  str_append(out, value);
  out.push_back(',');
}

}  // namespace

void format_record(const AccessLogRecord& r, Format format, std::string& out) {
  if (format == Format::alb) {
    // ALB's field order (alb-behaviour.md §8); unknown trailing fields are allowed by parsers.
    out.append(r.type);
    out.push_back(' ');
    append_iso8601_us(out, r.time_us);
    out.push_back(' ');
    append_or_dash(out, r.listener);
    out.push_back(' ');
    append_or_dash(out, r.client);
    out.push_back(' ');
    append_or_dash(out, r.target);
    out.push_back(' ');
    append_seconds(out, r.request_processing);
    out.push_back(' ');
    append_seconds(out, r.target_processing);
    out.push_back(' ');
    append_seconds(out, r.response_processing);
    str_append(out, str_cat(' ', r.status, ' '));
    if (r.target_status > 0) {
      str_append(out, r.target_status);
    } else {
      out.push_back('-');
    }
    str_append(out, str_cat(' ', r.received_bytes, ' ', r.sent_bytes, " \""));
    append_request_line(out, r);
    out.append("\" \"");
    append_or_dash(out, r.user_agent);
    out.append("\" ");
    append_or_dash(out, r.tls_cipher);
    out.push_back(' ');
    append_or_dash(out, r.tls_protocol);
    out.push_back(' ');
    append_or_dash(out, r.target_group);
    out.append(" \"");
    append_or_dash(out, r.request_id);
    out.append("\" \"");
    append_or_dash(out, r.sni);
    out.append("\" ");
    if (r.matched_rule_priority >= -1) {
      str_append(out, r.matched_rule_priority);
    } else {
      out.push_back('-');
    }
    out.push_back(' ');
    append_iso8601_us(out, r.request_creation_us);
    out.append(" \"");
    append_or_dash(out, r.actions);
    out.append("\" \"");
    append_or_dash(out, r.redirect_url);
    out.append("\" \"");
    append_or_dash(out, r.error_reason);
    out.append("\" \"");
    append_or_dash(out, r.classification);
    out.append("\" \"");
    append_or_dash(out, r.classification_reason);
    out.append("\"\n");
    return;
  }
  out.push_back('{');
  json_string(out, "type", r.type);
  std::string time;
  append_iso8601_us(time, r.time_us);
  json_string(out, "time", time);
  json_string(out, "listener", r.listener);
  json_string(out, "client", r.client);
  json_string(out, "target", r.target);
  json_number(out, "request_processing_time", r.request_processing);
  json_number(out, "target_processing_time", r.target_processing);
  json_number(out, "response_processing_time", r.response_processing);
  json_number(out, "status", r.status);
  json_number(out, "target_status", r.target_status);
  json_number(out, "received_bytes", r.received_bytes);
  json_number(out, "sent_bytes", r.sent_bytes);
  std::string request;
  append_request_line(request, r);
  json_string(out, "request", request);
  json_string(out, "user_agent", r.user_agent.substr(0, 8192));
  json_string(out, "tls_cipher", r.tls_cipher);
  json_string(out, "tls_protocol", r.tls_protocol);
  json_string(out, "target_group", r.target_group);
  json_string(out, "request_id", r.request_id);
  json_string(out, "sni", r.sni);
  json_number(out, "matched_rule_priority", r.matched_rule_priority);
  std::string created;
  append_iso8601_us(created, r.request_creation_us);
  json_string(out, "request_creation_time", created);
  json_string(out, "actions_executed", r.actions);
  json_string(out, "redirect_url", r.redirect_url);
  json_string(out, "error_reason", r.error_reason);
  json_string(out, "classification", r.classification);
  json_string(out, "classification_reason", r.classification_reason);
  out.back() = '}';
  out.push_back('\n');
}

}  // namespace albatross::accesslog
