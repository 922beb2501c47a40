#include "albatross/http/chunked_decoder.hpp"

namespace albatross::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::decode(std::string_view input) {
  Step step;
  std::size_t i = 0;
  auto fail = [&]() {
    state_ = State::error;
    step.consumed = i;
    step.error = true;
    return step;
  };
  // Sticky, also for empty input: a caller waiting for more bytes must not miss it.
  if (state_ == State::error) return fail();
  while (i < input.size()) {
    char c = input[i];
    switch (state_) {
      case State::size: {
        int v = hex_value(c);
        if (v >= 0) {
          if (++digits_ > 15) return fail();
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(v);
          ++i;
        } else if (digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
          state_ = State::extension;
          extension_bytes_ = 0;
        } else if (digits_ > 0 && c == '\r') {
          state_ = State::size_lf;
          ++i;
        } else {
          return fail();
        }
        break;
      }
      case State::extension: {
        auto u = static_cast<unsigned char>(c);
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (!(u == '\t' || (u >= 0x20 && u != 0x7f)) || ++extension_bytes_ > kMaxExtension) {
          return fail();
        }
        ++i;
        break;
      }
      case State::size_lf:
        if (c != '\n') return fail();
        ++i;
        digits_ = 0;
        state_ = remaining_ == 0 ? State::trailer_start : State::data;
        break;
      case State::data: {
        std::size_t n = input.size() - i;
        if (n > remaining_) n = static_cast<std::size_t>(remaining_);
        step.data = input.substr(i, n);
        remaining_ -= n;
        i += n;
        if (remaining_ == 0) state_ = State::data_cr;
        step.consumed = i;
        return step;
      }
      case State::data_cr:
        if (c != '\r') return fail();
        state_ = State::data_lf;
        ++i;
        break;
      case State::data_lf:
        if (c != '\n') return fail();
        state_ = State::size;
        ++i;
        break;
      case State::trailer_start:
        if (c == '\r') {
          state_ = State::final_lf;
          ++i;
        } else {
          state_ = State::trailer_line;
        }
        break;
      case State::trailer_line: {
        auto u = static_cast<unsigned char>(c);
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else if (c == '\n' || u == 0 || ++trailer_bytes_ > kMaxTrailers) {
          return fail();
        }
        ++i;
        break;
      }
      case State::trailer_lf:
        if (c != '\n') return fail();
        state_ = State::trailer_start;
        ++i;
        break;
      case State::final_lf:
        if (c != '\n') return fail();
        ++i;
        state_ = State::done;
        step.consumed = i;
        step.done = true;
        return step;
      case State::done:
        step.consumed = i;
        step.done = true;
        return step;
      case State::error:
        return fail();
    }
  }
  step.consumed = i;
  step.done = state_ == State::done;
  return step;
}

}  // namespace albatross::http
