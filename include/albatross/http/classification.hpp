#pragma once

#include <cstdint>
#include <string_view>

namespace albatross::http {

// ALB's desync-mitigation tiers (../shared/design/alb-behaviour.md §4.7), ordered by risk.
enum class Tier : std::uint8_t { compliant, acceptable, ambiguous, severe };

// Why a request got its tier. Names follow ALB's access-log classification_reason codes; the
// last few are this project's own (rules RFC 9112 makes mandatory). SpaceInUri, AmbiguousUri,
// NonCompliantHeader, EmptyHeader and MissingHeaderColon are no longer given to requests (what
// they named is now InvalidRequestTarget, InvalidFieldLine or InvalidFieldValue, Severe); they
// stay so metric label sets and dashboards keep their series.
enum class Reason : std::uint8_t {
  compliant,
  // Acceptable
  get_head_zero_content_length,
  non_compliant_header,
  non_compliant_version,
  space_in_uri,
  // Ambiguous
  ambiguous_uri,
  both_te_cl_present,
  duplicate_content_length,
  empty_header,
  suspicious_header,
  undefined_content_length_semantics,
  undefined_transfer_encoding_semantics,
  missing_header_colon,
  // Severe
  bad_content_length,
  bad_header,
  bad_transfer_encoding,
  bad_uri,
  bad_method,
  bad_version,
  multiple_content_length,
  multiple_transfer_encoding_chunked,
  obs_fold,
  missing_host,
  multiple_host,
  unsupported_transfer_encoding,
  unsupported_version,
  // RFC 9112 rules the ALB reference leaves open or grades lower; this project's own names.
  invalid_request_target,       // Severe: empty, SP/CTL/non-ASCII, `*` not with OPTIONS, no form
  invalid_field_line,           // Severe: no colon, empty or non-token name, space before colon
  invalid_field_value,          // Severe: a control character other than HTAB in a value
  invalid_host,                 // Severe: empty, userinfo, path, list, or bytes not in a host
  duplicate_transfer_encoding,  // Severe: more than one Transfer-Encoding field line
  forwarded_transfer_coding,    // Ambiguous: "gzip, chunked" passed on (monitor mode only)
};

inline constexpr std::size_t kReasonCount =
    static_cast<std::size_t>(Reason::forwarded_transfer_coding) + 1;

std::string_view tier_name(Tier tier);        // "Compliant", "Acceptable", ...
std::string_view reason_name(Reason reason);  // "BothTeClPresent", ...
Tier tier_of(Reason reason);

}  // namespace albatross::http
