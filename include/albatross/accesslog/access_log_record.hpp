#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace albatross::accesslog {

// One exchange as the access log records it: the fields of ALB's access log entry that apply
// (alb-behaviour.md §8). Strings are owned so a session can reuse one record (and its
// capacity) across exchanges. Times are Unix microseconds; durations seconds, -1 when the step
// did not happen.
struct AccessLogRecord {
  std::string_view type = "http";  // http | https | ws | wss
  std::int64_t time_us = 0;        // response sent (WebSocket: connection closed)
  std::int64_t request_creation_us = 0;
  std::string_view listener;
  std::string client;  // ip:port
  std::string target;  // host:port, empty when none was chosen
  double request_processing = -1;
  double target_processing = -1;
  double response_processing = -1;
  int status = 0;         // sent to the client
  int target_status = 0;  // 0 when no target answered
  std::uint64_t received_bytes = 0;
  std::uint64_t sent_bytes = 0;
  std::string method;
  std::string host;  // Host header (or the listener address)
  std::string uri;   // request-target as received
  std::string_view version = "HTTP/1.1";
  std::string user_agent;
  std::string_view tls_cipher;    // empty: not TLS
  std::string_view tls_protocol;  // empty: not TLS
  std::string sni;
  std::string_view target_group;
  std::string request_id;
  int matched_rule_priority = -2;   // the matched rule's; 0 default rule, -2 none ("-")
  std::string_view actions;         // "forward", "fixed-response", "redirect"; empty "-"
  std::string redirect_url;         // the Location of a redirect rule; empty "-"
  std::string_view error_reason;    // empty "-"
  std::string_view classification;  // empty when compliant
  std::string_view classification_reason;
  std::uint16_t listener_port = 0;

  void reset();
};

enum class Format { alb, json };

// Appends one line (newline-terminated) for `record` in the given format. Pure.
void format_record(const AccessLogRecord& record, Format format, std::string& out);

}  // namespace albatross::accesslog
