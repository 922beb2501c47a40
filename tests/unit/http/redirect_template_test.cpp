#include "albatross/http/redirect_template.hpp"

#include <doctest/doctest.h>

namespace albatross::http {
namespace {

using config::RedirectConfig;

constexpr RedirectSource kPlain{"http", "shop.example.com", "80", "cart/items", "id=7&x=1"};

std::string render(const RedirectConfig& config, const RedirectSource& source = kPlain) {
  std::string out = "keep:";
  bool ok = RedirectTemplate(config).render(source, out);
  REQUIRE(out.starts_with("keep:"));
  return ok ? out.substr(5) : "<refused>";
}

RedirectConfig https() {
  RedirectConfig config;
  config.protocol = "https";
  config.port = "443";
  return config;
}

TEST_CASE("ALB's canonical HTTP -> HTTPS redirect keeps host, path and query") {
  CHECK(render(https()) == "https://shop.example.com/cart/items?id=7&x=1");
}

TEST_CASE("the port is left out when it is the protocol's default, kept otherwise") {
  RedirectConfig config = https();
  config.port = "8443";
  CHECK(render(config) == "https://shop.example.com:8443/cart/items?id=7&x=1");
  config.port = "80";
  CHECK(render(config) == "https://shop.example.com:80/cart/items?id=7&x=1");
  RedirectConfig keep;  // every placeholder: the request's own URL
  CHECK(render(keep) == "http://shop.example.com/cart/items?id=7&x=1");
  CHECK(render(keep, {"http", "h", "8080", "", ""}) == "http://h:8080/");
  CHECK(render(keep, {"https", "h", "443", "", ""}) == "https://h/");
  CHECK(render(keep, {"https", "h", "80", "", ""}) == "https://h:80/");
}

TEST_CASE("placeholders combine with text in any component; #{path} has no leading slash") {
  RedirectConfig config;
  config.host = "www.#{host}";
  config.path = "/v2/#{path}/#{port}";
  config.query = "from=#{protocol}&#{query}";
  CHECK(render(config, {"http", "example.com", "8080", "a/b", "q=1"}) ==
        "http://www.example.com:8080/v2/a/b/8080?from=http&q=1");
  config.query = "";
  CHECK(render(config, {"http", "example.com", "80", "", "q=1"}) ==
        "http://www.example.com/v2//80");
  config.query = "#{query}";
  CHECK(render(config, {"http", "example.com", "80", "x", ""}) ==
        "http://www.example.com/v2/x/80");  // an empty query: no '?'
  RedirectConfig literal;
  literal.protocol = "https";
  literal.host = "static.example.net";
  literal.port = "8443";
  literal.path = "/moved";
  literal.query = "";
  CHECK(render(literal) == "https://static.example.net:8443/moved");
}

TEST_CASE("request text is percent-encoded; a host that is not plain is refused") {
  RedirectConfig keep;
  CHECK(render(keep, {"http", "h", "80", "a b\x01\xff#\"", "x=\r\n"}) ==
        "http://h/a%20b%01%FF%23%22?x=%0D%0A");
  CHECK(render(keep, {"http", "", "80", "", ""}) == "<refused>");
  CHECK(render(keep, {"http", "evil.com/x", "80", "", ""}) == "<refused>");
  CHECK(render(keep, {"http", "user@evil.com", "80", "", ""}) == "<refused>");
  CHECK(render(keep, {"http", "::1", "80", "", ""}) == "<refused>");
  CHECK(render(keep, {"http", "[::1]", "80", "p", ""}) == "http://[::1]/p");
  RedirectConfig fixed_host = keep;
  fixed_host.host = "example.org";
  CHECK(render(fixed_host, {"http", "", "80", "p", ""}) == "http://example.org/p");
}

TEST_CASE("respond builds the whole response around the Location") {
  RedirectConfig config = https();
  config.status = 302;
  RedirectTemplate redirect(config);
  CHECK(redirect.status() == 302);
  std::string out = "stale";
  std::optional<std::string_view> location = redirect.respond(kPlain, false, out);
  REQUIRE(location);
  CHECK(*location == "https://shop.example.com/cart/items?id=7&x=1");
  CHECK(out ==
        "HTTP/1.1 302 Found\r\nLocation: https://shop.example.com/cart/items?id=7&x=1\r\n"
        "Content-Length: 0\r\n\r\n");
  config.status = 301;
  location = RedirectTemplate(config).respond(kPlain, true, out);
  REQUIRE(location);
  CHECK(out.starts_with("HTTP/1.1 301 Moved Permanently\r\n"));
  CHECK(out.ends_with("Content-Length: 0\r\nConnection: close\r\n\r\n"));
  CHECK_FALSE(RedirectTemplate(config).respond({"http", "", "80", "", ""}, false, out));
}

}  // namespace
}  // namespace albatross::http
