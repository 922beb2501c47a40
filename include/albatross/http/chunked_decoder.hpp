#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace albatross::http {

// Incremental decoder for the chunked transfer coding (RFC 9112 §7.1). Strict: a size of 1 to 15
// hex digits and nothing else (no sign, "0x", whitespace or "_"), CRLF line ends only, chunk
// extensions exactly as the grammar has them (`BWS ";" BWS token [BWS "=" BWS (token /
// quoted-string)]`, bounded), data followed by CRLF, trailer lines that are field lines
// (token ":" value without controls, no obs-fold), bounded. Extensions and trailer fields are
// consumed and dropped; the proxy re-encodes the body with clean chunk lines. Pure.
class ChunkedDecoder {
 public:
  struct Step {
    std::size_t consumed = 0;  // input bytes used by this step
    std::string_view data;     // body bytes found (a subrange of the input), possibly empty
    bool done = false;         // last chunk and trailer section complete
    bool error = false;        // malformed framing: the message cannot be trusted
  };

  enum class Framing : std::uint8_t {
    incomplete,  // valid so far; the body goes on past the bytes given
    complete,    // the body ends within the bytes given, after `consumed` of them
    invalid,     // malformed framing within the bytes given
  };
  struct Check {
    Framing framing = Framing::incomplete;
    std::size_t consumed = 0;  // bytes checked: up to the end of the body, or the bad byte
  };

  static constexpr std::size_t kMaxExtension = 1024;  // per chunk line, from the first ";" or BWS
  static constexpr std::size_t kMaxTrailers = 16 * 1024;

  // Consumes framing up to and including at most one run of body bytes.
  Step decode(std::string_view input);

  // Checks the framing of `input`, the body bytes that follow what this decoder has consumed,
  // without changing the decoder and without producing data: a caller can check the bytes it
  // already holds before it forwards anything, then decode the same bytes for forwarding.
  // O(size of the chunk lines in `input`); allocation-free.
  Check check(std::string_view input) const;

  bool done() const { return state_ == State::done; }
  void reset() { *this = ChunkedDecoder(); }

 private:
  enum class State : std::uint8_t {
    size,
    size_bws,        // whitespace after the size: only a ";" may follow
    ext_name_start,  // after ";", optional BWS, then the extension name
    ext_name,
    ext_after_name,   // BWS after the name: "=" or ";" may follow
    ext_value_start,  // after "=", optional BWS, then a token or a quoted-string
    ext_token,
    ext_quoted,
    ext_quoted_pair,
    ext_after_quote,  // CR, ";" or BWS may follow
    ext_after_value,  // BWS after a value: only ";" may follow
    size_lf,
    data,
    data_cr,
    data_lf,
    trailer_start,
    trailer_name,
    trailer_value,
    trailer_lf,
    final_lf,
    done,
    error,
  };
  // What one byte of a size line or of the trailer section did: moved on, moved on inside a
  // bounded line (counted against kMaxExtension or kMaxTrailers), or broke the framing.
  enum class Action : std::uint8_t { advance, count, fail };
  Action size_line_byte(char c);
  Action extension_byte(char c);
  Action trailer_byte(char c);

  State state_ = State::size;
  std::uint64_t remaining_ = 0;
  int digits_ = 0;
  std::size_t extension_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
};

}  // namespace albatross::http
