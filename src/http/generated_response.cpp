#include "albatross/http/generated_response.hpp"

#include <algorithm>
#include <array>
#include <iterator>

#include "albatross/common/str_cat.hpp"

namespace albatross::http {

namespace {

struct StatusReason {
  int status;
  std::string_view reason;
};

// RFC 9110 §15's reason phrases, by status (ascending).
constexpr StatusReason kReasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};

}  // namespace

std::string_view status_reason(int status) {
  const auto* it = std::lower_bound(std::begin(kReasons), std::end(kReasons), status,
                                    [](const StatusReason& r, int s) { return r.status < s; });
  return it != std::end(kReasons) && it->status == status ? it->reason : "Unknown";
}

namespace {

std::string build(int status, bool close) {
  std::string body = str_cat(status, ' ', status_reason(status), '\n');
  std::string out = str_cat(
      "HTTP/1.1 ", status, ' ', status_reason(status),
      "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ", body.size(), "\r\n");
  if (status == 405) out.append("Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH\r\n");
  if (close) out.append("Connection: close\r\n");
  out.append("\r\n");
  out.append(body);
  return out;
}

constexpr int kStatuses[] = {400, 403, 404, 405, 408, 413, 414, 417,
                             429, 431, 500, 501, 502, 503, 504, 505};

// Built once at first use (thread-safe static initialisation), read-only afterwards: no lock.
struct Table {
  Table() {
    for (std::size_t i = 0; i < std::size(kStatuses); ++i) {
      keep_alive[i] = build(kStatuses[i], false);
      closing[i] = build(kStatuses[i], true);
    }
  }
  std::array<std::string, std::size(kStatuses)> keep_alive;
  std::array<std::string, std::size(kStatuses)> closing;
};

}  // namespace

std::string_view generated_response(int status, bool close, bool head_request) {
  static const Table table;
  std::size_t index = 10;  // 500 for anything not in the table
  for (std::size_t i = 0; i < std::size(kStatuses); ++i) {
    if (kStatuses[i] == status) index = i;
  }
  std::string_view response = close ? table.closing[index] : table.keep_alive[index];
  if (head_request) response = response.substr(0, response.find("\r\n\r\n") + 4);
  return response;
}

}  // namespace albatross::http
