#include "support/sticky_session.hpp"

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

}  // namespace albatross::testing
