#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "albatross/http/classification.hpp"
#include "albatross/http/field.hpp"

namespace albatross::http {

enum class BodyKind : std::uint8_t { none, content_length, chunked };

// A parsed and classified request head. Every view points into the buffer it was parsed from,
// so it is valid only until that buffer changes. Filled by parse_request_head().
struct RequestHead {
  std::string_view method;
  std::string_view target;  // request-target as received (may need percent-encoding on forward)
  int version = 11;         // 10 or 11 after normalization
  std::vector<Field> fields;

  // Framing, decided by this project's rules, never by another parser's.
  BodyKind body = BodyKind::none;
  std::uint64_t content_length = 0;
  // Codings besides chunked ("gzip, chunked"): refused (501) unless
  // ParseOptions::forward_transfer_codings, then re-emitted on forward.
  bool other_codings = false;

  // Connection semantics.
  bool keep_alive = true;
  bool upgrade = false;          // Connection: upgrade + Upgrade (not h2c)
  bool expect_continue = false;  // Expect: 100-continue
  bool expect_unsupported = false;
  // SP/CTL in the target to percent-encode on forward. Never set by parse_request_head any more:
  // such targets are refused (InvalidRequestTarget).
  bool target_needs_encoding = false;
  bool is_head = false;
  bool is_get = false;
  bool is_trace = false;
  std::string_view host;  // the Host field value ("" if absent)
  std::string_view upgrade_protocol;

  Tier tier = Tier::compliant;
  Reason reason = Reason::compliant;
  int invalid_field_names = 0;      // token names outside [-A-Za-z0-9] dropped when asked
  int forwarded_invalid_names = 0;  // token names outside [-A-Za-z0-9] passed on

  // Status for a refused request: 400, or 501/505 for the unsupported cases.
  int error_status() const;
  bool idempotent() const;
};

// Options that change how fields are judged.
struct ParseOptions {
  bool drop_invalid_header_fields = false;  // ALB's attribute: drop names outside [-A-Za-z0-9]+
  // Monitor mode: codings before the final chunked ("gzip, chunked") are forwarded unchanged
  // and the request classified Ambiguous (ForwardedTransferCoding) instead of refused with 501.
  bool forward_transfer_codings = false;
};

// Tokenizes and classifies a complete request head (as delimited by HeadScanner): the start
// line, each field, and the framing headers against each other, following ALB's desync
// classification (alb-behaviour.md §4.7) with RFC 9112's rules on top: whatever RFC 9112 says a
// server must reject (request line, field-line syntax, Host, Transfer-Encoding other than one
// final chunked) is Severe even where ALB grades it lower. Never fails: a broken request comes
// back with tier Severe and the reason. Pure and allocation-free once `out.fields`
// has capacity.
void parse_request_head(std::string_view head, const ParseOptions& options, RequestHead& out);

}  // namespace albatross::http
