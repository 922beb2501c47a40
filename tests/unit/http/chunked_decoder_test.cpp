#include "albatross/http/chunked_decoder.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace albatross::http {
namespace {

using namespace std::literals;

struct Decoded {
  std::string body;
  bool done = false;
  bool error = false;
  std::size_t consumed = 0;  // total input bytes consumed
};

// Feeds `pieces` one after another the way a connection would: unconsumed bytes stay buffered
// and are presented again together with the next piece.
Decoded decode_pieces(const std::vector<std::string_view>& pieces) {
  ChunkedDecoder decoder;
  Decoded out;
  std::string buffer;
  for (std::string_view piece : pieces) {
    buffer.append(piece);
    while (!buffer.empty()) {
      ChunkedDecoder::Step step = decoder.decode(buffer);
      out.body.append(step.data);
      out.consumed += step.consumed;
      buffer.erase(0, step.consumed);
      if (step.error) {
        out.error = true;
        return out;
      }
      if (step.done) {
        out.done = true;
        CHECK(decoder.done());
        return out;
      }
      if (step.consumed == 0) break;
    }
  }
  return out;
}

Decoded decode_whole(std::string_view input) {
  return decode_pieces({input});
}

// Decodes `input` split once at every position and byte by byte; all must agree with `expected`.
void check_all_splits(std::string_view input, const Decoded& expected) {
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    CAPTURE(cut);
    Decoded d = decode_pieces({input.substr(0, cut), input.substr(cut)});
    CHECK(d.body == expected.body);
    CHECK(d.done == expected.done);
    CHECK(d.error == expected.error);
    if (expected.done) CHECK(d.consumed == expected.consumed);
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i)
    bytes.push_back(input.substr(i, 1));
  Decoded d = decode_pieces(bytes);
  CHECK(d.body == expected.body);
  CHECK(d.done == expected.done);
  CHECK(d.error == expected.error);
}

void check_body(std::string_view input, std::string_view body) {
  CAPTURE(input);
  Decoded d = decode_whole(input);
  CHECK_FALSE(d.error);
  CHECK(d.done);
  CHECK(d.body == body);
  CHECK(d.consumed == input.size());
  check_all_splits(input, d);
}

void check_malformed(std::string_view input) {
  CAPTURE(input);
  Decoded d = decode_whole(input);
  CHECK(d.error);
  CHECK_FALSE(d.done);
  check_all_splits(input, d);
}

TEST_CASE("ChunkedDecoder decodes a single chunk") {
  check_body("5\r\nhello\r\n0\r\n\r\n", "hello");
}

TEST_CASE("ChunkedDecoder decodes several chunks, upper and lower case hex") {
  check_body("5\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\nf\r\nabcdefghijklmno\r\n0\r\n\r\n",
             "hello 0123456789abcdefghijklmno");
  check_body("000a\r\n0123456789\r\n0\r\n\r\n", "0123456789");
}

TEST_CASE("ChunkedDecoder decodes an empty body") {
  check_body("0\r\n\r\n", "");
  check_body("000\r\n\r\n", "");
}

TEST_CASE("ChunkedDecoder drops chunk extensions") {
  check_body("5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello");
  check_body("5 ; a=\"quoted;\"\r\nhello\r\n0\r\n\r\n", "hello");
  check_body("5\t;x\r\nhello\r\n0\r\n\r\n", "hello");
}

TEST_CASE("ChunkedDecoder drops trailer fields") {
  check_body("5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n", "hello");
}

TEST_CASE("ChunkedDecoder stops at the end of the message") {
  std::string_view message = "3\r\nabc\r\n0\r\n\r\n";
  std::string pipelined = std::string(message) + "GET / HTTP/1.1\r\n";
  ChunkedDecoder decoder;
  std::string body;
  std::size_t offset = 0;
  ChunkedDecoder::Step step;
  do {
    step = decoder.decode(std::string_view(pipelined).substr(offset));
    body.append(step.data);
    offset += step.consumed;
  } while (!step.done && !step.error && step.consumed > 0);
  CHECK(step.done);
  CHECK(body == "abc");
  CHECK(offset == message.size());
  // Once done, nothing more is consumed.
  ChunkedDecoder::Step after = decoder.decode("more");
  CHECK(after.done);
  CHECK(after.consumed == 0);
  CHECK(after.data.empty());
}

