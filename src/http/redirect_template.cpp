#include "albatross/http/redirect_template.hpp"

#include "albatross/http/generated_response.hpp"

namespace albatross::http {
namespace {

// Request text as it may appear in a URL: visible ASCII except '#' and '"' kept, the rest
// percent-encoded.
void append_encoded(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#' || c == '"') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
}

// A Host value (port removed) fit to be a URL's host: a name or an IPv4 literal, or a bracketed
// IPv6 literal.
bool plain_host(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '[' || c == ']' || c == ':';
    if (!ok) return false;
  }
  return host.find(':') == std::string_view::npos || (host.front() == '[' && host.back() == ']');
}

}  // namespace

RedirectTemplate::Component RedirectTemplate::compile(std::string_view text) {
  Component component;
  while (!text.empty()) {
    std::size_t open = text.find("#{");
    if (open != 0) {
      component.push_back({Part::literal, std::string(text.substr(0, open))});
      if (open == std::string_view::npos) break;
      text.remove_prefix(open);
    }
    std::size_t close = text.find('}');
    std::string_view name = text.substr(2, close - 2);  // parse() accepted only known names
    Part part = name == "protocol" ? Part::protocol
                : name == "host"   ? Part::host
                : name == "port"   ? Part::port
                : name == "path"   ? Part::path
                                   : Part::query;
    component.push_back({part, {}});
    text.remove_prefix(close + 1);
  }
  return component;
}

RedirectTemplate::RedirectTemplate(const config::RedirectConfig& config)
    : protocol_(compile(config.protocol)),
      host_(compile(config.host)),
      port_(compile(config.port)),
      path_(compile(config.path)),
      query_(compile(config.query)),
      status_(config.status) {}

bool RedirectTemplate::append(const Component& component, const RedirectSource& source,
                              std::string& out) const {
  for (const Segment& segment : component) {
    switch (segment.part) {
      case Part::literal:
        out.append(segment.text);
        break;
      case Part::protocol:
        out.append(source.protocol);
        break;
      case Part::host:
        if (!plain_host(source.host)) return false;
        out.append(source.host);
        break;
      case Part::port:
        out.append(source.port);
        break;
      case Part::path:
        append_encoded(source.path, out);
        break;
      case Part::query:
        append_encoded(source.query, out);
        break;
    }
  }
  return true;
}

bool RedirectTemplate::render(const RedirectSource& source, std::string& out) const {
  const std::size_t start = out.size();
  append(protocol_, source, out);
  const std::string_view protocol(out.data() + start, out.size() - start);
  const bool https = protocol == "https";
  out.append("://");
  if (!append(host_, source, out)) {
    out.resize(start);
    return false;
  }
  const std::size_t port_at = out.size();
  out.push_back(':');
  append(port_, source, out);
  std::string_view port(out.data() + port_at + 1, out.size() - port_at - 1);
  if (port == (https ? "443" : "80")) out.resize(port_at);
  append(path_, source, out);
  const std::size_t query_at = out.size();
  out.push_back('?');
  append(query_, source, out);
  if (out.size() == query_at + 1) out.resize(query_at);
  return true;
}

std::optional<std::string_view> RedirectTemplate::respond(const RedirectSource& source, bool close,
                                                          std::string& out) const {
  out.clear();
  out.append("HTTP/1.1 ");
  out.append(std::to_string(status_));
  out.push_back(' ');
  out.append(status_reason(status_));
  out.append("\r\nLocation: ");
  const std::size_t location_at = out.size();
  if (!render(source, out)) return std::nullopt;
  const std::size_t location_size = out.size() - location_at;
  out.append("\r\nContent-Length: 0\r\n");
  if (close) out.append("Connection: close\r\n");
  out.append("\r\n");
  return std::string_view(out).substr(location_at, location_size);
}

}  // namespace albatross::http
