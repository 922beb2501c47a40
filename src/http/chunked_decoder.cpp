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
    Action action = Action::advance;
    switch (state_) {
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
        break;
      case State::data_lf:
        if (c != '\n') return fail();
        state_ = State::size;
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
      case State::trailer_start:
      case State::trailer_name:
      case State::trailer_value:
      case State::trailer_lf:
        action = trailer_byte(c);
        break;
      default:
        action = size_line_byte(c);
        break;
    }
    if (action == Action::fail) return fail();
    if (action == Action::count) {
      // `c` belonged to a bounded line (extension or trailer).
      if (state_ >= State::trailer_start) {
        if (++trailer_bytes_ > kMaxTrailers) return fail();
      } else if (++extension_bytes_ > kMaxExtension) {
        return fail();
      }
    }
    ++i;
  }
  step.consumed = i;
  step.done = state_ == State::done;
  return step;
}

// The size, its whitespace and the line end; extensions go to extension_byte().
ChunkedDecoder::Action ChunkedDecoder::size_line_byte(char c) {
  switch (state_) {
    case State::size: {
      int v = hex_value(c);
      if (v >= 0) {
        if (++digits_ > 15) return Action::fail;
        remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(v);
        return Action::advance;
      }
      if (digits_ == 0) return Action::fail;
      extension_bytes_ = 0;
      if (c == '\r') {
        state_ = State::size_lf;
        return Action::advance;
      }
      if (c == ';') {
        state_ = State::ext_name_start;
      } else if (is_ws(c)) {
        state_ = State::size_bws;
      } else {
        return Action::fail;
      }
      return Action::count;
    }
    case State::size_bws:
      if (c == ';') {
        state_ = State::ext_name_start;
      } else if (!is_ws(c)) {
        return Action::fail;  // whitespace after the size without an extension
      }
      return Action::count;
    case State::size_lf:
      if (c != '\n') return Action::fail;
      digits_ = 0;
      state_ = remaining_ == 0 ? State::trailer_start : State::data;
      return Action::advance;
    default:
      return extension_byte(c);
  }
}

// One byte of a chunk extension: `BWS ";" BWS token [BWS "=" BWS (token / quoted-string)]`.
ChunkedDecoder::Action ChunkedDecoder::extension_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  // CR ends the line where a name or a value may end.
  auto line_end = [&] {
    state_ = State::size_lf;
    return Action::advance;
  };
  switch (state_) {
    case State::ext_name_start:
      if (is_tchar(c)) {
        state_ = State::ext_name;
      } else if (!is_ws(c)) {
        return Action::fail;  // a bare ";", ";;", or a name that is not a token
      }
      return Action::count;
    case State::ext_name:
      if (c == '\r') return line_end();
      if (c == '=') {
        state_ = State::ext_value_start;
      } else if (c == ';') {
        state_ = State::ext_name_start;
      } else if (is_ws(c)) {
        state_ = State::ext_after_name;
      } else if (!is_tchar(c)) {
        return Action::fail;
      }
      return Action::count;
    case State::ext_after_name:
      if (c == '=') {
        state_ = State::ext_value_start;
      } else if (c == ';') {
        state_ = State::ext_name_start;
      } else if (!is_ws(c)) {
        return Action::fail;
      }
      return Action::count;
    case State::ext_value_start:
      if (c == '"') {
        state_ = State::ext_quoted;
      } else if (is_tchar(c)) {
        state_ = State::ext_token;
      } else if (!is_ws(c)) {
        return Action::fail;
      }
      return Action::count;
    case State::ext_token:
    case State::ext_after_quote:
      if (c == '\r') return line_end();
      if (c == ';') {
        state_ = State::ext_name_start;
      } else if (is_ws(c)) {
        state_ = State::ext_after_value;
      } else if (state_ == State::ext_after_quote || !is_tchar(c)) {
        return Action::fail;
      }
      return Action::count;
    case State::ext_quoted:
      if (c == '"') {
        state_ = State::ext_after_quote;
      } else if (c == '\\') {
        state_ = State::ext_quoted_pair;
      } else if (!is_qdtext(u)) {
        return Action::fail;
      }
      return Action::count;
    case State::ext_quoted_pair:
      if (!is_quotable(u)) return Action::fail;
      state_ = State::ext_quoted;
      return Action::count;
    case State::ext_after_value:
      if (c == ';') {
        state_ = State::ext_name_start;
      } else if (!is_ws(c)) {
        return Action::fail;  // trailing whitespace before CRLF, or junk after a value
      }
      return Action::count;
    default:
      return Action::fail;
  }
}

// One byte of the trailer section: field lines (token ":" value), then the empty line.
ChunkedDecoder::Action ChunkedDecoder::trailer_byte(char c) {
  switch (state_) {
    case State::trailer_start:
      if (c == '\r') {
        state_ = State::final_lf;
        return Action::advance;
      }
      if (!is_tchar(c)) return Action::fail;  // obs-fold, whitespace-led or nameless line
      state_ = State::trailer_name;
      return Action::count;
    case State::trailer_name:
      if (c == ':') {
        state_ = State::trailer_value;
      } else if (!is_tchar(c)) {
        return Action::fail;  // whitespace before the colon, no colon, non-token name
      }
      return Action::count;
    case State::trailer_value:
      if (c == '\r') {
        state_ = State::trailer_lf;
      } else if (!is_value_byte(static_cast<unsigned char>(c))) {
        return Action::fail;
      }
      return Action::count;
    case State::trailer_lf:
      if (c != '\n') return Action::fail;
      state_ = State::trailer_start;
      return Action::count;
    default:
      return Action::fail;
  }
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