TEST_CASE("ChunkedDecoder returns body bytes as views into the input, one run per step") {
  ChunkedDecoder decoder;
  std::string_view input = "4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n";
  ChunkedDecoder::Step step = decoder.decode(input);
  CHECK(step.data == "abcd");
  CHECK(step.data.data() == input.data() + 3);
  CHECK(step.consumed == 7);
  CHECK_FALSE(step.done);
  step = decoder.decode(input.substr(7));
  CHECK(step.data == "ef");
  step = decoder.decode(input.substr(7 + step.consumed));
  CHECK(step.data.empty());
  CHECK(step.done);
}

TEST_CASE("ChunkedDecoder reset() starts a new body") {
  ChunkedDecoder decoder;
  CHECK(decoder.decode("0\r\n\r\n").done);
  decoder.reset();
  CHECK_FALSE(decoder.done());
  ChunkedDecoder::Step step = decoder.decode("2\r\nhi\r\n");
  CHECK(step.data == "hi");
  CHECK_FALSE(step.done);
}

TEST_CASE("ChunkedDecoder accepts 15 hex digits and refuses 16") {
  // 15 digits of size: accepted as a size line (the body itself never arrives here).
  Decoded d = decode_whole("00000000000000f\r\nabc");
  CHECK_FALSE(d.error);
  CHECK(d.body == "abc");
  check_malformed("0000000000000000\r\n\r\n");
  check_malformed("ffffffffffffffff\r\n");
  check_malformed("10000000000000000;x\r\n");
}

TEST_CASE("ChunkedDecoder refuses bad chunk sizes") {
  check_malformed("g\r\nx\r\n0\r\n\r\n");
  check_malformed("\r\n0\r\n\r\n");    // no digits
  check_malformed(";x\r\n0\r\n\r\n");  // extension without size
  check_malformed(" 5\r\nhello\r\n0\r\n\r\n");
  check_malformed("-5\r\nhello\r\n0\r\n\r\n");
  check_malformed("0x5\r\nhello\r\n0\r\n\r\n");
  check_malformed("5x\r\nhello\r\n0\r\n\r\n");
}

TEST_CASE("ChunkedDecoder refuses a chunk not followed by CRLF") {
  check_malformed("5\r\nhelloX\r\n0\r\n\r\n");
  check_malformed("5\r\nhello\rX0\r\n\r\n");
  check_malformed("5\r\nhello0\r\n\r\n");
  check_malformed("3\r\nhello\r\n0\r\n\r\n");  // size smaller than the data
}

TEST_CASE("ChunkedDecoder refuses bare LF and bare CR") {
  check_malformed("5\nhello\r\n0\r\n\r\n");
  check_malformed("5\r\nhello\n0\r\n\r\n");
  check_malformed("5\rhello\r\n0\r\n\r\n");
  check_malformed("5;ext\nhello\r\n0\r\n\r\n");
  check_malformed("0\r\nX: 1\n\r\n");
  check_malformed("0\r\nX: 1\r\n\n");
  check_malformed("0\r\n\n");
  check_malformed("0\n\r\n");
  check_malformed("0\r\nX: 1\rY\r\n\r\n");
}

TEST_CASE("ChunkedDecoder refuses control characters in extensions and NUL in trailers") {
  check_malformed("5;a\x01\r\nhello\r\n0\r\n\r\n");
  check_malformed("5;a\x7f\r\nhello\r\n0\r\n\r\n");
  check_malformed("0\r\nX: a\0b\r\n\r\n"sv);
}

TEST_CASE("ChunkedDecoder bounds extensions") {
  std::string ok =
      "1;" + std::string(ChunkedDecoder::kMaxExtension - 1, 'e') + "\r\nx\r\n0\r\n\r\n";
  CHECK(decode_whole(ok).done);
  std::string over = "1;" + std::string(ChunkedDecoder::kMaxExtension, 'e') + "\r\nx\r\n0\r\n\r\n";
  Decoded d = decode_whole(over);
  CHECK(d.error);
  // Fed in small pieces, the limit still holds: it counts across reads.
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < over.size(); i += 7)
    pieces.push_back(std::string_view(over).substr(i, 7));
  CHECK(decode_pieces(pieces).error);
}

