#pragma once

#include <cstdint>
#include <string_view>

namespace albatross::http {

// ALB's desync-mitigation tiers (../shared/design/alb-behaviour.md §4.7), ordered by risk.
enum class Tier : std::uint8_t { compliant, acceptable, ambiguous, severe };

// Why a request got its tier. Names follow ALB's access-log classification_reason codes; the
// last few are this project's own (framing rules RFC 9112 makes mandatory).
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
};

inline constexpr std::size_t kReasonCount =
    static_cast<std::size_t>(Reason::unsupported_version) + 1;

std::string_view tier_name(Tier tier);        // "Compliant", "Acceptable", ...
std::string_view reason_name(Reason reason);  // "BothTeClPresent", ...
Tier tier_of(Reason reason);

}  // namespace albatross::http
