#include "albatross/http/chunked_decoder.hpp"

#include "albatross/common/ascii.hpp"

namespace albatross::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_tchar(char c) {
  return ascii::is_tchar(static_cast<unsigned char>(c));
}

bool is_ws(char c) {
  return c == ' ' || c == '\t';
}

// RFC 9110 §5.6.4 qdtext: HTAB, SP, 0x21, 0x23-0x5B, 0x5D-0x7E, obs-text.
bool is_qdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

// What may follow a backslash in a quoted-string: HTAB, SP, VCHAR, obs-text.
bool is_quotable(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

// A field-value byte (RFC 9110 §5.5) that is not CR: HTAB, SP, VCHAR, obs-text.
bool is_value_byte(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
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
    auto u = static_cast<unsigned char>(c);
    switch (state_) {
      case State::size: {
        int v = hex_value(c);
        if (v >= 0) {
          if (++digits_ > 15) return fail();
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(v);
          ++i;
          continue;
        }
        if (digits_ == 0) return fail();
        extension_bytes_ = 0;
        if (c == '\r') {
          state_ = State::size_lf;
          ++i;
          continue;
        }
        if (c == ';') {
          state_ = State::ext_name_start;
        } else if (is_ws(c)) {
          state_ = State::size_bws;
        } else {
          return fail();
        }
        break;  // counted as extension bytes below
      }
      case State::size_bws:
        if (c == ';') {
          state_ = State::ext_name_start;
        } else if (!is_ws(c)) {
          return fail();  // whitespace after the size without an extension
        }
        break;
      case State::ext_name_start:
        if (is_tchar(c)) {
          state_ = State::ext_name;
        } else if (!is_ws(c)) {
          return fail();  // a bare ";", ";;", or a name that is not a token
        }
        break;
      case State::ext_name:
        if (c == '\r') {
          state_ = State::size_lf;
          ++i;
          continue;
        }
        if (c == '=') {
          state_ = State::ext_value_start;
        } else if (c == ';') {
          state_ = State::ext_name_start;
        } else if (is_ws(c)) {
          state_ = State::ext_after_name;
        } else if (!is_tchar(c)) {
          return fail();
        }
        break;
      case State::ext_after_name:
        if (c == '=') {
          state_ = State::ext_value_start;
        } else if (c == ';') {
          state_ = State::ext_name_start;
        } else if (!is_ws(c)) {
          return fail();
        }
        break;
      case State::ext_value_start:
        if (c == '"') {
          state_ = State::ext_quoted;
        } else if (is_tchar(c)) {
          state_ = State::ext_token;
        } else if (!is_ws(c)) {
          return fail();
        }
        break;
      case State::ext_token:
        if (c == '\r') {
          state_ = State::size_lf;
          ++i;
          continue;
        }
        if (c == ';') {
          state_ = State::ext_name_start;
        } else if (is_ws(c)) {
          state_ = State::ext_after_value;
        } else if (!is_tchar(c)) {
          return fail();
        }
        break;
      case State::ext_quoted:
        if (c == '"') {
          state_ = State::ext_after_quote;
        } else if (c == '\\') {
          state_ = State::ext_quoted_pair;
        } else if (!is_qdtext(u)) {
          return fail();
        }
        break;
      case State::ext_quoted_pair:
        if (!is_quotable(u)) return fail();
        state_ = State::ext_quoted;
        break;
      case State::ext_after_quote:
        if (c == '\r') {
          state_ = State::size_lf;
          ++i;
          continue;
        }
        if (c == ';') {
          state_ = State::ext_name_start;
        } else if (is_ws(c)) {
          state_ = State::ext_after_value;
        } else {
          return fail();
        }
        break;
      case State::ext_after_value:
        if (c == ';') {
          state_ = State::ext_name_start;
        } else if (!is_ws(c)) {
          return fail();  // trailing whitespace before CRLF, or junk after a value
        }
        break;
      case State::size_lf:
        if (c != '\n') return fail();
        ++i;
        digits_ = 0;
        state_ = remaining_ == 0 ? State::trailer_start : State::data;
        continue;
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
        if (c != '\r') return fail();  // data longer than its size, or a bare LF
        state_ = State::data_lf;
        ++i;
        continue;
      case State::data_lf:
        if (c != '\n') return fail();
        state_ = State::size;
        ++i;
        continue;
      case State::trailer_start:
        if (c == '\r') {
          state_ = State::final_lf;
          ++i;
          continue;
        }
        if (!is_tchar(c)) return fail();  // obs-fold, whitespace-led or nameless line
        state_ = State::trailer_name;
        break;
      case State::trailer_name:
        if (c == ':') {
          state_ = State::trailer_value;
        } else if (!is_tchar(c)) {
          return fail();  // whitespace before the colon, no colon, non-token name
        }
        break;
      case State::trailer_value:
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else if (!is_value_byte(u)) {
          return fail();
        }
        break;
      case State::trailer_lf:
        if (c != '\n') return fail();
        state_ = State::trailer_start;
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
    // Falling out of the switch: `c` belonged to a bounded line (extension or trailer).
    if (state_ >= State::trailer_start) {
      if (++trailer_bytes_ > kMaxTrailers) return fail();
    } else if (++extension_bytes_ > kMaxExtension) {
      return fail();
    }
    ++i;
  }
  step.consumed = i;
  step.done = state_ == State::done;
  return step;
}

ChunkedDecoder::Check ChunkedDecoder::check(std::string_view input) const {
  ChunkedDecoder copy = *this;
  Check result;
  for (;;) {
    Step step = copy.decode(input.substr(result.consumed));
    result.consumed += step.consumed;
    if (step.error) {
      result.framing = Framing::invalid;
      return result;
    }
    if (step.done) {
      result.framing = Framing::complete;
      return result;
    }
    if (result.consumed >= input.size() || step.consumed == 0) return result;
  }
}

}  // namespace albatross::http
