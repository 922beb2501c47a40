#include "support/sticky_session.hpp"

#include <doctest/doctest.h>

#include "support/http_client.hpp"

namespace albatross::testing {

std::string target_of(const HttpResponse& response) {
  return response.header("X-Target").value_or("-");
}

std::string sticky_value(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "Set-Cookie" && value.starts_with("AWSALB=")) {
      return value.substr(7, value.find(';') - 7);
    }
  }
  return {};
}

std::string cookie_header(std::string_view value) {
  return "Cookie: AWSALB=" + std::string(value) + "\r\n";
}

std::map<std::string, int> spread(std::uint16_t port, int n, std::string_view path) {
  std::map<std::string, int> by_target;
  HttpClient client(port);
  for (int i = 0; i < n; ++i) {
    HttpResponse r = client.get(path);
    CHECK(r.status == 200);
    ++by_target[target_of(r)];
  }
  return by_target;
}

}  // namespace albatross::testing
