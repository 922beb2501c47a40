#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "support/http_response.hpp"

namespace albatross::testing {

// What the tests read off a response about routing and stickiness, with the default cookie name.

// The demo target that answered (its X-Target header), "-" when absent.
std::string target_of(const HttpResponse& response);
// The value of the response's `Set-Cookie: AWSALB=...`, "" when it sets none.
std::string sticky_value(const HttpResponse& response);
// A request header line sending `value` as the AWSALB cookie ("Cookie: AWSALB=...\r\n").
std::string cookie_header(std::string_view value);
// Sends `n` requests for `path` on one keep-alive connection to `port` and counts them by the
// target that answered; every one must be a 200 (checked).
std::map<std::string, int> spread(std::uint16_t port, int n, std::string_view path = "/");

}  // namespace albatross::testing
