#include "albatross/http/classification.hpp"

namespace albatross::http {

std::string_view tier_name(Tier tier) {
  switch (tier) {
    case Tier::compliant:
      return "Compliant";
    case Tier::acceptable:
      return "Acceptable";
    case Tier::ambiguous:
      return "Ambiguous";
    case Tier::severe:
      return "Severe";
  }
  return "Compliant";
}

std::string_view reason_name(Reason reason) {
  switch (reason) {
    case Reason::compliant:
      return "Compliant";
    case Reason::get_head_zero_content_length:
      return "GetHeadZeroContentLength";
    case Reason::non_compliant_header:
      return "NonCompliantHeader";
    case Reason::non_compliant_version:
      return "NonCompliantVersion";
    case Reason::space_in_uri:
      return "SpaceInUri";
    case Reason::ambiguous_uri:
      return "AmbiguousUri";
    case Reason::both_te_cl_present:
      return "BothTeClPresent";
    case Reason::duplicate_content_length:
      return "DuplicateContentLength";
    case Reason::empty_header:
      return "EmptyHeader";
    case Reason::suspicious_header:
      return "SuspiciousHeader";
    case Reason::undefined_content_length_semantics:
      return "UndefinedContentLengthSemantics";
    case Reason::undefined_transfer_encoding_semantics:
      return "UndefinedTransferEncodingSemantics";
    case Reason::missing_header_colon:
      return "MissingHeaderColon";
    case Reason::bad_content_length:
      return "BadContentLength";
    case Reason::bad_header:
      return "BadHeader";
    case Reason::bad_transfer_encoding:
      return "BadTransferEncoding";
    case Reason::bad_uri:
      return "BadUri";
    case Reason::bad_method:
      return "BadMethod";
    case Reason::bad_version:
      return "BadVersion";
    case Reason::multiple_content_length:
      return "MultipleContentLength";
    case Reason::multiple_transfer_encoding_chunked:
      return "MultipleTransferEncodingChunked";
    case Reason::obs_fold:
      return "ObsFold";
    case Reason::missing_host:
      return "MissingHost";
    case Reason::multiple_host:
      return "MultipleHost";
    case Reason::unsupported_transfer_encoding:
      return "UnsupportedTransferEncoding";
    case Reason::unsupported_version:
      return "UnsupportedVersion";
    case Reason::invalid_request_target:
      return "InvalidRequestTarget";
    case Reason::invalid_field_line:
      return "InvalidFieldLine";
    case Reason::invalid_field_value:
      return "InvalidFieldValue";
    case Reason::invalid_host:
      return "InvalidHost";
    case Reason::duplicate_transfer_encoding:
      return "DuplicateTransferEncoding";
    case Reason::forwarded_transfer_coding:
      return "ForwardedTransferCoding";
  }
  return "Compliant";
}

Tier tier_of(Reason reason) {
  switch (reason) {
    case Reason::compliant:
      return Tier::compliant;
    case Reason::get_head_zero_content_length:
    case Reason::non_compliant_header:
    case Reason::non_compliant_version:
    case Reason::space_in_uri:
      return Tier::acceptable;
    case Reason::ambiguous_uri:
    case Reason::both_te_cl_present:
    case Reason::duplicate_content_length:
    case Reason::empty_header:
    case Reason::suspicious_header:
    case Reason::undefined_content_length_semantics:
    case Reason::undefined_transfer_encoding_semantics:
    case Reason::missing_header_colon:
    case Reason::forwarded_transfer_coding:
      return Tier::ambiguous;
    default:
      return Tier::severe;
  }
}

}  // namespace albatross::http