TEST_CASE("ChunkedDecoder bounds the trailer section") {
  std::string line = "X-Pad: " + std::string(1000, 'p') + "\r\n";
  std::string ok = "0\r\n";
  while (ok.size() + line.size() < ChunkedDecoder::kMaxTrailers)
    ok += line;
  ok += "\r\n";
  CHECK(decode_whole(ok).done);
  std::string over = "0\r\n";
  for (std::size_t i = 0; i < ChunkedDecoder::kMaxTrailers / line.size() + 2; ++i)
    over += line;
  over += "\r\n";
  CHECK(decode_whole(over).error);
}

TEST_CASE("ChunkedDecoder accepts extensions as RFC 9112 §7.1.1 spells them") {
  for (std::string_view body :
       {"5;a\r\nhello\r\n0\r\n\r\n"sv, "5;a=b;c\r\nhello\r\n0\r\n\r\n"sv,
        "5 ;a = b ; c=\"x\\\"y\"\r\nhello\r\n0\r\n\r\n"sv, "5;a=\"\"\r\nhello\r\n0\r\n\r\n"sv,
        "5;a=\"q\" ;b\r\nhello\r\n0\r\n\r\n"sv, "5;a=\"\xc3\xa9\"\r\nhello\r\n0\r\n\r\n"sv}) {
    check_body(body, "hello");
  }
}

// Issue class 4: every framing defect a lenient parser reads differently is an error, however
// the bytes are split.
TEST_CASE("ChunkedDecoder refuses malformed framing") {
  for (std::string_view body : {
           // Line ends.
           "5\nhello\r\n0\r\n\r\n"sv,
           "5\rhello\r\n0\r\n\r\n"sv,
           "5\r\nhello\n0\r\n\r\n"sv,
           "5\r\nhello\r0\r\n\r\n"sv,
           "0\r\n\n"sv,
           "0\n\n"sv,
           "5;a\nhello\r\n0\r\n\r\n"sv,
           // Sizes.
           "+5\r\nhello\r\n0\r\n\r\n"sv,
           "-5\r\nhello\r\n0\r\n\r\n"sv,
           "0x5\r\nhello\r\n0\r\n\r\n"sv,
           " 5\r\nhello\r\n0\r\n\r\n"sv,
           "\t5\r\nhello\r\n0\r\n\r\n"sv,
           "5 \r\nhello\r\n0\r\n\r\n"sv,
           "5\t\r\nhello\r\n0\r\n\r\n"sv,
           "1_0\r\n0123456789abcdef\r\n0\r\n\r\n"sv,
           "5_\r\nhello\r\n0\r\n\r\n"sv,
           "1ffffffffffffffff\r\nx\r\n0\r\n\r\n"sv,
           "5,5\r\nhello\r\n0\r\n\r\n"sv,
           "\xd9\xa5\r\nhello\r\n0\r\n\r\n"sv,
           "0 \r\n\r\n"sv,
           // Extensions.
           "5;\r\nhello\r\n0\r\n\r\n"sv,
           "5 ;\r\nhello\r\n0\r\n\r\n"sv,
           "5;;a\r\nhello\r\n0\r\n\r\n"sv,
           "5;a;\r\nhello\r\n0\r\n\r\n"sv,
           "5;a=\r\nhello\r\n0\r\n\r\n"sv,
           "5;=b\r\nhello\r\n0\r\n\r\n"sv,
           "5;a b\r\nhello\r\n0\r\n\r\n"sv,
           "5;a=b c\r\nhello\r\n0\r\n\r\n"sv,
           "5;a=b \r\nhello\r\n0\r\n\r\n"sv,
           "5;a \r\nhello\r\n0\r\n\r\n"sv,
           "5;a=\"b\r\nhello\r\n0\r\n\r\n"sv,
           "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"sv,
           "5;a=\"b\x01\"\r\nhello\r\n0\r\n\r\n"sv,
           "5;a\x01\r\nhello\r\n0\r\n\r\n"sv,
           "5;a\x7f\r\nhello\r\n0\r\n\r\n"sv,
           "5;a=b\x00\r\nhello\r\n0\r\n\r\n"sv,
           "5;\xc3\xa9\r\nhello\r\n0\r\n\r\n"sv,
           "5;a=(b)\r\nhello\r\n0\r\n\r\n"sv,
           // Data longer or shorter than its size.
           "3\r\nhello\r\n0\r\n\r\n"sv,
           "5\r\nhelloX\r\n0\r\n\r\n"sv,
           "5\r\nhell\r\n0\r\n\r\n"sv,
           // Trailers.
           "0\r\nX: 1\n\r\n"sv,
           "0\r\nX: 1\r\n\n"sv,
           "0\r\nX: 1\rY\r\n\r\n"sv,
           "0\r\n X: 1\r\n\r\n"sv,
           "0\r\nX: 1\r\n 2\r\n\r\n"sv,
           "0\r\nX : 1\r\n\r\n"sv,
           "0\r\nno colon\r\n\r\n"sv,
           "0\r\n: 1\r\n\r\n"sv,
           "0\r\nX: a\x01\r\n\r\n"sv,
           "0\r\nX: a\x7f\r\n\r\n"sv,
           "0\r\nX: a\0b\r\n\r\n"sv,
           "0\r\nX\xc3\xa9: 1\r\n\r\n"sv,
           "0\r\n\r\r\n"sv,
       }) {
    check_malformed(body);
  }
  // The 16-digit limit and the extension bound hold too.
  check_malformed("1;" + std::string(ChunkedDecoder::kMaxExtension, 'e') + "\r\nx\r\n0\r\n\r\n");
}

