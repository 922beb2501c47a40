#include "albatross/http/classification.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace albatross::http {
namespace {

TEST_CASE("every reason has a distinct ALB name and the tier ALB gives it") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    auto reason = static_cast<Reason>(i);
    CAPTURE(i);
    std::string_view name = reason_name(reason);
    CHECK_FALSE(name.empty());
    CHECK(names.insert(name).second);
  }
  CHECK(names.size() == kReasonCount);

  CHECK(tier_of(Reason::compliant) == Tier::compliant);
  for (Reason r : {Reason::get_head_zero_content_length, Reason::non_compliant_header,
                   Reason::non_compliant_version, Reason::space_in_uri}) {
    CAPTURE(reason_name(r));
    CHECK(tier_of(r) == Tier::acceptable);
  }
  for (Reason r :
       {Reason::ambiguous_uri, Reason::both_te_cl_present, Reason::duplicate_content_length,
        Reason::empty_header, Reason::suspicious_header, Reason::undefined_content_length_semantics,
        Reason::undefined_transfer_encoding_semantics, Reason::missing_header_colon,
        Reason::forwarded_transfer_coding}) {
    CAPTURE(reason_name(r));
    CHECK(tier_of(r) == Tier::ambiguous);
  }
  for (Reason r :
       {Reason::bad_content_length, Reason::bad_header, Reason::bad_transfer_encoding,
        Reason::bad_uri, Reason::bad_method, Reason::bad_version, Reason::multiple_content_length,
        Reason::multiple_transfer_encoding_chunked, Reason::obs_fold, Reason::missing_host,
        Reason::multiple_host, Reason::unsupported_transfer_encoding, Reason::unsupported_version,
        Reason::invalid_request_target, Reason::invalid_field_line, Reason::invalid_field_value,
        Reason::invalid_host, Reason::duplicate_transfer_encoding}) {
    CAPTURE(reason_name(r));
    CHECK(tier_of(r) == Tier::severe);
  }
}

TEST_CASE("reason and tier names match ALB's access-log spelling") {
  CHECK(reason_name(Reason::both_te_cl_present) == "BothTeClPresent");
  CHECK(reason_name(Reason::get_head_zero_content_length) == "GetHeadZeroContentLength");
  CHECK(reason_name(Reason::multiple_transfer_encoding_chunked) ==
        "MultipleTransferEncodingChunked");
  CHECK(reason_name(Reason::undefined_content_length_semantics) ==
        "UndefinedContentLengthSemantics");
  CHECK(tier_name(Tier::compliant) == "Compliant");
  CHECK(tier_name(Tier::acceptable) == "Acceptable");
  CHECK(tier_name(Tier::ambiguous) == "Ambiguous");
  CHECK(tier_name(Tier::severe) == "Severe");
  CHECK(Tier::compliant < Tier::acceptable);
  CHECK(Tier::acceptable < Tier::ambiguous);
  CHECK(Tier::ambiguous < Tier::severe);
}

}  // namespace
}  // namespace albatross::http
