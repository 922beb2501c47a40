#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace albatross::http {

// Incremental decoder for the chunked transfer coding (RFC 9112 §7.1). Strict: hex sizes of at
// most 15 digits, CRLF line ends, bounded extensions and trailers. Extensions and trailer fields
// are consumed and dropped; the proxy re-encodes the body with clean chunk lines. Pure.
class ChunkedDecoder {
 public:
  struct Step {
    std::size_t consumed = 0;  // input bytes used by this step
    std::string_view data;     // body bytes found (a subrange of the input), possibly empty
    bool done = false;         // last chunk and trailer section complete
    bool error = false;        // malformed framing: the message cannot be trusted
  };

  static constexpr std::size_t kMaxExtension = 4096;
  static constexpr std::size_t kMaxTrailers = 16 * 1024;

  // Consumes framing up to and including at most one run of body bytes.
  Step decode(std::string_view input);
  bool done() const { return state_ == State::done; }
  void reset() { *this = ChunkedDecoder(); }

 private:
  enum class State {
    size,
    extension,
    size_lf,
    data,
    data_cr,
    data_lf,
    trailer_start,
    trailer_line,
    trailer_lf,
    final_lf,
    done,
    error,
  };
  State state_ = State::size;
  std::uint64_t remaining_ = 0;
  int digits_ = 0;
  std::size_t extension_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
};

}  // namespace albatross::http
