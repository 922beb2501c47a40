#include "support/http_response.hpp"

#include <algorithm>
#include <cctype>

namespace albatross::testing {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

std::size_t HttpResponse::header_count(std::string_view name) const {
  return static_cast<std::size_t>(std::count_if(
      headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); }));
}

bool HttpResponse::connection_close() const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, "connection") && v.find("close") != std::string::npos) return true;
  }
  return false;
}

}  // namespace albatross::testing
