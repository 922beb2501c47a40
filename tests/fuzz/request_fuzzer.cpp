// Request heads as a client may send them: HeadScanner fed in arbitrary read sizes, then
// parse_request_head (tokenizer and desync classifier), then the head albatross would forward.
// Beyond "no crash, no sanitizer report", it checks: scanning in pieces agrees with scanning at
// once (complete, incomplete or refused); a reason's tier is the tier reported; and what would be
// forwarded is one clean head that albatross itself reads back with the same framing and never as
// Severe or Ambiguous (save GET/HEAD carrying a body, which stays what it is). Input: one option
// byte, then the bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "albatross/http/head_scanner.hpp"
#include "albatross/http/header_rewrite.hpp"
#include "albatross/http/request_head.hpp"

namespace {

using namespace albatross::http;

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "request_fuzzer: invariant broken: %s\n", what);
    std::abort();
  }
}

HeadScanner::Status scan_in_pieces(HeadScanner& scanner, std::string_view input, std::size_t step) {
  HeadScanner::Status status = HeadScanner::Status::incomplete;
  for (std::size_t n = std::min(step, input.size());; n = std::min(n + step, input.size())) {
    status = scanner.scan(input.substr(0, n));
    if (status != HeadScanner::Status::incomplete || n == input.size()) return status;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  // Small limits on request, so that every limit is reachable from short inputs.
  static const HeadLimits kDefault;
  static const HeadLimits kSmall{
      .max_start_line = 64, .max_field_line = 64, .max_head = 256, .max_fields = 8};
  const HeadLimits& limits = (options & 0x80) ? kSmall : kDefault;
  const std::size_t step = 1 + (options & 0x1f);

  HeadScanner pieces(limits);
  HeadScanner whole(limits);
  HeadScanner::Status status = scan_in_pieces(pieces, input, step);
  HeadScanner::Status at_once = whole.scan(input);
  // A head that breaks two rules (overlong and a bare LF) may be refused for either, depending
  // on how its bytes arrive; whether it is complete, incomplete or refused may not.
  auto refused = [](HeadScanner::Status s) {
    return s != HeadScanner::Status::complete && s != HeadScanner::Status::incomplete;
  };
  check(status == at_once || (refused(status) && refused(at_once)),
        "scanning in pieces and at once disagree");
  if (status != HeadScanner::Status::complete) return 0;
  check(pieces.head_size() == whole.head_size(), "head sizes disagree");
  check(pieces.head_size() <= input.size(), "head larger than the input");

  ParseOptions parse_options;
  parse_options.drop_invalid_header_fields = (options & 0x40) != 0;
  RequestHead head;
  parse_request_head(input.substr(0, pieces.head_size()), parse_options, head);
  check(head.reason == Reason::compliant ? head.tier == Tier::compliant
                                         : head.tier == tier_of(head.reason),
        "tier and reason disagree");
  if (head.tier == Tier::severe) return 0;
  check(head.body != BodyKind::content_length || head.content_length <= INT64_MAX,
        "content length out of range");

  // What albatross would send to a target.
  ForwardContext context{"192.0.2.1", "http",   "8080",      "target.test:80",
                         "req-1",     "AWSALB", "AWSALBCORS"};
  std::string forwarded;
  write_upstream_request(head, context, forwarded);
  for (std::size_t i = 0; i < forwarded.size(); ++i) {
    auto c = static_cast<unsigned char>(forwarded[i]);
    if (c == '\r') check(i + 1 < forwarded.size() && forwarded[i + 1] == '\n', "bare CR");
    if (c == '\n') check(i > 0 && forwarded[i - 1] == '\r', "bare LF");
    check(c >= 0x20 || c == '\t' || c == '\r' || c == '\n', "control character forwarded");
    check(c != 0x7f, "DEL forwarded");
  }
  static const HeadLimits kLarge{.max_start_line = 1 << 20,
                                 .max_field_line = 1 << 20,
                                 .max_head = 1 << 22,
                                 .max_fields = 1 << 16};
  HeadScanner again(kLarge);
  check(again.scan(forwarded) == HeadScanner::Status::complete, "forwarded head incomplete");
  check(again.head_size() == forwarded.size(), "forwarded head has trailing bytes");
  RequestHead reread;
  parse_request_head(forwarded, ParseOptions{}, reread);
  check(reread.tier != Tier::severe, "forwarded head is Severe");
  check(reread.tier != Tier::ambiguous ||
            reread.reason == Reason::undefined_content_length_semantics ||
            reread.reason == Reason::undefined_transfer_encoding_semantics,
        "forwarded head is Ambiguous");
  check(reread.body == head.body, "forwarded framing differs");
  check(reread.content_length == head.content_length, "forwarded length differs");
  check(reread.method == head.method, "forwarded method differs");
  return 0;
}
