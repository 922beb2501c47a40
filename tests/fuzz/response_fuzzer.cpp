// Responses as a target may send them: HeadScanner, parse_response_head, the head albatross
// would send on (write_downstream_response), and a chunked body through ChunkedDecoder.
// Beyond "no crash, no sanitizer report", it checks: the head sent on reads back valid with the
// same status; and decoding a chunked body as it arrives in pieces of any size gives the same
// bytes and the same end (done or error) as decoding it at once. Input: one option byte, then
// the bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "albatross/http/chunked_decoder.hpp"
#include "albatross/http/head_scanner.hpp"
#include "albatross/http/header_rewrite.hpp"
#include "albatross/http/response_head.hpp"

namespace {

using namespace albatross::http;

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "response_fuzzer: invariant broken: %s\n", what);
    std::abort();
  }
}

struct Decoded {
  std::string data;
  bool done = false;
  bool error = false;
};

// Decodes `body` made available `step` bytes at a time, as the relay does: each step consumes
// from what has arrived and not been consumed yet.
Decoded decode(std::string_view body, std::size_t step) {
  ChunkedDecoder decoder;
  Decoded out;
  std::size_t arrived = std::min(step, body.size());
  std::size_t consumed = 0;
  for (int guard = 0; guard < 1 << 20; ++guard) {
    ChunkedDecoder::Step s = decoder.decode(body.substr(consumed, arrived - consumed));
    check(s.consumed <= arrived - consumed, "consumed more than it was given");
    check(s.data.empty() || (s.data.data() >= body.data() + consumed &&
                             s.data.data() + s.data.size() <= body.data() + arrived),
          "data outside the input");
    out.data.append(s.data);
    consumed += s.consumed;
    if (s.error) {
      out.error = true;
      return out;
    }
    if (s.done) {
      check(decoder.done(), "done step but decoder not done");
      out.done = true;
      return out;
    }
    if (s.consumed == 0) {
      if (arrived == body.size()) return out;  // needs bytes that never come
      arrived = std::min(arrived + step, body.size());
    }
  }
  check(false, "decoder made no progress");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool head_request = (options & 0x80) != 0;
  const std::size_t step = 1 + (options & 0x3f);

  static const HeadLimits kLimits{.max_start_line = 32 * 1024,
                                  .max_field_line = 32 * 1024,
                                  .max_head = 32 * 1024,
                                  .max_fields = 256};
  HeadScanner scanner(kLimits);
  std::string_view body = input;
  if (!(options & 0x40)) {  // otherwise: the input is a chunked body alone
    if (scanner.scan(input) != HeadScanner::Status::complete) return 0;
    ResponseHead head;
    parse_response_head(input.substr(0, scanner.head_size()), head_request, head);
    if (!head.valid) return 0;
    check(head.status >= 100 && head.status <= 999, "status out of range");
    ResponseContext context;
    switch (head.body) {
      case ResponseBody::none:
        context.framing = ClientFraming::none;
        break;
      case ResponseBody::content_length:
        context.framing = ClientFraming::content_length;
        break;
      case ResponseBody::chunked:
      case ResponseBody::until_close:
        context.framing = ClientFraming::chunked;
        break;
    }
    std::string sent;
    write_downstream_response(head, context, sent);
    HeadScanner again(kLimits);
    if (again.scan(sent) == HeadScanner::Status::complete) {
      check(again.head_size() == sent.size(), "head sent on has trailing bytes");
      ResponseHead reread;
      parse_response_head(sent, head_request, reread);
      check(reread.valid, "head sent on does not read back");
      check(reread.status == head.status, "status changed");
    }
    if (head.body != ResponseBody::chunked) return 0;
    body = input.substr(scanner.head_size());
  }
  Decoded at_once = decode(body, body.size() + 1);
  Decoded in_pieces = decode(body, step);
  check(at_once.done == in_pieces.done, "done differs by piece size");
  check(at_once.error == in_pieces.error, "error differs by piece size");
  if (at_once.done || at_once.error) {
    check(at_once.data == in_pieces.data, "data differs by piece size");
  } else {
    check(at_once.data.starts_with(in_pieces.data) || in_pieces.data.starts_with(at_once.data),
          "data diverges by piece size");
  }
  return 0;
}
