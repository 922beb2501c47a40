#include "albatross/http/generated_response.hpp"

#include <array>

#include "albatross/common/str_cat.hpp"

namespace albatross::http {

std::string_view status_reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 207:
      return "Multi-Status";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 423:
      return "Locked";
    case 424:
      return "Failed Dependency";
    case 425:
      return "Too Early";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 451:
      return "Unavailable For Legal Reasons";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    case 506:
      return "Variant Also Negotiates";
    case 507:
      return "Insufficient Storage";
    case 508:
      return "Loop Detected";
    case 510:
      return "Not Extended";
    case 511:
      return "Network Authentication Required";
    default:
      return "Unknown";
  }
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
