#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "albatross/config/rule_config.hpp"

namespace albatross::http {

// The parts of a request a redirect can carry over (the placeholders' values). Views into the
// request head and the listener context.
struct RedirectSource {
  std::string_view protocol;  // the listener's scheme: "http" or "https"
  std::string_view host;      // the Host field without its port; "" when the request had none
  std::string_view port;      // the listener's port
  std::string_view path;      // the request path without its leading '/'
  std::string_view query;     // without the '?'
};

// A rule's redirect action, compiled once per snapshot: each URL component split into literal
// text and placeholders, so a response is one pass of appends into a reused buffer.
// Request-derived text is percent-encoded where it is not visible ASCII (and '#', '"'), and a
// Host that is not a plain host name or address literal is refused, so no Location ever
// carries a request's control characters or an authority the request smuggled in. Immutable,
// any thread.
class RedirectTemplate {
 public:
  explicit RedirectTemplate(const config::RedirectConfig& config);

  int status() const { return status_; }
  // Appends the absolute URL: protocol://host[:port]/path[?query], the port left out when it
  // is the protocol's default and the '?' when the query is empty. False (and `out` unchanged)
  // when the URL needs the request's host and it has none usable.
  bool render(const RedirectSource& source, std::string& out) const;
  // Replaces `out` with the whole response (status line, Location, Content-Length: 0,
  // Connection: close when `close`) and returns the Location value within it; nullopt as for
  // render().
  std::optional<std::string_view> respond(const RedirectSource& source, bool close,
                                          std::string& out) const;

 private:
  enum class Part : std::uint8_t { literal, protocol, host, port, path, query };
  struct Segment {
    Part part = Part::literal;
    std::string text;  // literal only
  };
  using Component = std::vector<Segment>;

  static Component compile(std::string_view text);
  bool append(const Component& component, const RedirectSource& source, std::string& out) const;

  Component protocol_;
  Component host_;
  Component port_;
  Component path_;
  Component query_;
  int status_ = 301;
};

}  // namespace albatross::http