TEST_CASE("ChunkedDecoder::check judges held bytes without consuming them") {
  using Framing = ChunkedDecoder::Framing;
  struct Row {
    std::string_view bytes;
    Framing framing;
    std::size_t consumed;
  };
  const Row rows[] = {
      {""sv, Framing::incomplete, 0},
      {"5\r\nhel"sv, Framing::incomplete, 6},
      {"5\r\nhello\r\n0\r\n"sv, Framing::incomplete, 13},
      {"5\r\nhello\r\n0\r\n\r\n"sv, Framing::complete, 15},
      {"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n"sv, Framing::complete, 15},
      {"5\r\nhello\r\n0\r\nX: 1\r\n\r\n"sv, Framing::complete, 21},
      {"5\r\nhelloX"sv, Framing::invalid, 8},
      {"5\nhello"sv, Framing::invalid, 1},
      {"0x5\r\nhello\r\n0\r\n\r\n"sv, Framing::invalid, 1},
      {"5\r\nhello\r\n0\r\nX: \x01\r\n\r\n"sv, Framing::invalid, 16},
      {"5\r\nhello\r\n5;\r\n"sv, Framing::invalid, 12},
  };
  for (const Row& row : rows) {
    CAPTURE(row.bytes);
    ChunkedDecoder decoder;
    ChunkedDecoder::Check check = decoder.check(row.bytes);
    CHECK(check.framing == row.framing);
    CHECK(check.consumed == row.consumed);
    // The decoder itself has not moved: it decodes the same bytes from the start.
    Decoded again = decode_whole(row.bytes);
    CHECK(again.error == (row.framing == Framing::invalid));
    CHECK(again.done == (row.framing == Framing::complete));
  }
  // From the middle of a body: the decoder's state is where checking starts, and it stays.
  ChunkedDecoder decoder;
  ChunkedDecoder::Step step = decoder.decode("5\r\nhel");
  CHECK(step.data == "hel");
  CHECK(decoder.check("lo\r\n0\r\n\r\n").framing == Framing::complete);
  CHECK(decoder.check("lo!\r\n").framing == Framing::invalid);
  CHECK(decoder.check("lo").framing == Framing::incomplete);
  step = decoder.decode("lo\r\n0\r\n\r\n");
  CHECK(step.data == "lo");
  // A failed decoder stays failed for check() too.
  ChunkedDecoder failed;
  CHECK(failed.decode("z").error);
  CHECK(failed.check("0\r\n\r\n").framing == Framing::invalid);
}

TEST_CASE("ChunkedDecoder stays failed after an error") {
  ChunkedDecoder decoder;
  ChunkedDecoder::Step step = decoder.decode("zz\r\n");
  CHECK(step.error);
  CHECK(step.consumed == 0);
  step = decoder.decode("5\r\nhello\r\n0\r\n\r\n");
  CHECK(step.error);
  CHECK_FALSE(step.done);
  CHECK(step.data.empty());
  step = decoder.decode("");
  CHECK(step.error);
  CHECK_FALSE(decoder.done());
}

}  // namespace
}  // namespace albatross::http
